//! Accounts and access on the web: first-start setup, sign-in and sign-out (server-side sessions
//! in the database, cookie `vigil_session`: HttpOnly, SameSite=Strict, Path=/, Secure behind
//! HTTPS), password and language, organisations (switcher, creation), members (admins only) and
//! API bearer tokens, and the bearer authentication of `/api/v1/*` routes that read organisation
//! data.
//!
//! Organisation pages live under `/orgs/{org}`: the organisation comes from the path and is turned
//! into an [`OrgScope`] by the store only for a member, so another organisation's pages answer
//! 404 whatever the id (the store has no unscoped read of organisation records).

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use askama::Template;
use axum::Json;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use vigil_domain::access::{Action, Role};
use vigil_store::Store;
use vigil_store::accounts::{
    AccountError, ApiToken, LoginOutcome, Member, NewUser, OrgScope, Organisation, User,
    parse_role, token_hash,
};

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::problem::Problem;
use crate::ui::Chrome;
use crate::web::{self, internal, org_page, page, require, see_other};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vigil_session";

/// The database side of the server: the store, the pending first-start setup link, cookie policy.
#[derive(Clone)]
pub struct Accounts {
    /// The store.
    pub store: Store,
    /// SHA-256 of the one-time setup token, while one is pending.
    setup: Arc<Mutex<Option<String>>>,
    /// Mark cookies `Secure` whatever the request says (the server is behind TLS).
    pub secure_cookies: bool,
    /// Sign-in attempts per client address (besides the per-account lock-out).
    pub login_limiter: crate::ratelimit::LoginLimiter,
}

impl Accounts {
    /// Accounts on `store`.
    #[must_use]
    pub fn new(store: Store, secure_cookies: bool) -> Accounts {
        Accounts {
            store,
            setup: Arc::new(Mutex::new(None)),
            secure_cookies,
            login_limiter: crate::ratelimit::LoginLimiter::default(),
        }
    }

    /// When no user exists: a new one-time setup token (valid until used; replaces any earlier
    /// one), for the link `/setup/{token}`. `None` once a user exists.
    ///
    /// # Errors
    /// A database failure, or no randomness.
    pub fn setup_token(&self) -> Result<Option<String>, AccountError> {
        if self.store.user_count()? > 0 {
            return Ok(None);
        }
        let token = vigil_store::accounts::new_token()?;
        *self.setup.lock().unwrap_or_else(PoisonError::into_inner) = Some(token_hash(&token));
        Ok(Some(token))
    }

    fn setup_matches(&self, token: &str) -> bool {
        self.setup
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            .is_some_and(|h| h == token_hash(token))
    }

    fn consume_setup(&self) {
        *self.setup.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Runs blocking store work (Argon2 included) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    acc: &Accounts,
    f: impl FnOnce(&Store) -> T + Send + 'static,
) -> Result<T, Response> {
    let store = acc.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "blocking task failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        })
}

/// The value of cookie `name`.
#[must_use]
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_owned())
        })
}

fn is_https(acc: &Accounts, headers: &HeaderMap) -> bool {
    acc.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

fn session_cookie(acc: &Accounts, headers: &HeaderMap, value: &str, max_age: i64) -> HeaderValue {
    let secure = if is_https(acc, headers) {
        "; Secure"
    } else {
        ""
    };
    let c = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("vigil_session=; Path=/"))
}

fn with_cookie(mut res: Response, c: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, c);
    res
}

/// `?lang=` and `?next=`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    next: Option<String>,
    org: Option<String>,
}

impl PageQuery {
    /// Only a language choice (`?lang=`).
    pub(crate) fn with_lang(lang: Option<String>) -> PageQuery {
        PageQuery {
            lang,
            ..PageQuery::default()
        }
    }
}

pub(crate) fn chrome<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    path: &str,
    user: Option<&User>,
) -> Chrome<'a> {
    let pref = user.and_then(|u| u.language.as_deref());
    let lang = Lang::negotiate(q.lang.as_deref().or(pref), headers);
    Chrome {
        t: Tr::new(&state.catalog, lang),
        lang: lang.code(),
        other: lang.other().code(),
        path: path.to_owned(),
        law_version: state.law.version().to_owned(),
        signed_in: user.is_some() || cookie(headers, SESSION_COOKIE).is_some(),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    c: Chrome<'a>,
    title: String,
    text: String,
}

