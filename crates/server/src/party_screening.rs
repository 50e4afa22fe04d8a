//! Parties against the served lists: the latest screening of every party, side-by-side hit review,
//! clearances, and rescreening after a list import.
//!
//! When a party is screened:
//! - on creation and on every edit (pages and API), in full against the served index
//!   ([`screen_then`], [`edit_party`]);
//! - when an operation is recorded ([`screen_operation`]): the party records it names (or whose
//!   name and country it gives) bring their stored hits and decisions; any other party of the
//!   OPERATION is screened live; an open hit at or above the alert threshold puts the operation
//!   on hold (`vigil_domain::apply_screening`);
//! - after a list import ([`after_import`], the web import and `vigil lists import`): every party
//!   of every organisation, by delta (see `vigil_store::party_screening`).
//!
//! The party page (`/orgs/{org}/parties/{id}`) shows the latest screening and each hit side by
//! side with the list entry, with "clear as false match" and "confirm match" for the roles that
//! may decide, and the history of decisions. Access: a member reads (404 for anyone else),
//! editing needs [`Action::Enter`], deciding [`Action::Decide`] (403 otherwise); bad input is
//! shown next to its field with 422 and nothing is written.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_http::limit::RequestBodyLimitLayer;
use vigil_domain::ScreeningHit;
use vigil_domain::access::Action;
use vigil_domain::assess::Assessment;
use vigil_screening::score::ALERT_THRESHOLD;
use vigil_store::Store;
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::party_screening::{
    Clearance, HitDecision, HitStatus, ListRef, NewClearance, PartyScreening, RescreenReport,
    ReviewedHit, ScreeningView, search_party,
};
use vigil_store::records::{NewParty, PARTY_ROLES, Party, RecordError};

use crate::accounts::{ApiCaller, PageQuery, chrome, message};
use crate::problem::Problem;
use crate::problem::field_problem;
use crate::screening::Lists;
use crate::ui::Chrome;
use crate::web::rfc3339;
use crate::web::{Member, internal, page, require, run, see_other};
use crate::{AppState, MAX_BODY_BYTES};

/// The routes of this area (pages and API), with their body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/parties/{id}", get(show_party).post(edit_party))
        .route(
            "/orgs/{org}/parties/{id}/hits/{hit}/decision",
            post(decide_hit),
        )
        .route("/api/v1/parties/{id}/screening", get(api_party_screening))
        .route(
            "/api/v1/parties/{id}/hits/{hit}/clearance",
            post(api_decide_hit),
        )
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
}

// ---------------------------------------------------------------------------------------------
// Screening at the right moments.

/// Screens a stored party in full against `lists` and records the result.
///
/// # Errors
/// The store's (a role that may not enter records, an unknown party, a database failure).
pub fn screen_stored_party(
    store: &Store,
    lists: &Lists,
    scope: &OrgScope,
    party: &Party,
    today: time::Date,
) -> Result<ScreeningView, RecordError> {
    let refs: Vec<ListRef> = lists.records.iter().map(ListRef::of).collect();
    let found = search_party(&lists.index, &party.name, &party.country);
    store.screen_party(scope, &party.id, &refs, &found, today)
}

