//! Screening on the server: the in-memory index over the served lists, `POST /api/v1/screen`
//! (the CLI's screen JSON contract), `POST /match/{dataset}` (the request and response shape of
//! OpenSanctions' yente `/match`, so existing screening clients can point at Vigil), and the
//! screening page (ad-hoc search, list status, list import by an administrator or officer).
//!
//! The index is built from the database at start ([`ScreeningState::load`]) and replaced whole
//! after an import: searches in flight keep the index they started with (an `Arc` snapshot).

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use vigil_domain::access::Action;
use vigil_screening::loaders;
use vigil_screening::loaders::csv::ColumnMapping;
use vigil_screening::score::ALERT_THRESHOLD;
use vigil_screening::{BirthDate, EntityKind, Hit, Index, ListSource, LoadedList, NameQuery};
use vigil_store::accounts::OrgScope;
use vigil_store::{ImportOutcome, ImportRecord, Store, StoreError};

use crate::AppState;
use crate::accounts::{ApiCaller, CurrentUser, PageQuery, SESSION_COOKIE, cookie};
use crate::multipart;
use crate::problem::{FieldProblem, Problem};
use crate::ui::Chrome;
use crate::web::{Member, page};

/// Hits below this score are not shown: far enough under the alert threshold to be noise, close
/// enough to show an officer the near misses (the CLI's `--min-score` default).
pub const REVIEW_FLOOR: f64 = 0.70;

/// Most hits one API query may ask for.
pub const MAX_LIMIT: usize = 100;

/// The largest list file accepted by the import form.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// The served lists, indexed.
pub struct Lists {
    /// The index over every served list.
    pub index: Index,
    /// Their import records (source, version, import time, entries).
    pub records: Vec<ImportRecord>,
}

impl Lists {
    /// No list.
    #[must_use]
    pub fn empty() -> Lists {
        Lists {
            index: Index::build(Vec::<LoadedList>::new()),
            records: Vec::new(),
        }
    }

    /// Loads every served list from `store` and indexes it.
    ///
    /// # Errors
    /// A database failure.
    pub fn load(store: &Store) -> Result<Lists, StoreError> {
        let started = std::time::Instant::now();
        let served = store.load_served()?;
        let records: Vec<ImportRecord> = served.iter().map(|s| s.record.clone()).collect();
        let index = Index::build(served.into_iter().map(|s| s.list));
        tracing::info!(
            lists = records.len(),
            entries = index.entries().len(),
            ms = started.elapsed().as_millis(),
            "screening index built from the database"
        );
        Ok(Lists { index, records })
    }

    /// The served version of a hit's list.
    fn version_of(&self, list: ListSource) -> String {
        self.records
            .iter()
            .find(|r| r.source == list)
            .map(ImportRecord::version_label)
            .unwrap_or_default()
    }

    fn record_of(&self, list: ListSource) -> Option<&ImportRecord> {
        self.records.iter().find(|r| r.source == list)
    }

    /// The `lists` part of the screen contract.
    #[must_use]
    pub fn views(&self) -> Vec<ListView> {
        self.records
            .iter()
            .map(|r| ListView {
                source: r.source.as_str().to_owned(),
                version: r.version_label(),
                imported_at: rfc3339(r.imported_at),
                entries: r.entry_count,
            })
            .collect()
    }
}

/// The index the server screens against, swapped whole after an import.
pub struct ScreeningState {
    current: RwLock<Arc<Lists>>,
}

impl Default for ScreeningState {
    fn default() -> Self {
        ScreeningState {
            current: RwLock::new(Arc::new(Lists::empty())),
        }
    }
}

impl ScreeningState {
    /// The index now (a snapshot: a later import does not change it).
    #[must_use]
    pub fn current(&self) -> Arc<Lists> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Serves `lists` from now on.
    pub fn replace(&self, lists: Lists) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(lists);
    }

    /// Rebuilds the index from `store`.
    ///
    /// # Errors
    /// A database failure; the index served before is kept.
    pub fn reload(&self, store: &Store) -> Result<(), StoreError> {
        self.replace(Lists::load(store)?);
        Ok(())
    }
}

/// RFC 3339 in UTC, to the second.
fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn internal(e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "screening failure");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "Something went wrong on our side; the error is logged.",
    )
    .into_response()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Response> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| internal(&e))
}

