//! # vigil-server
//!
//! Vigil's HTTP face: the JSON API ([`api`], with its OpenAPI 3.1 document) and server-rendered
//! pages ([`ui`], English and French, usable without JavaScript) over the same domain calls as the
//! CLI. This crate owns routing, content negotiation, languages, security headers and CSRF
//! protection; it holds no business rule (those live in `vigil-domain`).
//!
//! The stateless tools (classify, assess, the law) work without a database; with one
//! ([`AppState::with_store`]), [`accounts`] adds first-start setup, sign-in, organisations,
//! members and API tokens, and [`records`] the organisation's items (with their classification
//! records), parties and operations (with their assessments), on pages and in the API.

pub mod accounts;
pub mod api;
pub mod audit_log;
pub mod dashboard;
pub mod dossier;
pub mod due_diligence;
pub mod fdi;
pub mod i18n;
pub mod icp;
pub mod licences;
pub mod multipart;
pub mod operations_csv;
pub mod party_screening;
pub mod problem;
pub mod ratelimit;
pub mod records;
pub mod review;
pub mod screening;
pub mod spdx;
pub mod transmissions;
pub mod ui;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use vigil_domain::Law;

/// The largest request body accepted (an operation with thousands of items fits easily).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The law applied.
    pub law: Arc<Law>,
    /// Message catalogues.
    pub catalog: Arc<i18n::Catalog>,
    /// Today's date (a parameter, so tests can fix it).
    pub today: fn() -> time::Date,
    /// Accounts, organisations and sessions, when the server has a database (the stateless
    /// tools work without one).
    pub accounts: Option<accounts::Accounts>,
    /// The screening index over the served lists (empty without a database), rebuilt after an
    /// import.
    pub screening: Arc<screening::ScreeningState>,
}