/// Screens a party just created (or changed) and answers `ok`, or 500 when the screening could
/// not be recorded.
pub(crate) async fn screen_then(
    state: &AppState,
    scope: &OrgScope,
    party: &Party,
    ok: Response,
) -> Response {
    let (lists, s2, p2, today) = (
        state.screening.current(),
        scope.clone(),
        party.clone(),
        (state.today)(),
    );
    match run(state, move |s| {
        screen_stored_party(s, &lists, &s2, &p2, today)
    })
    .await
    {
        Ok(Ok(_)) => ok,
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// Rescreens every party of every organisation after a good import (see
/// [`Store::rescreen_after_import`]); logs what it did. A failure is logged: the import stays.
pub fn after_import(store: &Store, import_id: i64, today: time::Date) -> Option<RescreenReport> {
    match store.rescreen_after_import(import_id, today) {
        Ok(r) => {
            tracing::info!(
                import = r.import_id,
                previous = ?r.previous_import,
                added = r.added,
                changed = r.changed,
                removed = r.removed,
                parties = r.parties,
                new_hits = r.new_hits,
                dropped = r.dropped_hits,
                lapsed = r.lapsed,
                held = r.held_operations,
                search_ms = r.search_ms,
                "parties rescreened after the import"
            );
            Some(r)
        }
        Err(e) => {
            tracing::error!(import = import_id, error = %e, "rescreening after the import failed");
            None
        }
    }
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn domain_hit(role: &str, party: &str, h: &ReviewedHit) -> ScreeningHit {
    ScreeningHit {
        role: role.to_owned(),
        party: party.to_owned(),
        list: format!("{} {}", h.hit.list_source, h.hit.list_version),
        entry_id: h.hit.entry_id.clone(),
        name: h.hit.entry_name.clone(),
        matched_alias: h.hit.matched_alias.clone(),
        score: h.hit.score,
        why: h.hit.why.clone(),
        cleared: h.status == HitStatus::Cleared,
    }
}

/// Screens the parties of an assessed operation and applies the result to its assessment: the
/// party records it names (`party_ids`), and those of the organisation with the same name and
/// country as a party of the OPERATION `text` (added to the ids, so that a later list import
/// finds the operation), bring their stored hits with their decisions; any other party is
/// screened live against the served lists. Writes nothing.
///
/// # Errors
/// `Err(Response)` (500) when the store cannot be read.
pub(crate) async fn screen_operation(
    state: &AppState,
    scope: &OrgScope,
    text: &str,
    mut a: Assessment,
    party_ids: Vec<String>,
) -> Result<(Assessment, Vec<String>), Response> {
    let given: Vec<(String, String, String)> = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("parties").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let field = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (field("role"), field("name"), field("country"))
        })
        .collect();
    let (s2, today, ids) = (scope.clone(), (state.today)(), party_ids);
    let lists = state.screening.current();
    let done = run(state, move |s| {
        let all = s.parties(&s2)?;
        let mut ids = ids;
        let mut records: Vec<Party> = Vec::new();
        for id in &ids {
            if let Some(p) = all.iter().find(|p| &p.id == id) {
                records.push(p.clone());
            }
        }
        let mut live: Vec<(String, String, String)> = Vec::new();
        for (role, name, country) in &given {
            let known = records
                .iter()
                .any(|p| norm(&p.name) == norm(name) && p.country.eq_ignore_ascii_case(country));
            if known {
                continue;
            }
            match all.iter().find(|p| {
                norm(&p.name) == norm(name) && p.country.eq_ignore_ascii_case(country.trim())
            }) {
                Some(p) => {
                    ids.push(p.id.clone());
                    records.push(p.clone());
                }
                None => live.push((role.clone(), name.clone(), country.clone())),
            }
        }
        let mut hits = Vec::new();
        for p in &records {
            let role = given
                .iter()
                .find(|(_, n, c)| norm(n) == norm(&p.name) && p.country.eq_ignore_ascii_case(c))
                .map_or(p.role.as_str(), |(r, _, _)| r.as_str())
                .to_owned();
            match s.party_screening(&s2, &p.id, today)? {
                Some((_, view)) if view.screening.is_some() => {
                    hits.extend(view.hits.iter().map(|h| domain_hit(&role, &p.name, h)));
                }
                _ => live.push((role, p.name.clone(), p.country.clone())),
            }
        }
        for (role, name, country) in &live {
            for f in search_party(&lists.index, name, country) {
                let version = lists
                    .records
                    .iter()
                    .find(|r| r.source == f.entry.list)
                    .map(vigil_store::ImportRecord::version_label)
                    .unwrap_or_default();
                hits.push(ScreeningHit {
                    role: role.clone(),
                    party: name.clone(),
                    list: format!("{} {version}", f.entry.list),
                    entry_id: f.entry.entry_id.clone(),
                    name: f.entry.primary_name().to_owned(),
                    matched_alias: f.matched_alias,
                    score: f.score,
                    why: f.why,
                    cleared: false,
                });
            }
        }
        Ok::<_, vigil_store::StoreError>((hits, ids))
    })
    .await?;
    let (hits, ids) = done.map_err(|e| internal(&e))?;
    vigil_domain::apply_screening(&mut a, hits, ALERT_THRESHOLD);
    Ok((a, ids))
}

// ---------------------------------------------------------------------------------------------
// The parties list and the organisation's page.

/// The screening column of the parties list, by party id.
#[derive(Debug, Default)]
pub struct Summaries {
    rows: BTreeMap<String, ScreeningView>,
}

impl Summaries {
    /// The screening of every party of the scope's organisation.
    ///
    /// # Errors
    /// The store's.
    pub fn load(
        store: &Store,
        scope: &OrgScope,
        today: time::Date,
    ) -> Result<Summaries, vigil_store::StoreError> {
        Ok(Summaries {
            rows: store.party_screenings(scope, today)?,
        })
    }

    /// The cell of a party: `(css class, text)`.
    #[must_use]
    pub fn cell(&self, c: &Chrome<'_>, party_id: &str) -> (String, String) {
        let Some(v) = self.rows.get(party_id) else {
            return ("unscreened".into(), c.t.get("ps-not-screened"));
        };
        let lists = v
            .screening
            .as_ref()
            .map(|s| lists_text(&s.list_refs()))
            .unwrap_or_default();
        let when = v
            .screening
            .as_ref()
            .map(|s| c.when(&s.screened_at))
            .unwrap_or_default();
        let (class, what) = if v.confirmed() > 0 {
            ("confirmed", c.t.get("ps-confirmed"))
        } else if v.open_alerts() > 0 {
            (
                "open",
                format!(
                    "{} {}",
                    c.num(&i64::try_from(v.open_alerts()).unwrap_or(i64::MAX)),
                    c.t.get("ps-open-hits")
                ),
            )
        } else {
            ("clear", c.t.get("ps-clear"))
        };
        (class.into(), format!("{what} · {lists} · {when}"))
    }
}

fn lists_text(refs: &[ListRef]) -> String {
    if refs.is_empty() {
        return "—".into();
    }
    refs.iter()
        .map(|l| format!("{} {}", l.source, l.version))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A party with new hits, for the organisation's page.
#[derive(Debug, Clone)]
pub struct NewHitsRow {
    /// The party.
    pub party: Party,
    /// Its screening.
    pub screening: PartyScreening,
    /// Open alerts.
    pub open: i64,
}

#[derive(Template)]
#[template(path = "party_new_hits.html")]
struct NewHitsPanel<'a, 'b> {
    c: &'a Chrome<'b>,
    org_id: String,
    new_hits: Vec<NewHitsRow>,
}

/// The panel of the organisation's page listing the parties a list import gave new open hits,
/// rendered; empty (and logged) if it cannot be loaded.
pub(crate) async fn org_panel(state: &AppState, c: &Chrome<'_>, scope: &OrgScope) -> String {
    let (s2, today) = (scope.clone(), (state.today)());
    let Ok(Ok(new_hits)) = run(state, move |s| new_hits_rows(s, &s2, today)).await else {
        tracing::error!("the parties with new hits could not be loaded");
        return String::new();
    };
    NewHitsPanel {
        c,
        org_id: scope.org_id().to_owned(),
        new_hits,
    }
    .render()
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "new hits panel rendering failed");
        String::new()
    })
}