// ---------------------------------------------------------------------------------------------
// Who may screen through the API: a bearer token, or a signed-in session.

/// A caller of the screening API: an API token (`Authorization: Bearer vgl_…`, or yente's
/// `ApiKey vgl_…`) or a session cookie; otherwise 401 problem details.
pub struct Screener {
    /// The user's id.
    pub user_id: String,
}

impl FromRequestParts<AppState> for Screener {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Screener, Response> {
        // yente clients send `Authorization: ApiKey …`.
        if let Some(key) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("ApiKey "))
            .and_then(|k| HeaderValue::from_str(&format!("Bearer {}", k.trim())).ok())
        {
            parts.headers.insert(header::AUTHORIZATION, key);
        }
        let session = cookie(&parts.headers, SESSION_COOKIE);
        if parts.headers.contains_key(header::AUTHORIZATION) || session.is_none() {
            let caller = ApiCaller::from_request_parts(parts, state).await?;
            return Ok(Screener {
                user_id: caller.user.id,
            });
        }
        let (Some(acc), Some(token)) = (state.accounts.clone(), session) else {
            return Err(ApiCaller::from_request_parts(parts, state)
                .await
                .err()
                .unwrap_or_else(|| StatusCode::UNAUTHORIZED.into_response()));
        };
        match blocking(move || acc.store.session_user(&token)).await? {
            Ok(Some(user)) => Ok(Screener { user_id: user.id }),
            Ok(None) => {
                let mut res = Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "Unauthenticated",
                    "the session has expired: sign in again, or use an API token",
                )
                .into_response();
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"vigil\""),
                );
                Err(res)
            }
            Err(e) => Err(internal(&e)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/screen

/// A party to screen.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    /// The party's name, in any script.
    pub name: String,
    /// Date of birth: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(default)]
    pub dob: Option<String>,
    /// Country (ISO alpha-2 code or name).
    #[serde(default)]
    pub country: Option<String>,
    /// Most hits (1–100, default 10).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// One hit: a listed entity and its best alias.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HitView {
    /// The list (`un`, `eu`, `ofac`, …).
    pub list: String,
    /// The served version of that list.
    pub version: String,
    /// The list's own identifier (UN reference number, EU logicalId, OFAC uid, …).
    pub entry_id: String,
    /// The entity's primary name.
    pub name: String,
    /// The alias that matched best.
    pub matched_alias: String,
    /// Score from 0 to 1.
    pub score: f64,
    /// At or above the alert threshold.
    pub alert: bool,
    /// The explanation on one line.
    pub why: String,
    /// The explanation in detail: token matches, unmatched tokens, adjustments.
    #[schema(value_type = Object)]
    pub explanation: serde_json::Value,
}

/// A list screened against.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListView {
    /// The list.
    pub source: String,
    /// Its version (or publication date, or hash prefix).
    pub version: String,
    /// When it was imported (RFC 3339, UTC).
    pub imported_at: String,
    /// Entries.
    pub entries: u64,
}

/// The query as understood.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScreenQueryView {
    /// Name.
    pub name: String,
    /// Date of birth as given.
    pub dob: Option<String>,
    /// Country as given.
    pub country: Option<String>,
}

/// The result of a screening (the CLI's `vigil --format json screen` contract).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScreenResponse {
    /// What was screened.
    pub query: ScreenQueryView,
    /// Hits at or above 0.70, best first.
    pub hits: Vec<HitView>,
    /// The alert threshold.
    pub threshold: f64,
    /// The lists and versions screened against.
    pub lists: Vec<ListView>,
}

fn hit_view(lists: &Lists, h: &Hit) -> HitView {
    HitView {
        list: h.list.as_str().to_owned(),
        version: lists.version_of(h.list),
        entry_id: h.entry_id.clone(),
        name: h.name.clone(),
        matched_alias: h.explanation.matched_alias.clone(),
        score: round4(h.score),
        alert: h.alert,
        why: h.explanation.to_string(),
        explanation: serde_json::to_value(&h.explanation).unwrap_or_default(),
    }
}

fn invalid(errors: Vec<FieldProblem>) -> Response {
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-input",
        "Invalid input",
        "The request body does not satisfy the contract; see `errors`.",
    );
    p.errors = errors;
    p.into_response()
}