/// Today's date from the system clock (UTC).
#[must_use]
pub fn system_today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Failures starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The embedded law does not load.
    #[error(transparent)]
    Law(#[from] vigil_domain::LawError),
    /// The message catalogues do not load.
    #[error(transparent)]
    Catalog(#[from] i18n::CatalogError),
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl AppState {
    /// State with the embedded law and catalogues.
    ///
    /// # Errors
    /// [`ServeError`] if the embedded data does not load.
    pub fn embedded(today: fn() -> time::Date) -> Result<AppState, ServeError> {
        Ok(AppState {
            law: Arc::new(Law::embedded()?),
            catalog: Arc::new(i18n::Catalog::load()?),
            today,
            accounts: None,
            screening: Arc::new(screening::ScreeningState::default()),
        })
    }

    /// The same state with accounts on `store` (`secure_cookies`: mark the session cookie
    /// `Secure` on every response, for a server behind TLS).
    ///
    /// The served sanctions lists are loaded and indexed here (a database failure is logged and
    /// the server screens against no list until the next import).
    #[must_use]
    pub fn with_store(self, store: vigil_store::Store, secure_cookies: bool) -> AppState {
        if let Err(e) = self.screening.reload(&store) {
            tracing::error!(error = %e, "the served lists could not be loaded");
        }
        AppState {
            accounts: Some(accounts::Accounts::new(store, secure_cookies)),
            ..self
        }
    }
}

/// The application's router with every layer.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v1/classify", post(api::classify))
        .route("/api/v1/assess", post(api::assess))
        .route("/api/v1/fdi", post(fdi::api_fdi))
        .route("/api/v1/law/entries/{code}", get(api::law_entry))
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/v1/me", get(accounts::api_me))
        .route("/api/v1/members", get(accounts::api_members))
        .route(
            "/api/v1/items",
            get(records::api_items).post(records::api_create_item),
        )
        .route("/api/v1/items/{id}", get(records::api_item))
        .route(
            "/api/v1/items/{id}/classifications",
            post(records::api_classify_item),
        )
        .route(
            "/api/v1/parties",
            get(records::api_parties).post(records::api_create_party),
        )
        .route(
            "/api/v1/operations",
            get(records::api_operations).post(records::api_create_operation),
        )
        .route("/api/v1/operations/{id}", get(records::api_operation))
        .route("/api/v1/screen", post(screening::api_screen))
        .route("/match/{dataset}", post(screening::yente_match));
    let pages = Router::new()
        .route("/", get(ui::home))
        .route(
            "/classify",
            get(ui::classify_form).post(ui::classify_submit),
        )
        .route("/assess", get(ui::assess_form).post(ui::assess_submit))
        .route("/fdi", get(fdi::fdi_form).post(fdi::fdi_submit))
        .route("/law", get(ui::law_search))
        .route("/law/{code}", get(ui::law_entry))
        .route("/static/vigil.css", get(ui::stylesheet))
        .route(
            "/setup/{token}",
            get(accounts::setup_form).post(accounts::setup_submit),
        )
        .route(
            "/login",
            get(accounts::login_form).post(accounts::login_submit),
        )
        .route("/logout", post(accounts::logout))
        .route("/account", get(accounts::account))
        .route("/account/password", post(accounts::change_password))
        .route("/account/language", post(accounts::change_language))
        .route("/orgs", get(accounts::list_orgs).post(accounts::create_org))
        .route("/orgs/{org}", get(accounts::show_org))
        .route(
            "/orgs/{org}/members",
            get(accounts::list_members).post(accounts::add_member),
        )
        .route(
            "/orgs/{org}/members/{user}/role",
            post(accounts::change_role),
        )
        .route(
            "/orgs/{org}/tokens",
            get(accounts::list_tokens).post(accounts::create_token),
        )
        .route(
            "/orgs/{org}/tokens/{id}/revoke",
            post(accounts::revoke_token),
        )
        .route("/screening", get(screening::screening_home))
        .route("/orgs/{org}/screening", get(screening::screening_get))
        .route("/orgs/{org}/audit", get(audit_log::audit_page))
        .route("/orgs/{org}/audit.csv", get(audit_log::audit_csv))
        .route(
            "/orgs/{org}/items",
            get(records::list_items).post(records::create_item),
        )
        .route("/orgs/{org}/items/{id}", get(records::show_item))
        .route(
            "/orgs/{org}/items/{id}/classify",
            post(records::classify_item),
        )
        .route(
            "/orgs/{org}/parties",
            get(records::list_parties).post(records::create_party),
        )
        .route(
            "/orgs/{org}/operations",
            get(records::list_operations).post(records::create_operation),
        )
        .route("/orgs/{org}/operations/{id}", get(records::show_operation))
        .route("/health", get(|| async { "ok" }));
    // List files are larger than any other body: their own limit.
    let uploads = Router::new()
        .route(
            "/orgs/{org}/screening/import",
            post(screening::screening_import),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            screening::MAX_UPLOAD_BYTES,
        ))
        .layer(RequestBodyLimitLayer::new(screening::MAX_UPLOAD_BYTES));
    // The areas below own their routes (pages and API) and their body limits.
    let areas = Router::new()
        .merge(licences::routes())
        .merge(party_screening::routes())
        .merge(review::routes())
        .merge(operations_csv::routes())
        .merge(due_diligence::routes())
        .merge(icp::routes())
        .merge(transmissions::routes())
        .merge(spdx::routes());
    Router::new()
        .merge(api)
        .merge(pages)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(uploads)
        .merge(areas)
        .fallback(ui::not_found)
        .with_state(state)
        .layer(CsrfLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            problem::Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "Something went wrong on our side; the error is logged.",
            )
            .into_response_owned()
        }))
}

/// A bound server, ready to run.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
}

impl Application {
    /// Binds `addr` (port 0 picks a free port).
    ///
    /// # Errors
    /// [`ServeError`] if the data does not load or the address cannot be bound.
    pub async fn bind(addr: SocketAddr, state: AppState) -> Result<Application, ServeError> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        Ok(Application { listener, state })
    }

    /// The bound address.
    ///
    /// # Errors
    /// The socket's error, if any.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// [`ServeError::Io`] on a serving error.
    pub async fn serve(self) -> Result<(), ServeError> {
        // The peer address feeds the per-client sign-in limit ([`ratelimit`]).
        axum::serve(
            self.listener,
            router(self.state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