pub(crate) fn message(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    key: &str,
) -> Response {
    let c = chrome(state, headers, &PageQuery::default(), "/", None);
    let title = c.t.get(key);
    let text = c.t.get(&format!("{key}-text"));
    page(status, &MessagePage { c, title, text })
}

fn not_found(state: &AppState, headers: &HeaderMap) -> Response {
    message(state, headers, StatusCode::NOT_FOUND, "not-found")
}

fn accounts_of(state: &AppState, headers: &HeaderMap) -> Result<Accounts, Response> {
    state.accounts.clone().ok_or_else(|| {
        message(
            state,
            headers,
            StatusCode::SERVICE_UNAVAILABLE,
            "no-database",
        )
    })
}

/// The signed-in user of a page request, from the session cookie; otherwise the request is
/// answered with a redirect to the sign-in page.
pub struct CurrentUser {
    /// The user.
    pub user: User,
    /// The session token (from the cookie).
    pub session: String,
    accounts: Accounts,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<CurrentUser, Response> {
        let acc = accounts_of(state, &parts.headers)?;
        let next = parts.uri.path().to_owned();
        let to_login = || see_other(&format!("/login?next={}", encode(&next)));
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let t = token.clone();
        match blocking(&acc, move |s| s.session_user(&t)).await? {
            Ok(Some(user)) => Ok(CurrentUser {
                user,
                session: token,
                accounts: acc,
            }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(internal(&e)),
        }
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A safe place to go after signing in: a local path only (no open redirect).
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .map(str::to_owned)
}

impl CurrentUser {
    /// The user's scope in `org_id`: 404 unless a member.
    pub(crate) async fn scope(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        org_id: String,
    ) -> Result<OrgScope, Response> {
        let uid = self.user.id.clone();
        match blocking(&self.accounts, move |s| s.scope(&uid, &org_id)).await? {
            Ok(Some(scope)) => Ok(scope),
            Ok(None) => Err(not_found(state, headers)),
            Err(e) => Err(internal(&e)),
        }
    }

    pub(crate) async fn orgs(&self) -> Result<Vec<(Organisation, Role)>, Response> {
        let uid = self.user.id.clone();
        blocking(&self.accounts, move |s| s.memberships_of(&uid))
            .await?
            .map_err(|e| internal(&e))
    }
}

/// The catalogue key of an account error shown next to a field, and that field.
fn field_error(e: &AccountError) -> Option<(&'static str, &'static str)> {
    Some(match e {
        AccountError::Invalid {
            field: "password", ..
        } => ("password", "err-password-short"),
        AccountError::Invalid {
            field: "new_password",
            ..
        } => ("new_password", "err-password-short"),
        AccountError::Invalid { field: "email", .. } => ("email", "err-email"),
        AccountError::Invalid { field, .. } => (field, "err-name"),
        AccountError::EmailTaken(_) => ("email", "err-email-taken"),
        AccountError::NoSuchUser => ("email", "err-no-such-user"),
        AccountError::AlreadyMember => ("email", "err-already-member"),
        AccountError::LastAdmin => ("role", "err-last-admin"),
        AccountError::WrongPassword => ("current_password", "err-wrong-password"),
        _ => return None,
    })
}

fn errors_of(c: &Chrome<'_>, e: &AccountError) -> Result<BTreeMap<String, String>, Response> {
    match field_error(e) {
        Some((field, key)) => Ok(BTreeMap::from([(field.to_owned(), c.t.get(key))])),
        None => Err(internal(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// First start.

/// The setup form.
#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    c: Chrome<'a>,
    action: String,
    form: SetupForm,
    errors: BTreeMap<String, String>,
}

/// `GET /setup/{token}`: the form creating the first administrator and their organisation.
pub async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path(token): Path<String>,
) -> Response {
    let Some(acc) = state.accounts.as_ref().filter(|a| a.setup_matches(&token)) else {
        return not_found(&state, &headers);
    };
    let _ = acc;
    let path = format!("/setup/{token}");
    let c = chrome(&state, &headers, &q, &path, None);
    page(
        StatusCode::OK,
        &SetupPage {
            c,
            action: path,
            form: SetupForm::default(),
            errors: BTreeMap::new(),
        },
    )
}

/// `POST /setup/{token}`.
pub async fn setup_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Response {
    let Some(acc) = state.accounts.clone().filter(|a| a.setup_matches(&token)) else {
        return not_found(&state, &headers);
    };
    let path = format!("/setup/{token}");
    let c = chrome(&state, &headers, &q, &path, None);
    let mut errors = BTreeMap::new();
    if form.password != form.password_confirm {
        errors.insert(
            "password_confirm".to_owned(),
            c.t.get("err-password-mismatch"),
        );
    }
    if errors.is_empty() {
        let (email, name, org, pw) = (
            form.email.clone(),
            form.display_name.clone(),
            form.org_name.clone(),
            form.password.clone(),
        );
        let created = blocking(&acc, move |s| {
            let (user, org) = s.create_first_admin(
                &NewUser {
                    email: &email,
                    display_name: &name,
                    password: &pw,
                },
                &org,
            )?;
            let session = s.start_session(&user.id)?;
            Ok::<_, AccountError>((org, session))
        })
        .await;
        match created {
            Err(r) => return r,
            Ok(Ok((org, session))) => {
                acc.consume_setup();
                tracing::info!("first administrator created");
                let cookie = session_cookie(&acc, &headers, &session, SESSION_MAX_AGE);
                return with_cookie(see_other(&format!("/orgs/{}", org.id)), cookie);
            }
            Ok(Err(AccountError::SetupDone)) => {
                acc.consume_setup();
                return not_found(&state, &headers);
            }
            Ok(Err(e)) => match errors_of(&c, &e) {
                Ok(e) => errors = e,
                Err(r) => return r,
            },
        }
    }
    let form = SetupForm {
        password: String::new(),
        password_confirm: String::new(),
        ..form
    };
    page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SetupPage {
            c,
            action: path,
            form,
            errors,
        },
    )
}

/// The cookie's lifetime in seconds (the session's idle expiry is enforced by the server).
const SESSION_MAX_AGE: i64 = 12 * 3600;

// ---------------------------------------------------------------------------------------------
// Sign-in, sign-out.

/// The sign-in form.
#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    c: Chrome<'a>,
    email: String,
    next: String,
    error: Option<String>,
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Err(r) = accounts_of(&state, &headers) {
        return r;
    }
    let next = safe_next(q.next.as_deref()).unwrap_or_default();
    let c = chrome(&state, &headers, &q, "/login", None);
    page(
        StatusCode::OK,
        &LoginPage {
            c,
            email: String::new(),
            next,
            error: None,
        },
    )
}

/// `POST /login`: on success a new session (the old one, if any, is ended: the id is rotated).
///
/// Attempts are limited per client address ([`crate::ratelimit`]): beyond the limit, 429 with
/// `Retry-After` (a page, or problem details for a client asking for JSON), before any password
/// is checked.
pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    crate::ratelimit::ClientIp(ip): crate::ratelimit::ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let acc = match accounts_of(&state, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(wait) = acc.login_limiter.check(ip) {
        tracing::warn!(client = ?ip, "sign-in attempts over the per-address limit");
        return login_rate_limited(&state, &headers, &q, &form, wait);
    }
    let old = cookie(&headers, SESSION_COOKIE);
    let (email, pw) = (form.email.clone(), form.password.clone());
    let outcome = match blocking(&acc, move |s| s.login(&email, &pw, old.as_deref())).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let c = chrome(&state, &headers, &q, "/login", None);
    let mut retry_after = None;
    let (status, error) = match outcome {
        LoginOutcome::Success { user, session } => {
            let to = match safe_next(Some(&form.next)) {
                Some(n) => n,
                None => {
                    let uid = user.id.clone();
                    match blocking(&acc, move |s| s.memberships_of(&uid)).await {
                        Ok(Ok(orgs)) if orgs.len() == 1 => format!("/orgs/{}", orgs[0].0.id),
                        _ => "/orgs".to_owned(),
                    }
                }
            };
            let cookie = session_cookie(&acc, &headers, &session, SESSION_MAX_AGE);
            return with_cookie(see_other(&to), cookie);
        }
        LoginOutcome::BadCredentials => (StatusCode::UNAUTHORIZED, c.t.get("login-bad")),
        LoginOutcome::Locked { until } => {
            let at = time::OffsetDateTime::from_unix_timestamp(until / 1_000_000)
                .ok()
                .and_then(|t| {
                    t.format(time::macros::format_description!("[hour]:[minute]"))
                        .ok()
                })
                .unwrap_or_default();
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            retry_after = Some((until / 1_000_000 - now).max(1));
            (
                StatusCode::TOO_MANY_REQUESTS,
                format!("{} {at} UTC.", c.t.get("login-locked")),
            )
        }
    };
    let mut res = page(
        status,
        &LoginPage {
            c,
            email: form.email,
            next: safe_next(Some(&form.next)).unwrap_or_default(),
            error: Some(error),
        },
    );
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// 429 for a client over the sign-in limit: the sign-in page with the message, or problem details
/// when the client asks for JSON; `Retry-After` in seconds either way.
fn login_rate_limited(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    form: &LoginForm,
    wait: u64,
) -> Response {
    let c = chrome(state, headers, q, "/login", None);
    let message = format!(
        "{} {wait} {}",
        c.t.get("login-rate-limited"),
        c.t.get("login-rate-limited-seconds")
    );
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let mut res = if wants_json {
        Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many sign-in attempts",
            message,
        )
        .into_response()
    } else {
        page(
            StatusCode::TOO_MANY_REQUESTS,
            &LoginPage {
                c,
                email: form.email.clone(),
                next: safe_next(Some(&form.next)).unwrap_or_default(),
                error: Some(message),
            },
        )
    };
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    res
}

/// `POST /logout`: ends the session in the database and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let acc = match accounts_of(&state, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        match blocking(&acc, move |s| s.logout(&token)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return internal(&e),
            Err(r) => return r,
        }
    }
    let cleared = session_cookie(&acc, &headers, "", 0);
    with_cookie(see_other("/login"), cleared)
}