/// The parties a list import gave new open hits (the organisation page's panel).
///
/// # Errors
/// The store's.
pub fn new_hits_rows(
    store: &Store,
    scope: &OrgScope,
    today: time::Date,
) -> Result<Vec<NewHitsRow>, vigil_store::StoreError> {
    Ok(store
        .parties_with_new_hits(scope, today)?
        .into_iter()
        .map(|(party, screening, open)| NewHitsRow {
            party,
            screening,
            open: i64::try_from(open).unwrap_or(i64::MAX),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The party page.

/// A decision as the page shows it.
pub struct DecisionRow {
    /// The decision.
    pub c: Clearance,
    /// Who (name).
    pub by: String,
    /// `applies`, `lapsed`, `expired` or `superseded`.
    pub state: &'static str,
}

/// A hit beside its list entry.
pub struct HitRow {
    /// The reviewed hit.
    pub r: ReviewedHit,
    /// `open`, `cleared` or `confirmed`.
    pub status: &'static str,
    /// Stops operations.
    pub alerts: bool,
    /// The entry's names: (name, quality, is the matched one).
    pub names: Vec<(String, String, bool)>,
    /// Kind.
    pub kind: String,
    /// Dates of birth.
    pub dobs: Vec<String>,
    /// Countries.
    pub countries: Vec<String>,
    /// Programmes.
    pub programmes: Vec<String>,
    /// Token matches: (ours, theirs, how).
    pub tokens: Vec<(String, String, String)>,
    /// Adjustments: (reason, delta).
    pub adjustments: Vec<(String, String)>,
    /// Decisions, newest first.
    pub history: Vec<DecisionRow>,
}

fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

fn hit_row(r: ReviewedHit, names: &BTreeMap<String, String>, today: time::Date) -> HitRow {
    let entry = r.hit.list_entry();
    let expl: Value = serde_json::from_str(&r.hit.explanation).unwrap_or(Value::Null);
    let tokens = expl
        .get("tokens")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    (s("query"), s("list"), s("kind"))
                })
                .collect()
        })
        .unwrap_or_default();
    let adjustments = expl
        .get("adjustments")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t.get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        format!(
                            "{:+.2}",
                            t.get("delta").and_then(Value::as_f64).unwrap_or(0.0)
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let applies = r.applies.as_ref().map(|c| c.id.clone());
    let history = r
        .history
        .iter()
        .map(|c| {
            let state = if applies.as_deref() == Some(c.id.as_str()) {
                "applies"
            } else if c.lapsed_at.is_some() || c.entry_hash != r.hit.entry_hash {
                "lapsed"
            } else if c.expired(today) {
                "expired"
            } else {
                "superseded"
            };
            DecisionRow {
                by: names
                    .get(&c.decided_by)
                    .cloned()
                    .unwrap_or_else(|| c.decided_by.clone()),
                c: c.clone(),
                state,
            }
        })
        .collect();
    HitRow {
        status: r.status.as_str(),
        alerts: r.alerts(),
        names: entry
            .as_ref()
            .map(|e| {
                e.names
                    .iter()
                    .map(|n| {
                        (
                            n.full.clone(),
                            enum_name(&n.quality),
                            n.full == r.hit.matched_alias,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        kind: entry
            .as_ref()
            .map(|e| enum_name(&e.kind))
            .unwrap_or_default(),
        dobs: entry
            .as_ref()
            .map(|e| e.dates_of_birth.iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
        countries: entry
            .as_ref()
            .map(|e| e.countries.clone())
            .unwrap_or_default(),
        programmes: entry
            .as_ref()
            .map(|e| e.programmes.clone())
            .unwrap_or_default(),
        tokens,
        adjustments,
        history,
        r,
    }
}

/// The edit form of a party.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct PartyEditForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    notes: String,
}

/// The decision form of a hit.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expires_on: String,
}

#[derive(Template)]
#[template(path = "party.html")]
struct PartyPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    party: Party,
    screening: Option<PartyScreening>,
    lists: String,
    screened_by: String,
    hits: Vec<HitRow>,
    open: i64,
    threshold: f64,
    can_enter: bool,
    can_decide: bool,
    roles: [&'static str; 7],
    edit: PartyEditForm,
    decision: DecisionForm,
    /// The hit whose form has errors.
    error_hit: String,
    errors: BTreeMap<String, String>,
}

impl PartyPage<'_> {
    fn score(&self, s: &f64) -> String {
        format!("{s:.2}")
    }

    fn day(&self, d: &Option<String>) -> String {
        d.as_deref().map(|d| self.c.date(d)).unwrap_or_default()
    }

    fn err(&self, hit: &str, field: &str) -> Option<&String> {
        if self.error_hit == hit {
            self.errors.get(field)
        } else {
            None
        }
    }

    fn short(&self, hash: &str) -> String {
        hash.chars().take(12).collect()
    }

    fn kept(&self, hit: &str, value: &str) -> String {
        if self.error_hit == hit {
            value.to_owned()
        } else {
            String::new()
        }
    }
}

struct PageParts {
    edit: Option<PartyEditForm>,
    decision: DecisionForm,
    error_hit: String,
    errors: BTreeMap<String, String>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn party_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &crate::accounts::CurrentUser,
    scope: &OrgScope,
    id: String,
    status: StatusCode,
    parts: PageParts,
) -> Response {
    let (s2, today) = (scope.clone(), (state.today)());
    let loaded = run(state, move |s| {
        let found = s.party_screening(&s2, &id, today)?;
        let names: BTreeMap<String, String> = s
            .members(&s2)?
            .into_iter()
            .map(|m| (m.user.id, m.user.display_name))
            .collect();
        Ok::<_, vigil_store::StoreError>((found, names))
    })
    .await;
    let (party, view, names) = match loaded {
        Ok(Ok((Some((p, v)), names))) => (p, v, names),
        Ok(Ok((None, _))) => return message(state, headers, StatusCode::NOT_FOUND, "not-found"),
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let c = chrome(
        state,
        headers,
        q,
        &format!("/orgs/{}/parties/{}", scope.org_id(), party.id),
        Some(&me.user),
    );
    let open = i64::try_from(view.open_alerts()).unwrap_or(i64::MAX);
    let lists = view
        .screening
        .as_ref()
        .map(|s| lists_text(&s.list_refs()))
        .unwrap_or_default();
    let screened_by = view
        .screening
        .as_ref()
        .map(|s| {
            names
                .get(&s.screened_by)
                .cloned()
                .unwrap_or_else(|| s.screened_by.clone())
        })
        .unwrap_or_default();
    let edit = parts.edit.unwrap_or_else(|| PartyEditForm {
        role: party.role.clone(),
        name: party.name.clone(),
        country: party.country.clone(),
        notes: party.notes.clone(),
    });
    page(
        status,
        &PartyPage {
            org: scope.org().clone(),
            hits: view
                .hits
                .into_iter()
                .map(|h| hit_row(h, &names, today))
                .collect(),
            screening: view.screening,
            lists,
            screened_by,
            open,
            threshold: ALERT_THRESHOLD,
            can_enter: scope.role().allows(Action::Enter),
            can_decide: scope.role().allows(Action::Decide),
            roles: PARTY_ROLES,
            edit,
            decision: parts.decision,
            error_hit: parts.error_hit,
            errors: parts.errors,
            party,
            c,
        },
    )
}

/// `GET /orgs/{org}/parties/{id}`: the party, its latest screening and the hit review.
pub async fn show_party(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    party_page(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::OK,
        PageParts {
            edit: None,
            decision: DecisionForm::default(),
            error_hit: String::new(),
            errors: BTreeMap::new(),
        },
    )
    .await
}

/// The catalogue key of a party field error.
fn edit_error(e: &RecordError) -> Option<(&'static str, &'static str)> {
    Some(match e {
        RecordError::Invalid { field: "name", .. } => ("name", "err-name"),
        RecordError::Invalid { field: "role", .. } => ("role", "rec-err-role"),
        RecordError::Invalid {
            field: "country", ..
        } => ("country", "rec-err-country"),
        RecordError::Invalid { field, .. } => (field, "rec-err-text"),
        _ => return None,
    })
}

/// `POST /orgs/{org}/parties/{id}`: changes the party and screens it again.
pub async fn edit_party(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    Form(form): Form<PartyEditForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let (s2, f2, id2) = (scope.clone(), form.clone(), id.clone());
    let (lists, today) = (state.screening.current(), (state.today)());
    let done = run(&state, move |s| {
        let p = s.update_party(
            &s2,
            &id2,
            &NewParty {
                role: &f2.role,
                name: &f2.name,
                country: &f2.country,
                notes: &f2.notes,
            },
        )?;
        screen_stored_party(s, &lists, &s2, &p, today)?;
        Ok::<_, RecordError>(p)
    })
    .await;
    match done {
        Ok(Ok(p)) => see_other(&format!("/orgs/{}/parties/{}", scope.org_id(), p.id)),
        Ok(Err(RecordError::NotFound)) => {
            message(&state, &headers, StatusCode::NOT_FOUND, "not-found")
        }
        Ok(Err(e)) => {
            let Some((field, key)) = edit_error(&e) else {
                return internal(&e);
            };
            let c = chrome(&state, &headers, &q, "/", Some(&me.user));
            let errors = BTreeMap::from([(field.to_owned(), c.t.get(key))]);
            drop(c);
            party_page(
                &state,
                &headers,
                &q,
                &me,
                &scope,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                PageParts {
                    edit: Some(form),
                    decision: DecisionForm::default(),
                    error_hit: String::new(),
                    errors,
                },
            )
            .await
        }
        Err(r) => r,
    }
}

/// `POST /orgs/{org}/parties/{id}/hits/{hit}/decision`: clears (`decision=false_match`, a
/// reason, an optional expiry date) or confirms (`decision=confirmed_match`, a reason) a hit.
pub async fn decide_hit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id, hit)): Path<(String, String, String)>,
    Member { me, scope }: Member,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Decide) {
        return r;
    }
    let c = chrome(&state, &headers, &q, "/", Some(&me.user));
    let mut errors = BTreeMap::new();
    let decision = HitDecision::parse(&form.decision);
    if decision.is_none() {
        errors.insert("decision".to_owned(), c.t.get("ps-err-decision"));
    }
    if form.reason.trim().is_empty() {
        errors.insert("reason".to_owned(), c.t.get("ps-err-reason"));
    }
    if let Some(d) = decision
        && errors.is_empty()
    {
        let (s2, id2, hit2, f2, today) = (
            scope.clone(),
            id.clone(),
            hit.clone(),
            form.clone(),
            (state.today)(),
        );
        let done = run(&state, move |s| {
            s.decide_hit(
                &s2,
                &id2,
                &hit2,
                &NewClearance {
                    decision: d,
                    reason: &f2.reason,
                    expires_on: &f2.expires_on,
                },
                today,
            )
        })
        .await;
        match done {
            Ok(Ok(_)) => {
                return see_other(&format!(
                    "/orgs/{}/parties/{}#hit-{}",
                    scope.org_id(),
                    id,
                    hit
                ));
            }
            Ok(Err(RecordError::NotFound)) => {
                return message(&state, &headers, StatusCode::NOT_FOUND, "not-found");
            }
            Ok(Err(RecordError::Forbidden)) => {
                return message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
            }
            Ok(Err(RecordError::Invalid { field, .. })) => {
                let key = if field == "expires_on" {
                    "ps-err-expiry"
                } else {
                    "ps-err-reason"
                };
                errors.insert(field.to_owned(), c.t.get(key));
            }
            Ok(Err(e)) => return internal(&e),
            Err(r) => return r,
        }
    }
    drop(c);
    party_page(
        &state,
        &headers,
        &q,
        &me,
        &scope,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        PageParts {
            edit: None,
            decision: form,
            error_hit: hit,
            errors,
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The API.

fn problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> Response {
    Problem::new(status, slug, title, detail).into_response()
}

fn not_found_problem() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such party or hit in your organisation",
    )
}

/// A list screened against.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScreenedListView {
    /// The source (`un`, `eu` …).
    pub source: String,
    /// Its version.
    pub version: String,
    /// The import.
    pub import: i64,
}

/// A decision on a hit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClearanceView {
    /// Id.
    pub id: String,
    /// `false_match` or `confirmed_match`.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// Last day it applies (`YYYY-MM-DD`).
    pub expires_on: Option<String>,
    /// The entry content hash it was taken on.
    pub entry_hash: String,
    /// Who (user id).
    pub decided_by: String,
    /// When (RFC 3339, UTC).
    pub decided_at: String,
    /// When it lapsed because the entry changed (RFC 3339, UTC).
    pub lapsed_at: Option<String>,
    /// It applies today.
    pub applies: bool,
}