fn field(path: &str, detail: impl Into<String>) -> FieldProblem {
    FieldProblem {
        path: path.to_owned(),
        detail: detail.into(),
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        invalid(vec![field(&path, e.inner().to_string())])
    })
}

/// Screen a party's name against the served lists.
#[utoipa::path(
    post,
    path = "/api/v1/screen",
    request_body = ScreenRequest,
    responses(
        (status = 200, description = "Hits with their explanation, the threshold and the lists screened against", body = ScreenResponse),
        (status = 401, description = "No or bad API token (`Authorization: Bearer vgl_…`) and no session", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "screening"
)]
pub async fn api_screen(State(state): State<AppState>, _who: Screener, body: Bytes) -> Response {
    let req: ScreenRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    if req.name.trim().is_empty() {
        errors.push(field("name", "a name is needed"));
    }
    let dob = match req.dob.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => {
            let parsed = BirthDate::parse(d);
            if parsed.is_none() {
                errors.push(field(
                    "dob",
                    format!("{d:?} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)"),
                ));
            }
            parsed
        }
        None => None,
    };
    let limit = req.limit.unwrap_or(10);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(field("limit", format!("expected 1 to {MAX_LIMIT}")));
    }
    if !errors.is_empty() {
        return invalid(errors);
    }
    let lists = state.screening.current();
    let query = NameQuery {
        name: req.name.clone(),
        dob,
        country: req.country.clone().filter(|c| !c.trim().is_empty()),
        ..NameQuery::default()
    };
    let hits = lists.index.search(&query, limit, REVIEW_FLOOR);
    Json(ScreenResponse {
        query: ScreenQueryView {
            name: req.name,
            dob: req.dob,
            country: req.country,
        },
        hits: hits.iter().map(|h| hit_view(&lists, h)).collect(),
        threshold: ALERT_THRESHOLD,
        lists: lists.views(),
    })
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// POST /match/{dataset}: yente's matching API.

/// `?limit=&threshold=&cutoff=` of yente's `/match`.
#[derive(Debug, Default, Deserialize)]
pub struct MatchParams {
    limit: Option<usize>,
    threshold: Option<f64>,
    cutoff: Option<f64>,
}

/// yente's request body.
#[derive(Debug, Deserialize)]
pub struct MatchRequest {
    queries: BTreeMap<String, EntityExample>,
}

/// One entity example (FollowTheMoney schema and properties).
#[derive(Debug, Deserialize, Serialize)]
pub struct EntityExample {
    #[serde(default)]
    id: Option<String>,
    schema: String,
    #[serde(default)]
    properties: BTreeMap<String, OneOrMany>,
}

/// A property: yente accepts a value or a list of values.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
    }
}

fn ftm_schema(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Person => "Person",
        EntityKind::Organisation => "Organization",
        EntityKind::Vessel => "Vessel",
        EntityKind::Aircraft => "Airplane",
        _ => "LegalEntity",
    }
}

fn kind_of_schema(schema: &str) -> Option<EntityKind> {
    match schema {
        "Person" => Some(EntityKind::Person),
        "Organization" | "Company" | "PublicBody" => Some(EntityKind::Organisation),
        "Vessel" => Some(EntityKind::Vessel),
        "Airplane" => Some(EntityKind::Aircraft),
        _ => None,
    }
}

/// The dataset names `/match/{dataset}` knows: every served list, or one.
fn dataset_filter(dataset: &str) -> Result<Option<ListSource>, ()> {
    match dataset {
        "default" | "sanctions" | "all" | "vigil" => Ok(None),
        other => vigil_store::lists::parse_source(other).map(Some).ok_or(()),
    }
}