// ---------------------------------------------------------------------------------------------
// The account: password, language.

/// The password form.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

/// The language form.
#[derive(Debug, Default, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    c: Chrome<'a>,
    user: User,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
}

fn account_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    user: User,
    status: StatusCode,
    errors: BTreeMap<String, String>,
    notice_key: Option<&str>,
) -> Response {
    let c = chrome(state, headers, q, "/account", Some(&user));
    let notice = notice_key.map(|k| c.t.get(k));
    page(
        status,
        &AccountPage {
            c,
            user,
            errors,
            notice,
        },
    )
}

/// `GET /account`.
pub async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    me: CurrentUser,
) -> Response {
    account_page(
        &state,
        &headers,
        &q,
        me.user,
        StatusCode::OK,
        BTreeMap::new(),
        None,
    )
}

/// `POST /account/password`: checks the current password, sets the new one, ends the user's
/// other sessions.
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    me: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Response {
    let c = chrome(&state, &headers, &q, "/account", Some(&me.user));
    let mut errors = BTreeMap::new();
    if form.new_password != form.new_password_confirm {
        errors.insert(
            "new_password_confirm".to_owned(),
            c.t.get("err-password-mismatch"),
        );
    } else {
        let (uid, cur, new, keep) = (
            me.user.id.clone(),
            form.current_password,
            form.new_password,
            me.session.clone(),
        );
        match blocking(&me.accounts, move |s| {
            s.change_password(&uid, &cur, &new, Some(&keep))
        })
        .await
        {
            Err(r) => return r,
            Ok(Ok(())) => {
                drop(c);
                return account_page(
                    &state,
                    &headers,
                    &q,
                    me.user,
                    StatusCode::OK,
                    errors,
                    Some("password-changed"),
                );
            }
            Ok(Err(e)) => match errors_of(&c, &e) {
                Ok(e) => errors = e,
                Err(r) => return r,
            },
        }
    }
    drop(c);
    account_page(
        &state,
        &headers,
        &q,
        me.user,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        None,
    )
}

