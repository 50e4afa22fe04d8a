//! `vigil serve`: the HTTP server (JSON API and pages) on the embedded law.

use std::net::SocketAddr;

use clap::Args;

use crate::Failure;

/// Options of `vigil serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "VIGIL_ADDR")]
    addr: SocketAddr,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(e.into()))?;
    runtime.block_on(async {
        let state = vigil_server::AppState::embedded(vigil_server::system_today)
            .map_err(|e| Failure::Other(e.into()))?;
        let app = vigil_server::Application::bind(args.addr, state)
            .await
            .map_err(|e| Failure::Input(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = app.local_addr().map_err(|e| Failure::Other(e.into()))?;
        eprintln!("Vigil is listening on http://{addr}/ (API: http://{addr}/api/openapi.json); Ctrl-C stops it.");
        tracing::info!(%addr, "listening");
        app.serve().await.map_err(|e| Failure::Other(e.into()))
    })
}
