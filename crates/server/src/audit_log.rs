//! The audit log on the web: `/orgs/{org}/audit` (filter by action, actor and date range; newest
//! first, a page at a time; the verification of the organisation's hash chain at the top) and
//! `/orgs/{org}/audit.csv` (the filtered records in chain order with their hashes, the export an
//! inspector re-verifies).
//!
//! Only roles allowed [`Action::ReadAudit`] (admin, officer, auditor) read it: others get 403; a
//! non-member 404. Every read goes through the member's [`OrgScope`]: the organisation's own chain
//! only.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use vigil_domain::access::Action;
use vigil_domain::audit::{AuditRecord, ChainError};
use vigil_store::accounts::OrgScope;
use vigil_store::{AuditFilter, Store};

use crate::AppState;
use crate::accounts::PageQuery;
use crate::ui::Chrome;
use crate::web::{Member, internal, load, require, run, status_of};

/// Records per page.
pub const PAGE_SIZE: u64 = 50;

/// The filters of the page and of the export (`?action=&actor=&from=&to=&before=`).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    /// An action, or a prefix of one (`member.`, `item`).
    #[serde(default)]
    action: String,
    /// A member's e-mail, name or id, or another actor (`cli`).
    #[serde(default)]
    actor: String,
    /// From this day (YYYY-MM-DD, UTC, inclusive).
    #[serde(default)]
    from: String,
    /// Up to this day (YYYY-MM-DD, UTC, inclusive).
    #[serde(default)]
    to: String,
    /// Records before this position (the next page).
    before: Option<u64>,
    lang: Option<String>,
}

/// A record as the page shows it.
pub struct AuditRow {
    /// The record.
    pub rec: AuditRecord,
    /// Who, by name when a member.
    pub by: String,
    /// The detail as JSON text.
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    c: Chrome<'a>,
    org_id: String,
    org_name: String,
    q: AuditQuery,
    errors: BTreeMap<String, String>,
    verified: Result<u64, ChainError>,
    rows: Vec<AuditRow>,
    next: Option<String>,
    first: Option<String>,
    csv: String,
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl AuditQuery {
    /// The filters as a query string (no page, no language).
    fn filters(&self) -> String {
        [
            ("action", &self.action),
            ("actor", &self.actor),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The store filter of a query (`members`: e-mail or name → user id, to resolve the actor), and
/// the fields in error (catalogue keys).
fn store_filter(
    q: &AuditQuery,
    members: &BTreeMap<String, (String, String)>,
) -> (AuditFilter, BTreeMap<String, &'static str>) {
    let mut errors = BTreeMap::new();
    let day = |field: &'static str, text: &str, errors: &mut BTreeMap<String, &'static str>| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let parsed = time::Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        );
        if parsed.is_err() {
            errors.insert(field.to_owned(), "err-audit-date");
        }
        parsed.ok()
    };
    let from = day("from", &q.from, &mut errors);
    let to = day("to", &q.to, &mut errors);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.insert("to".to_owned(), "err-audit-range");
    }
    let midnight = |d: time::Date| format!("{d}T00:00:00.000000Z");
    let actor = q.actor.trim();
    let actor = (!actor.is_empty()).then(|| {
        members
            .iter()
            .find(|(id, (email, name))| {
                *id == actor
                    || email.eq_ignore_ascii_case(actor)
                    || (!name.is_empty() && name == actor)
            })
            .map_or_else(|| actor.to_owned(), |(id, _)| id.clone())
    });
    let action = q.action.trim();
    let filter = AuditFilter {
        since: from.map(midnight),
        until: to.and_then(|d| d.next_day()).map(midnight),
        actor,
        // A prefix: `item` finds `item.created` and `item.classified`.
        action: (!action.is_empty()).then(|| action.to_owned()),
        action_prefix: true,
        ..AuditFilter::default()
    };
    (filter, errors)
}

/// The members of the scope's organisation: id → (e-mail, name).
fn members_of(
    store: &Store,
    scope: &OrgScope,
) -> Result<BTreeMap<String, (String, String)>, vigil_store::StoreError> {
    Ok(store
        .members(scope)?
        .into_iter()
        .map(|m| (m.user.id, (m.user.email, m.user.display_name)))
        .collect())
}

/// `GET /orgs/{org}/audit`: the verification of the chain, the filters, a page of records.
pub async fn audit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
    Member { me, scope }: Member,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::ReadAudit) {
        return r;
    }
    let (s2, q2) = (scope.clone(), q.clone());
    let loaded = load(&state, move |store| {
        let members = members_of(store, &s2)?;
        let (filter, errors) = store_filter(&q2, &members);
        let verified = store.verify_audit(s2.org_id())?;
        let records = if errors.is_empty() {
            store.audit_records(
                s2.org_id(),
                &AuditFilter {
                    newest_first: true,
                    to_seq: q2.before.map(|b| b.saturating_sub(1)),
                    limit: Some(PAGE_SIZE + 1),
                    ..filter
                },
            )?
        } else {
            Vec::new()
        };
        Ok::<_, vigil_store::StoreError>((members, errors, verified, records))
    })
    .await;
    let (members, errors, verified, mut records) = match loaded {
        Ok(l) => l,
        Err(r) => return r,
    };
    let base = format!("/orgs/{}/audit", scope.org_id());
    let filters = q.filters();
    let with = |extra: String| {
        let qs = [filters.clone(), extra]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if qs.is_empty() {
            base.clone()
        } else {
            format!("{base}?{qs}")
        }
    };
    let more = records.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    records.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let next = more
        .then(|| records.last().map(|r| with(format!("before={}", r.seq))))
        .flatten();
    let first = q.before.map(|_| with(String::new()));
    let csv = format!(
        "/orgs/{}/audit.csv{}",
        scope.org_id(),
        if filters.is_empty() {
            String::new()
        } else {
            format!("?{filters}")
        }
    );
    let rows = records
        .into_iter()
        .map(|rec| AuditRow {
            by: members
                .get(&rec.event.actor)
                .map(|(email, name)| {
                    if name.is_empty() {
                        email.clone()
                    } else {
                        name.clone()
                    }
                })
                .unwrap_or_else(|| rec.event.actor.clone()),
            detail: rec.event.detail.to_string(),
            rec,
        })
        .collect();
    let c = crate::accounts::chrome(
        &state,
        &headers,
        &PageQuery::with_lang(q.lang.clone()),
        &base,
        Some(&me.user),
    );
    let errors: BTreeMap<String, String> = errors
        .into_iter()
        .map(|(field, key)| (field, c.t.get(key)))
        .collect();
    let status = status_of(&errors);
    let tpl = AuditPage {
        c,
        org_id: scope.org_id().to_owned(),
        org_name: scope.org().name.clone(),
        q,
        errors,
        verified,
        rows,
        next,
        first,
        csv,
    };
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

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The CSV export's header, the same as `vigil audit list --csv`.
pub const CSV_HEADER: [&str; 9] = [
    "org_id",
    "seq",
    "at",
    "actor",
    "action",
    "subject",
    "detail",
    "prev_hash",
    "hash",
];