/// `POST /account/language`: `en`, `fr`, or empty for the browser's.
pub async fn change_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    me: CurrentUser,
    Form(form): Form<LanguageForm>,
) -> Response {
    let lang = match form.language.as_str() {
        "" => None,
        "en" | "fr" => Some(form.language.clone()),
        _ => {
            return message(
                &state,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad-request",
            );
        }
    };
    let uid = me.user.id.clone();
    match blocking(&me.accounts, move |s| s.set_language(&uid, lang.as_deref())).await {
        Ok(Ok(())) => see_other("/account"),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Organisations.

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage<'a> {
    c: Chrome<'a>,
    orgs: Vec<(Organisation, Role)>,
    name: String,
    errors: BTreeMap<String, String>,
}

/// The new-organisation form.
#[derive(Debug, Default, Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    name: String,
}

/// `GET /orgs`: the user's organisations; `?org=ID` (the switcher) goes to one.
pub async fn list_orgs(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    me: CurrentUser,
) -> Response {
    if let Some(org) = q.org.as_deref().filter(|o| !o.is_empty()) {
        return match me.scope(&state, &headers, org.to_owned()).await {
            Ok(s) => see_other(&format!("/orgs/{}", s.org_id())),
            Err(r) => r,
        };
    }
    let orgs = match me.orgs().await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let c = chrome(&state, &headers, &q, "/orgs", Some(&me.user));
    page(
        StatusCode::OK,
        &OrgsPage {
            c,
            orgs,
            name: String::new(),
            errors: BTreeMap::new(),
        },
    )
}