/// A hit of a party with the list entry and its decisions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HitReviewView {
    /// Id (for the clearance call).
    pub id: String,
    /// The list.
    pub list: String,
    /// Its version.
    pub version: String,
    /// The import the entry came from.
    pub import: i64,
    /// The list's identifier of the entry.
    pub entry_id: String,
    /// SHA-256 of the entry's canonical serialisation.
    pub entry_hash: String,
    /// The entry's primary name.
    pub name: String,
    /// The name that matched best.
    pub matched_alias: String,
    /// Score, 0–1.
    pub score: f64,
    /// `open`, `cleared` or `confirmed`.
    pub status: String,
    /// Stops operations (an open hit at or above the threshold, or a confirmed match).
    pub alert: bool,
    /// The explanation on one line.
    pub why: String,
    /// The explanation in detail.
    #[schema(value_type = Object)]
    pub explanation: Value,
    /// The list entry.
    #[schema(value_type = Object)]
    pub entry: Value,
    /// When the entry first hit the party (RFC 3339, UTC).
    pub first_seen: String,
    /// Decisions on this entry, newest first.
    pub decisions: Vec<ClearanceView>,
}

/// A party's latest screening.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyScreeningView {
    /// The party.
    pub party_id: String,
    /// Its name.
    pub name: String,
    /// Its country.
    pub country: String,
    /// Its role.
    pub role: String,
    /// When it was screened (RFC 3339, UTC); absent if never.
    pub screened_at: Option<String>,
    /// The lists and versions screened against.
    pub lists: Vec<ScreenedListView>,
    /// Open alerts.
    pub open_alerts: usize,
    /// Confirmed matches.
    pub confirmed: usize,
    /// The alert threshold.
    pub threshold: f64,
    /// The hits, best first.
    pub hits: Vec<HitReviewView>,
}

