//! What the page handlers share: running store work off the async threads, answering a store
//! failure, rendering a page, and the [`Member`] extractor (the signed-in member of the
//! organisation in the path, with the page's role checks).

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use vigil_domain::access::Action;
use vigil_store::Store;
use vigil_store::accounts::OrgScope;

use crate::AppState;
use crate::accounts::{CurrentUser, PageQuery, blocking, chrome, message};
use crate::ui::Chrome;

/// A microsecond timestamp (UTC) as RFC 3339, for the JSON API; empty when out of range.
pub(crate) fn rfc3339(micros: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Runs blocking store work off the async threads.
pub(crate) async fn run<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> T + Send + 'static,
) -> Result<T, Response> {
    let Some(acc) = &state.accounts else {
        return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
    };
    blocking(acc, f).await
}

/// A store failure: logged with its chain of causes, answered with 500.
pub(crate) fn internal(e: &dyn std::error::Error) -> Response {
    let mut chain = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    tracing::error!(error = %chain, "store failure");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// A rendered page (never cached), or 500 when it does not render.
pub(crate) fn page<T: Template>(status: StatusCode, tpl: &T) -> Response {
    match tpl.render() {
        Ok(body) => {
            let mut res = (status, Html(body)).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// 200 without errors on the form, 422 with.
pub(crate) fn status_of<V>(errors: &BTreeMap<String, V>) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// 303 to `to`.
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// 403 unless the member's role allows `action`.
pub(crate) fn require(
    state: &AppState,
    headers: &HeaderMap,
    scope: &OrgScope,
    action: Action,
) -> Result<(), Response> {
    if scope.role().allows(action) {
        Ok(())
    } else {
        Err(message(state, headers, StatusCode::FORBIDDEN, "forbidden"))
    }
}

/// The signed-in user and their scope in the organisation of the path (`{org}`): a redirect to
/// the sign-in page without a session, 404 unless a member.
pub struct Member {
    /// The signed-in user.
    pub me: CurrentUser,
    /// Their scope (organisation and role) in the path's organisation.
    pub scope: OrgScope,
}

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Member, Response> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let me = CurrentUser::from_request_parts(parts, state).await?;
        let org = params.get("org").cloned().unwrap_or_default();
        let scope = me.scope(state, &parts.headers, org).await?;
        Ok(Member { me, scope })
    }
}

/// Store work off the async threads whose failure is answered with 500.
pub(crate) async fn load<T: Send + 'static, E: std::error::Error + Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Result<T, Response> {
    run(state, f).await?.map_err(|e| internal(&e))
}

/// The chrome of the organisation page `/orgs/{org_id}/{section}` for the signed-in `me`.
pub(crate) fn org_chrome<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    org_id: &str,
    section: &str,
) -> Chrome<'a> {
    chrome(
        state,
        headers,
        q,
        &format!("/orgs/{org_id}/{section}"),
        Some(&me.user),
    )
}

/// An organisation page (`/orgs/{org}/{section}`) of what `fetch` loads in the member's scope:
/// the store work off the async threads (500 on failure), then the page `build` makes from the
/// page's chrome and what was loaded, rendered with `status`.
#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
pub(crate) async fn org_page<'a, T, E, P>(
    state: &'a AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: &OrgScope,
    section: &str,
    status: StatusCode,
    fetch: impl FnOnce(&Store, &OrgScope) -> Result<T, E> + Send + 'static,
    build: impl FnOnce(Chrome<'a>, T) -> P,
) -> Response
where
    T: Send + 'static,
    E: std::error::Error + Send + 'static,
    P: Template,
{
    let s2 = scope.clone();
    let loaded = match load(state, move |s| fetch(s, &s2)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let c = org_chrome(state, headers, q, me, scope.org_id(), section);
    page(status, &build(c, loaded))
}

/// A document as a download: its type, its name (ASCII and RFC 5987), never cached.
pub(crate) fn document_download(
    meta: &vigil_store::attachments::Attachment,
    data: Vec<u8>,
) -> Response {
    let ascii: String = meta
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut res = data.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        pct_encode(&meta.filename)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&meta.sha256) {
        h.insert("x-content-sha256", v);
    }
    res
}

/// RFC 5987 encoding of a file name (`filename*=UTF-8''…`).
pub(crate) fn pct_encode(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