/// `POST /orgs`: creates an organisation; its creator becomes its administrator.
pub async fn create_org(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    me: CurrentUser,
    Form(form): Form<OrgForm>,
) -> Response {
    let (uid, name) = (me.user.id.clone(), form.name.clone());
    let created = match blocking(&me.accounts, move |s| s.create_org(&uid, &name)).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let c = chrome(&state, &headers, &q, "/orgs", Some(&me.user));
    let errors = match created {
        Ok(org) => return see_other(&format!("/orgs/{}", org.id)),
        Err(e) => match errors_of(&c, &e) {
            Ok(e) => e,
            Err(r) => return r,
        },
    };
    let orgs = match me.orgs().await {
        Ok(o) => o,
        Err(r) => return r,
    };
    page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &OrgsPage {
            c,
            orgs,
            name: form.name,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    role: Role,
    manage: bool,
    orgs: Vec<(Organisation, Role)>,
    blocked: Vec<vigil_store::records::OperationRecord>,
    lists: Vec<crate::dashboard::ListFreshness>,
    lists_stale: bool,
    read_audit: bool,
    /// Upcoming deadlines of the authorisations register (rendered by [`crate::licences`]).
    deadlines_panel: String,
    /// Parties with new screening hits (rendered by [`crate::party_screening`]).
    new_hits_panel: String,
}

/// `GET /orgs/{org}`: the organisation's home, with the switcher.
pub async fn show_org(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    web::Member { me, scope }: web::Member,
) -> Response {
    let orgs = match me.orgs().await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let s2 = scope.clone();
    let (blocked, served) = match blocking(&me.accounts, move |s| {
        Ok::<_, vigil_store::StoreError>((
            crate::records::blocked_operations(s, &s2)?,
            s.served_lists()?,
        ))
    })
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let lists = crate::dashboard::freshness(&served, time::OffsetDateTime::now_utc());
    let c = chrome(
        &state,
        &headers,
        &q,
        &format!("/orgs/{}", scope.org_id()),
        Some(&me.user),
    );
    let deadlines_panel = crate::licences::org_panel(&state, &c, &scope).await;
    let new_hits_panel = crate::party_screening::org_panel(&state, &c, &scope).await;
    page(
        StatusCode::OK,
        &OrgPage {
            c,
            org: scope.org().clone(),
            role: scope.role(),
            manage: scope.role().allows(Action::ManageMembers),
            orgs,
            blocked,
            lists_stale: lists.iter().any(|l| l.stale),
            lists,
            read_audit: scope.role().allows(Action::ReadAudit),
            deadlines_panel,
            new_hits_panel,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Members (administrators).

/// The add-member form.
#[derive(Debug, Default, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

/// The change-role form.
#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    members: Vec<Member>,
    roles: [Role; 4],
    form: MemberForm,
    errors: BTreeMap<String, String>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn members_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: OrgScope,
    status: StatusCode,
    form: MemberForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let org = scope.org().clone();
    let fetch = |s: &Store, sc: &OrgScope| s.members(sc);
    org_page(
        state,
        headers,
        q,
        me,
        &scope,
        "members",
        status,
        fetch,
        |c, members| MembersPage {
            c,
            org,
            members,
            roles: Role::ALL,
            form: MemberForm {
                password: String::new(),
                ..form
            },
            errors,
        },
    )
    .await
}

/// `GET /orgs/{org}/members`.
pub async fn list_members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    web::Member { me, scope }: web::Member,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::ManageMembers) {
        return r;
    }
    members_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::OK,
        MemberForm::default(),
        BTreeMap::new(),
    )
    .await
}