fn clearance_view(c: &Clearance, applies: bool) -> ClearanceView {
    ClearanceView {
        id: c.id.clone(),
        decision: c.decision.clone(),
        reason: c.reason.clone(),
        expires_on: c.expires_on.clone(),
        entry_hash: c.entry_hash.clone(),
        decided_by: c.decided_by.clone(),
        decided_at: rfc3339(c.decided_at),
        lapsed_at: c.lapsed_at.map(rfc3339),
        applies,
    }
}

fn screening_view(p: &Party, v: &ScreeningView) -> PartyScreeningView {
    PartyScreeningView {
        party_id: p.id.clone(),
        name: p.name.clone(),
        country: p.country.clone(),
        role: p.role.clone(),
        screened_at: v.screening.as_ref().map(|s| rfc3339(s.screened_at)),
        lists: v
            .screening
            .as_ref()
            .map(PartyScreening::list_refs)
            .unwrap_or_default()
            .into_iter()
            .map(|l| ScreenedListView {
                source: l.source,
                version: l.version,
                import: l.import,
            })
            .collect(),
        open_alerts: v.open_alerts(),
        confirmed: v.confirmed(),
        threshold: ALERT_THRESHOLD,
        hits: v
            .hits
            .iter()
            .map(|h| HitReviewView {
                id: h.hit.id.clone(),
                list: h.hit.list_source.clone(),
                version: h.hit.list_version.clone(),
                import: h.hit.import_id,
                entry_id: h.hit.entry_id.clone(),
                entry_hash: h.hit.entry_hash.clone(),
                name: h.hit.entry_name.clone(),
                matched_alias: h.hit.matched_alias.clone(),
                score: h.hit.score,
                status: h.status.as_str().to_owned(),
                alert: h.alerts(),
                why: h.hit.why.clone(),
                explanation: serde_json::from_str(&h.hit.explanation).unwrap_or(Value::Null),
                entry: serde_json::from_str(&h.hit.entry).unwrap_or(Value::Null),
                first_seen: rfc3339(h.hit.first_seen),
                decisions: h
                    .history
                    .iter()
                    .map(|c| clearance_view(c, h.applies.as_ref().is_some_and(|a| a.id == c.id)))
                    .collect(),
            })
            .collect(),
    }
}