/// `POST /match/{dataset}`: the request body of yente's `/match` (queries of FollowTheMoney
/// entity examples, `?limit=`, `?threshold=` (the score at which `match` is true, default the
/// alert threshold) and `?cutoff=` (lowest score returned, default 0.70)), answered in yente's
/// shape. `dataset` is `default` (every served list) or one list (`un`, `eu`, `ofac`, …).
pub async fn yente_match(
    State(state): State<AppState>,
    Path(dataset): Path<String>,
    Query(params): Query<MatchParams>,
    _who: Screener,
    body: Bytes,
) -> Response {
    let Ok(only) = dataset_filter(&dataset) else {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-dataset",
            "Unknown dataset",
            format!(
                "`{dataset}` is not a dataset here: use `default` (every served list) or a list: un, eu, eu-csv, ofac, ofac-csv, uk, bis-dpl, ftm, csv"
            ),
        )
        .into_response();
    };
    let req: MatchRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let limit = params.limit.unwrap_or(5);
    let threshold = params.threshold.unwrap_or(ALERT_THRESHOLD);
    let cutoff = params.cutoff.unwrap_or(REVIEW_FLOOR);
    let mut errors = Vec::new();
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(field("limit", format!("expected 1 to {MAX_LIMIT}")));
    }
    if !(0.0..=1.0).contains(&threshold) {
        errors.push(field("threshold", "expected a number from 0 to 1"));
    }
    if !(0.0..=1.0).contains(&cutoff) {
        errors.push(field("cutoff", "expected a number from 0 to 1"));
    }
    for (key, q) in &req.queries {
        if q.properties
            .get("name")
            .is_none_or(|n| n.values().is_empty())
        {
            errors.push(field(
                &format!("queries.{key}.properties.name"),
                "at least one name is needed",
            ));
        }
    }
    if !errors.is_empty() {
        return invalid(errors);
    }
    let lists = state.screening.current();
    let mut responses = serde_json::Map::new();
    for (key, example) in &req.queries {
        let results = match_one(&lists, example, only, limit, threshold, cutoff);
        let total = results.len();
        responses.insert(
            key.clone(),
            json!({
                "status": 200,
                "results": results,
                "total": {"value": total, "relation": "eq"},
                "query": example,
            }),
        );
    }
    Json(json!({
        "responses": responses,
        "matcher": {
            "name": "vigil",
            "description": "Vigil's token-by-token scorer (rarity-weighted, typo, order, initials, transliteration), with date of birth, country and identifiers",
            "threshold": threshold,
            "cutoff": cutoff,
        },
        "limit": limit,
    }))
    .into_response()
}

fn prop<'a>(e: &'a EntityExample, names: &[&str]) -> Vec<&'a str> {
    names
        .iter()
        .filter_map(|n| e.properties.get(*n))
        .flat_map(OneOrMany::values)
        .collect()
}