/// Records as CSV, in the order given.
#[must_use]
pub fn to_csv(records: &[AuditRecord]) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for r in records {
        let e = &r.event;
        let fields = [
            e.org_id.clone(),
            r.seq.to_string(),
            e.at.clone(),
            e.actor.clone(),
            e.action.clone(),
            e.subject.clone(),
            e.detail.to_string(),
            r.prev_hash.clone(),
            r.hash.clone(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// `GET /orgs/{org}/audit.csv`: the (filtered) records in chain order, with their hashes.
pub async fn audit_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
    Member { me: _, scope }: Member,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::ReadAudit) {
        return r;
    }
    let s2 = scope.clone();
    let loaded = run(&state, move |store| {
        let members = members_of(store, &s2)?;
        let (filter, errors) = store_filter(&q, &members);
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        store.audit_records(s2.org_id(), &filter).map(Ok)
    })
    .await;
    let records = match loaded {
        Ok(Ok(Ok(r))) => r,
        Ok(Ok(Err(errors))) => {
            let fields = errors.keys().cloned().collect::<Vec<_>>().join(", ");
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid filter: {fields} (dates are YYYY-MM-DD)"),
            )
                .into_response();
        }
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let mut res = to_csv(&records).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let file: String = scope
        .org_id()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"audit-{file}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(action: &str, actor: &str, from: &str, to: &str) -> AuditQuery {
        AuditQuery {
            action: action.into(),
            actor: actor.into(),
            from: from.into(),
            to: to.into(),
            ..AuditQuery::default()
        }
    }

    #[test]
    fn filters_become_store_filters() {
        let mut members = BTreeMap::new();
        members.insert(
            "u1".to_owned(),
            ("ann@example.com".to_owned(), "Ann".to_owned()),
        );
        let (f, e) = store_filter(
            &query("item", "ANN@example.com", "2026-11-01", "2026-11-30"),
            &members,
        );
        assert!(e.is_empty());
        assert_eq!(f.action.as_deref(), Some("item"));
        assert!(f.action_prefix);
        assert_eq!(f.actor.as_deref(), Some("u1"));
        assert_eq!(f.since.as_deref(), Some("2026-11-01T00:00:00.000000Z"));
        assert_eq!(f.until.as_deref(), Some("2026-12-01T00:00:00.000000Z"));
        let (f, _) = store_filter(&query("member.added", "cli", "", ""), &members);
        assert_eq!(f.action.as_deref(), Some("member.added"));
        assert_eq!(f.actor.as_deref(), Some("cli"));
        let (_, e) = store_filter(&query("", "", "2026-13-01", "2026-01-01"), &members);
        assert_eq!(e.get("from"), Some(&"err-audit-date"));
        let (_, e) = store_filter(&query("", "", "2026-02-01", "2026-01-01"), &members);
        assert_eq!(e.get("to"), Some(&"err-audit-range"));
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(
            csv_field(r#"{"a":1,"b":"x"}"#),
            r#""{""a"":1,""b"":""x""}""#
        );
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
