//! `vigil serve`: the HTTP server (JSON API and pages) on the embedded law and the database
//! (`--db`, default `sqlite://vigil.db`, created and migrated on first start). On a database
//! without any user, it prints a one-time setup link that creates the first administrator.

use std::net::SocketAddr;

use clap::Args;

use crate::Failure;
use crate::screen_cmd::open_store;

/// Options of `vigil serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "VIGIL_ADDR")]
    addr: SocketAddr,

    /// Mark the session cookie `Secure` on every response (the server is behind TLS). Without
    /// it, the cookie is `Secure` when the request says `X-Forwarded-Proto: https`.
    #[arg(long, env = "VIGIL_SECURE_COOKIES")]
    secure_cookies: bool,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs, db: Option<&str>) -> Result<(), Failure> {
    let store = open_store(db)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(e.into()))?;
    runtime.block_on(async {
        let location = store.location();
        let state = vigil_server::AppState::embedded(vigil_server::system_today)
            .map_err(|e| Failure::Other(e.into()))?
            .with_store(store, args.secure_cookies);
        let app = vigil_server::Application::bind(args.addr, state.clone())
            .await
            .map_err(|e| Failure::Input(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = app.local_addr().map_err(|e| Failure::Other(e.into()))?;
        eprintln!("Vigil is listening on http://{addr}/ (API: http://{addr}/api/openapi.json), database {location}; Ctrl-C stops it.");
        if let Some(acc) = &state.accounts {
            let token = acc
                .setup_token()
                .map_err(|e| Failure::Other(anyhow::Error::new(e)))?;
            if let Some(token) = token {
                eprintln!(
                    "No user yet. Create the first administrator at this one-time link (it works once, until this server stops):\n  http://{addr}/setup/{token}\nor with `vigil admin create-user`."
                );
            }
        }
        tracing::info!(%addr, "listening");
        app.serve().await.map_err(|e| Failure::Other(e.into()))
    })
}