fn match_one(
    lists: &Lists,
    e: &EntityExample,
    only: Option<ListSource>,
    limit: usize,
    threshold: f64,
    cutoff: f64,
) -> Vec<serde_json::Value> {
    let dob = prop(e, &["birthDate"])
        .into_iter()
        .find_map(BirthDate::parse);
    let country = prop(
        e,
        &["nationality", "citizenship", "country", "jurisdiction"],
    )
    .first()
    .map(|c| (*c).to_owned());
    let identifiers: Vec<String> = prop(
        e,
        &[
            "idNumber",
            "passportNumber",
            "registrationNumber",
            "taxNumber",
            "innCode",
            "imoNumber",
        ],
    )
    .into_iter()
    .map(str::to_owned)
    .collect();
    // Filtering by list after the search: look further down the ranking.
    let want = if only.is_some() { limit * 20 } else { limit };
    let mut best: Vec<Hit> = Vec::new();
    for name in prop(e, &["name"]) {
        let q = NameQuery {
            name: name.to_owned(),
            dob,
            country: country.clone(),
            kind: kind_of_schema(&e.schema),
            identifiers: identifiers.clone(),
        };
        for h in lists.index.search(&q, want, cutoff) {
            if only.is_some_and(|l| l != h.list) {
                continue;
            }
            match best.iter_mut().find(|b| b.entry_index == h.entry_index) {
                Some(b) if b.score >= h.score => {}
                Some(b) => *b = h,
                None => best.push(h),
            }
        }
    }
    best.sort_by(|a, b| b.score.total_cmp(&a.score));
    best.truncate(limit);
    best.iter()
        .map(|h| {
            let entry = lists.index.entries().get(h.entry_index);
            let mut props = serde_json::Map::new();
            if let Some(entry) = entry {
                let names: Vec<&str> = entry.names.iter().map(|n| n.full.as_str()).collect();
                props.insert(
                    "name".into(),
                    json!(names.first().copied().into_iter().collect::<Vec<_>>()),
                );
                if names.len() > 1 {
                    props.insert("alias".into(), json!(names[1..]));
                }
                if !entry.dates_of_birth.is_empty() {
                    let d: Vec<String> = entry
                        .dates_of_birth
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    props.insert("birthDate".into(), json!(d));
                }
                if !entry.countries.is_empty() {
                    props.insert("country".into(), json!(entry.countries));
                }
                if !entry.programmes.is_empty() {
                    props.insert("program".into(), json!(entry.programmes));
                }
            }
            let record = lists.record_of(h.list);
            let seen = record.map(|r| rfc3339(r.imported_at));
            let mut features = serde_json::Map::new();
            features.insert("name_score".into(), json!(round4(h.explanation.name_score)));
            for a in &h.explanation.adjustments {
                features.insert(a.reason.clone(), json!(round4(a.delta)));
            }
            json!({
                "id": format!("{}-{}", h.list.as_str(), h.entry_id),
                "caption": h.name,
                "schema": entry.map_or("LegalEntity", |e| ftm_schema(e.kind)),
                "properties": props,
                "datasets": [h.list.as_str()],
                "referents": [],
                "target": true,
                "first_seen": seen,
                "last_seen": seen,
                "last_change": seen,
                "score": round4(h.score),
                "match": h.score >= threshold,
                "features": features,
                "explanation": {
                    "why": h.explanation.to_string(),
                    "matched_alias": h.explanation.matched_alias,
                    "entry_id": h.entry_id,
                    "list_version": lists.version_of(h.list),
                    "detail": h.explanation,
                },
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The screening page.

/// `?name=&dob=&country=` of the page's search form.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    dob: String,
    #[serde(default)]
    country: String,
    lang: Option<String>,
}

/// A row of the list status table.
pub struct StatusRow {
    source: String,
    version: String,
    imported_at: String,
    entries: u64,
}

#[derive(Template)]
#[template(path = "screening.html")]
struct ScreeningPage<'a> {
    c: Chrome<'a>,
    org_id: String,
    org_name: String,
    search: SearchQuery,
    searched: bool,
    hits: Vec<HitView>,
    threshold: f64,
    status: Vec<StatusRow>,
    may_import: bool,
    sources: Vec<&'static str>,
    notice: Option<String>,
    errors: BTreeMap<String, String>,
    max_upload_mb: usize,
}

impl ScreeningPage<'_> {
    fn pct(&self, score: &f64) -> String {
        format!("{score:.3}")
    }
}

/// The sources the page imports (single files; the OFAC legacy CSV set needs the CLI).
const PAGE_SOURCES: [&str; 8] = ["un", "eu", "eu-csv", "ofac", "uk", "bis-dpl", "ftm", "csv"];

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
fn screening_page(
    state: &AppState,
    headers: &HeaderMap,
    me: &CurrentUser,
    scope: &OrgScope,
    search: SearchQuery,
    status: StatusCode,
    notice: Option<String>,
    errors: BTreeMap<String, String>,
) -> Response {
    let q = PageQuery::with_lang(search.lang.clone());
    let path = format!("/orgs/{}/screening", scope.org_id());
    let c = crate::accounts::chrome(state, headers, &q, &path, Some(&me.user));
    let lists = state.screening.current();
    let mut errors = errors;
    let searched = !search.name.trim().is_empty();
    let mut hits = Vec::new();
    if searched {
        let dob = search.dob.trim();
        let dob = if dob.is_empty() {
            None
        } else {
            let d = BirthDate::parse(dob);
            if d.is_none() {
                errors.insert("dob".into(), c.t.get("err-screen-dob"));
            }
            d
        };
        if !errors.contains_key("dob") {
            let query = NameQuery {
                name: search.name.clone(),
                dob,
                country: Some(search.country.trim().to_owned()).filter(|c| !c.is_empty()),
                ..NameQuery::default()
            };
            hits = lists
                .index
                .search(&query, 20, REVIEW_FLOOR)
                .iter()
                .map(|h| hit_view(&lists, h))
                .collect();
        }
    }
    let status_rows = lists
        .records
        .iter()
        .map(|r| StatusRow {
            source: r.source.as_str().to_owned(),
            version: r.version_label(),
            imported_at: rfc3339(r.imported_at),
            entries: r.entry_count,
        })
        .collect();
    let status = if errors.contains_key("dob") && status == StatusCode::OK {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    page(
        status,
        &ScreeningPage {
            c,
            org_id: scope.org_id().to_owned(),
            org_name: scope.org().name.clone(),
            search,
            searched,
            hits,
            threshold: ALERT_THRESHOLD,
            status: status_rows,
            may_import: scope.role().allows(Action::ManageLists),
            sources: PAGE_SOURCES.to_vec(),
            notice,
            errors,
            max_upload_mb: MAX_UPLOAD_BYTES / (1024 * 1024),
        },
    )
}

/// `GET /screening`: the screening page of the user's first organisation.
pub async fn screening_home(me: CurrentUser) -> Response {
    match me.orgs().await {
        Ok(orgs) => match orgs.first() {
            Some((o, _)) => Redirect::to(&format!("/orgs/{}/screening", o.id)).into_response(),
            None => Redirect::to("/orgs").into_response(),
        },
        Err(r) => r,
    }
}

/// `GET /orgs/{org}/screening`: ad-hoc search (`?name=&dob=&country=`), list status, and the
/// import form for administrators and officers.
pub async fn screening_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(search): Query<SearchQuery>,
    Member { me, scope }: Member,
) -> Response {
    screening_page(
        &state,
        &headers,
        &me,
        &scope,
        search,
        StatusCode::OK,
        None,
        BTreeMap::new(),
    )
}

fn parse_list(source: ListSource, bytes: &[u8], mapping: &str) -> Result<LoadedList, String> {
    let r = match source {
        ListSource::Un => loaders::un::parse(bytes),
        ListSource::Eu => loaders::eu::parse_xml(bytes),
        ListSource::EuCsv => loaders::eu::parse_csv(bytes),
        ListSource::Ofac => loaders::ofac::parse_xml(bytes),
        ListSource::Uk => loaders::uk::parse(bytes),
        ListSource::BisDpl => loaders::bis::parse(bytes),
        ListSource::Ftm => loaders::ftm::parse(bytes),
        ListSource::Csv => {
            let m = if mapping.trim().is_empty() {
                ColumnMapping::name_only("name")
            } else {
                ColumnMapping::parse(&mapping.replace(';', "\n"))
                    .map_err(|e| format!("mapping: {e}"))?
            };
            loaders::csv::parse(bytes, &m)
        }
        _ => return Err("this format is imported with the CLI (vigil lists import)".into()),
    };
    r.map_err(|e| with_line(&e, bytes))
}

/// The loader's error, with the line of the file when the loader gives a byte position (XML) or
/// the file ends early (a truncated file: its last line).
fn with_line(e: &vigil_screening::LoadError, bytes: &[u8]) -> String {
    let line_at = |pos: usize| {
        bytes[..pos.min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    };
    let text = error_chain(e);
    match e {
        vigil_screening::LoadError::Xml { position, .. } => {
            let pos = usize::try_from(*position).unwrap_or(usize::MAX);
            format!("line {}: {text}", line_at(pos))
        }
        _ if text.contains("document ends") => format!(
            "line {}: {text} (the file ends there: truncated?)",
            line_at(bytes.len())
        ),
        _ => text,
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}

/// What an import through the page did.
enum Imported {
    Stored(ImportRecord),
    Unchanged(ImportRecord),
    Refused(String),
}

/// Same rules as `vigil lists import`: the whole file is parsed first (a malformed file is
/// refused naming the line or record, and the attempt is recorded); an empty list, or one with
/// fewer than half the served entries (unless `allow_shrink`), is refused; the same content again
/// changes nothing.
fn import_file(
    store: &Store,
    source: ListSource,
    origin: &str,
    bytes: &[u8],
    mapping: &str,
    allow_shrink: bool,
    actor: &str,
) -> Result<Imported, StoreError> {
    let fail = |msg: String| -> Result<Imported, StoreError> {
        store.record_failed_import_by(source, origin, None, &msg, actor)?;
        Ok(Imported::Refused(msg))
    };
    let list = match parse_list(source, bytes, mapping) {
        Ok(l) => l,
        Err(msg) => return fail(format!("{origin}: {msg}")),
    };
    if list.entries.is_empty() {
        return fail(format!("{origin}: the file holds no {source} entries"));
    }
    let served = store
        .served_lists()?
        .into_iter()
        .find(|r| r.source == source);
    if let Some(prev) = &served
        && !allow_shrink
        && (list.meta.entry_count as u64) * 2 < prev.entry_count
        && list.meta.content_sha256.as_str() != prev.content_sha256.as_deref().unwrap_or("")
    {
        return fail(format!(
            "{origin}: {} entries where the served {source} list (import #{}) has {}: probably a truncated or wrong file",
            list.meta.entry_count, prev.id, prev.entry_count
        ));
    }
    Ok(match store.import_list_by(&list, origin, actor)? {
        ImportOutcome::Imported(r) => Imported::Stored(r),
        ImportOutcome::AlreadyImported { existing, .. } => Imported::Unchanged(existing),
    })
}

/// `POST /orgs/{org}/screening/import`: a list file (multipart: `source`, `file`, optional
/// `mapping` for `csv`, `allow_shrink`), for administrators and officers.
pub async fn screening_import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Member { me, scope }: Member,
    body: Bytes,
) -> Response {
    if !scope.role().allows(Action::ManageLists) {
        return crate::accounts::message(&state, &headers, StatusCode::FORBIDDEN, "forbidden");
    }
    let c = crate::accounts::chrome(&state, &headers, &PageQuery::default(), "/", Some(&me.user));
    let refuse = |key: &str, text: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            BTreeMap::from([(key.to_owned(), text)]),
        )
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // A body that is not multipart/form-data (or has no boundary) is refused as such, not read
    // as an empty form that would only say "choose the list's format".
    let parsed = multipart::parse(ct, &body);
    let malformed = parsed.is_err();
    let parts = parsed.unwrap_or_default();
    let text = |k: &str| {
        multipart::text(&parts, k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let source_name = text("source");
    let source = vigil_store::lists::parse_source(&source_name)
        .filter(|s| PAGE_SOURCES.contains(&s.as_str()));
    let file = multipart::get(&parts, "file")
        .filter(|f| !f.data.is_empty())
        .map(|f| {
            let name = f.filename.clone().unwrap_or_else(|| "upload".into());
            (name, f.data.clone())
        });
    let outcome = match (source, file) {
        _ if malformed => Err(refuse("file", c.t.get("err-upload-malformed"))),
        (None, _) => Err(refuse("source", c.t.get("err-list-source"))),
        (_, None) => Err(refuse("file", c.t.get("err-list-file"))),
        (Some(source), Some((name, bytes))) => {
            let store = match &state.accounts {
                Some(a) => a.store.clone(),
                None => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
            };
            let (mapping, shrink) = (text("mapping"), !text("allow_shrink").is_empty());
            let actor = me.user.id.clone();
            let origin = format!("upload:{name}");
            let (screening, today) = (state.screening.clone(), (state.today)());
            let done = blocking(move || {
                let r = import_file(&store, source, &origin, &bytes, &mapping, shrink, &actor)?;
                if let Imported::Stored(rec) = &r {
                    screening.reload(&store)?;
                    crate::party_screening::after_import(&store, rec.id, today);
                }
                Ok::<_, StoreError>(r)
            })
            .await;
            match done {
                Err(r) => return r,
                Ok(Err(e)) => return internal(&e),
                Ok(Ok(Imported::Refused(msg))) => Err(refuse("file", msg)),
                Ok(Ok(Imported::Stored(r))) => Ok(format!(
                    "{} {} {} ({} {})",
                    c.t.get("list-imported"),
                    r.source,
                    r.version_label(),
                    r.entry_count,
                    c.t.get("col-entries")
                )),
                Ok(Ok(Imported::Unchanged(r))) => Ok(format!(
                    "{} {} {}",
                    c.t.get("list-unchanged"),
                    r.source,
                    r.version_label()
                )),
            }
        }
    };
    drop(c);
    let (status, notice, errors) = match outcome {
        Ok(n) => (StatusCode::OK, Some(n), BTreeMap::new()),
        Err((s, e)) => (s, None, e),
    };
    screening_page(
        &state,
        &headers,
        &me,
        &scope,
        SearchQuery::default(),
        status,
        notice,
        errors,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_and_truncated_list_files_name_their_line() {
        for bad in [
            &b"<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL>\n</WRONG>\n"[..],
            &b"<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL>\n"[..],
        ] {
            let msg = parse_list(ListSource::Un, bad, "")
                .err()
                .unwrap_or_default();
            assert!(msg.starts_with("line 4"), "{msg}");
        }
    }

    #[test]
    fn datasets_are_default_or_a_list() {
        assert_eq!(dataset_filter("default"), Ok(None));
        assert_eq!(dataset_filter("un"), Ok(Some(ListSource::Un)));
        assert!(dataset_filter("nope").is_err());
    }
}