/// `POST /orgs/{org}/members`: adds a user by e-mail with a role (creating them when a name and
/// an initial password are given and no user has the e-mail).
pub async fn add_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    web::Member { me, scope }: web::Member,
    Form(form): Form<MemberForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::ManageMembers) {
        return r;
    }
    let c = chrome(&state, &headers, &q, "/", Some(&me.user));
    let errors = if let Some(role) = parse_role(&form.role) {
        let (s2, email, name, pw) = (
            scope.clone(),
            form.email.clone(),
            form.display_name.clone(),
            form.password.clone(),
        );
        let added = blocking(&me.accounts, move |s| {
            let new = (!pw.is_empty()).then_some((name.as_str(), pw.as_str()));
            s.add_member(&s2, &email, role, new)
        })
        .await;
        match added {
            Err(r) => return r,
            Ok(Ok(_)) => return see_other(&format!("/orgs/{}/members", scope.org_id())),
            Ok(Err(e)) => match errors_of(&c, &e) {
                Ok(e) => e,
                Err(r) => return r,
            },
        }
    } else {
        BTreeMap::from([("role".to_owned(), c.t.get("err-role"))])
    };
    drop(c);
    members_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
    )
    .await
}

/// `POST /orgs/{org}/members/{user}/role`.
pub async fn change_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, user)): Path<(String, String)>,
    web::Member { me, scope }: web::Member,
    Form(form): Form<RoleForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::ManageMembers) {
        return r;
    }
    let c = chrome(&state, &headers, &q, "/", Some(&me.user));
    let errors = if let Some(role) = parse_role(&form.role) {
        let s2 = scope.clone();
        match blocking(&me.accounts, move |s| s.change_role(&s2, &user, role)).await {
            Err(r) => return r,
            Ok(Ok(())) => return see_other(&format!("/orgs/{}/members", scope.org_id())),
            Ok(Err(AccountError::NotFound)) => return not_found(&state, &headers),
            Ok(Err(e)) => match errors_of(&c, &e) {
                Ok(e) => e,
                Err(r) => return r,
            },
        }
    } else {
        BTreeMap::from([("role".to_owned(), c.t.get("err-role"))])
    };
    drop(c);
    members_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::UNPROCESSABLE_ENTITY,
        MemberForm::default(),
        errors,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// API tokens.

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    tokens: Vec<ApiToken>,
    created: Option<String>,
    errors: BTreeMap<String, String>,
}

impl TokensPage<'_> {
    fn when(&self, t: &i64) -> String {
        self.c.when(t)
    }

    fn when_opt(&self, t: &Option<i64>) -> String {
        t.as_ref()
            .map_or_else(|| self.c.t.get("never"), |t| self.c.when(t))
    }
}

/// The new-token form.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn tokens_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: OrgScope,
    status: StatusCode,
    created: Option<String>,
    errors: BTreeMap<String, String>,
) -> Response {
    let org = scope.org().clone();
    let fetch = |s: &Store, sc: &OrgScope| s.tokens(sc);
    org_page(
        state,
        headers,
        q,
        me,
        &scope,
        "tokens",
        status,
        fetch,
        |c, tokens| TokensPage {
            c,
            org,
            tokens,
            created,
            errors,
        },
    )
    .await
}

/// `GET /orgs/{org}/tokens`: the user's API tokens in this organisation.
pub async fn list_tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    web::Member { me, scope }: web::Member,
) -> Response {
    tokens_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::OK,
        None,
        BTreeMap::new(),
    )
    .await
}

/// `POST /orgs/{org}/tokens`: creates a token, shown once.
pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    web::Member { me, scope }: web::Member,
    Form(form): Form<TokenForm>,
) -> Response {
    let s2 = scope.clone();
    match blocking(&me.accounts, move |s| s.create_token(&s2, &form.name)).await {
        Err(r) => r,
        Ok(Ok((_, raw))) => {
            tokens_page(
                &state,
                &headers,
                &q,
                &me,
                scope,
                StatusCode::OK,
                Some(raw),
                BTreeMap::new(),
            )
            .await
        }
        Ok(Err(e)) => {
            let c = chrome(&state, &headers, &q, "/", Some(&me.user));
            let errors = match errors_of(&c, &e) {
                Ok(e) => e,
                Err(r) => return r,
            };
            drop(c);
            tokens_page(
                &state,
                &headers,
                &q,
                &me,
                scope,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                errors,
            )
            .await
        }
    }
}