/// The latest screening of a party of the token's organisation, with its hits, the list entries
/// and the decisions on them.
#[utoipa::path(get, path = "/api/v1/parties/{id}/screening",
    params(("id" = String, Path, description = "Party id")),
    responses((status = 200, body = PartyScreeningView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_party_screening(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let (scope, today) = (caller.scope, (state.today)());
    match run(&state, move |s| s.party_screening(&scope, &id, today)).await {
        Ok(Ok(Some((p, v)))) => Json(screening_view(&p, &v)).into_response(),
        Ok(Ok(None)) => not_found_problem(),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// A decision on a hit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearanceBody {
    /// `false_match` (clear) or `confirmed_match` (confirm).
    pub decision: String,
    /// Why (mandatory).
    pub reason: String,
    /// Last day a clearance applies (`YYYY-MM-DD`, today or later).
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// Clear a hit as a false match, or confirm it (officer or administrator). The decision holds
/// for the entry's present content: when the list entry changes, it lapses and the hit alerts
/// again.
#[utoipa::path(post, path = "/api/v1/parties/{id}/hits/{hit}/clearance", request_body = ClearanceBody,
    params(("id" = String, Path, description = "Party id"), ("hit" = String, Path, description = "Hit id")),
    responses((status = 201, body = ClearanceView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_decide_hit(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, hit)): Path<(String, String)>,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Decide) {
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "your role in this organisation may not decide on hits (officer or administrator needed)",
        );
    }
    let de = &mut serde_json::Deserializer::from_str(&body);
    let b: ClearanceBody = match serde_path_to_error::deserialize(de) {
        Ok(b) => b,
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            return field_problem(&path, &e.inner().to_string());
        }
    };
    let Some(decision) = HitDecision::parse(&b.decision) else {
        return field_problem("decision", "`false_match` or `confirmed_match`");
    };
    let (scope, today) = (caller.scope, (state.today)());
    let done = run(&state, move |s| {
        s.decide_hit(
            &scope,
            &id,
            &hit,
            &NewClearance {
                decision,
                reason: &b.reason,
                expires_on: b.expires_on.as_deref().unwrap_or(""),
            },
            today,
        )
    })
    .await;
    match done {
        Ok(Ok(c)) => (StatusCode::CREATED, Json(clearance_view(&c, true))).into_response(),
        Ok(Err(RecordError::Invalid { field, reason })) => field_problem(field, &reason),
        Ok(Err(RecordError::NotFound)) => not_found_problem(),
        Ok(Err(RecordError::Forbidden)) => problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "your role in this organisation may not decide on hits",
        ),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// The party-screening part of the OpenAPI document (merged into [`crate::api::ApiDoc`]'s).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_party_screening, api_decide_hit),
    components(schemas(
        PartyScreeningView,
        HitReviewView,
        ClearanceView,
        ScreenedListView,
        ClearanceBody
    ))
)]
pub struct PartyScreeningApi;