/// `POST /orgs/{org}/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
    web::Member { me, scope }: web::Member,
) -> Response {
    let s2 = scope.clone();
    match blocking(&me.accounts, move |s| s.revoke_token(&s2, &id)).await {
        Err(r) => r,
        Ok(Ok(())) => see_other(&format!("/orgs/{}/tokens", scope.org_id())),
        Ok(Err(AccountError::NotFound)) => not_found(&state, &headers),
        Ok(Err(e)) => internal(&e),
    }
}

// ---------------------------------------------------------------------------------------------
// The API's bearer tokens.

/// A request of the JSON API authenticated by `Authorization: Bearer …`; otherwise 401 problem
/// details.
pub struct ApiCaller {
    /// The user the token acts as.
    pub user: User,
    /// The organisation it acts in, with the user's role there.
    pub scope: OrgScope,
    accounts: Accounts,
}

fn unauthorized(detail: &str) -> Response {
    let mut res = Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Unauthenticated",
        detail,
    )
    .into_response();
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"vigil\""),
    );
    res
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ApiCaller, Response> {
        let Some(acc) = state.accounts.clone() else {
            return Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no-database",
                "No database",
                "this server runs without a database",
            )
            .into_response());
        };
        let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned())
        else {
            return Err(unauthorized(
                "an API token is needed: `Authorization: Bearer vgl_…` (create one on your organisation's token page)",
            ));
        };
        // Kept in memory (dropped by any write): no trip to a blocking thread.
        let r = match acc.store.token_auth_kept(&token) {
            Some(hit) => Ok(Some(hit)),
            None => blocking(&acc, move |s| s.token_auth(&token)).await?,
        };
        match r {
            Ok(Some((user, scope))) => Ok(ApiCaller {
                user,
                scope,
                accounts: acc,
            }),
            Ok(None) => Err(unauthorized("the API token is unknown or revoked")),
            Err(e) => Err(internal(&e)),
        }
    }
}

/// Who an API token acts as.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user's id.
    pub user_id: String,
    /// The user's e-mail.
    pub email: String,
    /// The organisation's id.
    pub org_id: String,
    /// The organisation's name.
    pub org_name: String,
    /// The user's role there: `admin`, `officer`, `operator` or `auditor`.
    #[schema(value_type = String, example = "operator")]
    pub role: Role,
}

/// `GET /api/v1/me`: the token's user, organisation and role.
#[utoipa::path(get, path = "/api/v1/me",
    responses((status = 200, description = "The token's user, organisation and role", body = Me),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "accounts")]
pub async fn api_me(caller: ApiCaller) -> Json<Me> {
    Json(Me {
        user_id: caller.user.id,
        email: caller.user.email,
        org_id: caller.scope.org_id().to_owned(),
        org_name: caller.scope.org().name.clone(),
        role: caller.scope.role(),
    })
}

/// A member as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiMember {
    /// User id.
    pub user_id: String,
    /// E-mail.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Role in the organisation: `admin`, `officer`, `operator` or `auditor`.
    #[schema(value_type = String, example = "officer")]
    pub role: Role,
}

/// `GET /api/v1/members`: the members of the token's organisation.
#[utoipa::path(get, path = "/api/v1/members",
    responses((status = 200, description = "The members of the token's organisation, with their roles", body = [ApiMember]),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "accounts")]
pub async fn api_members(caller: ApiCaller) -> Response {
    let scope = caller.scope.clone();
    match blocking(&caller.accounts, move |s| s.members(&scope)).await {
        Ok(Ok(m)) => Json(
            m.into_iter()
                .map(|m| ApiMember {
                    user_id: m.user.id,
                    email: m.user.email,
                    display_name: m.user.display_name,
                    role: m.role,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// Date of a microsecond timestamp, for pages (`YYYY-MM-DD HH:MM` UTC).
#[must_use]
pub fn when(micros: &i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(micros / 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_default()
}
