//! The records of an organisation on the web and in the API: items (product master, with a
//! classification record per version saved from the classification run on the page), parties,
//! and operations (assessed on creation, from pasted OPERATION JSON or built from an item and
//! parties chosen in the form), plus the blocked operations shown on the organisation's page.
//!
//! Access: a member reads (404 for anyone else, whatever the id); creating needs a role that
//! allows [`Action::Enter`] (403 otherwise, e.g. an auditor). The store scopes every query by the
//! organisation and audits every change in the same transaction; this module only checks input
//! (a bad field: 422, the error next to it, nothing written) and calls `vigil-domain`.

#![allow(
    clippy::result_large_err,
    reason = "helpers answer with the page or error `Response` the handler returns"
)]

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use vigil_domain::access::Action;
use vigil_domain::assess::{Assessment, InputError, parse_operation_json};
use vigil_domain::classify::{Classification, FactValue, ItemSheet};
use vigil_domain::law::{ControlCode, Resolution};
use vigil_store::Store;
use vigil_store::accounts::{OrgScope, Organisation};
use vigil_store::records::{
    ClassificationRecord, ITEM_KINDS, Item, NewClassification, NewItem, NewOperation, NewParty,
    OperationRecord, PARTY_ROLES, Party, RecordError,
};

use crate::AppState;
use crate::accounts::{ApiCaller, CurrentUser, PageQuery, chrome, message};
use crate::problem::Problem;
use crate::problem::field_problem;
use crate::ui::{Chrome, Link, citation_links, parse_facts};
use crate::web::rfc3339;
use crate::web::{
    Member, internal, load, org_chrome, org_page, page, require, run, see_other, status_of,
};

/// Operation types offered by the form (the contract's names).
const OPERATION_TYPES: [&str; 8] = [
    "export",
    "temporary_export",
    "re_export",
    "electronic_transmission",
    "intra_eu_transfer",
    "brokering",
    "technical_assistance",
    "transit",
];

/// End-user types offered by the form (the contract's names).
const END_USER_TYPES: [&str; 5] = [
    "commercial",
    "government_security",
    "military",
    "research",
    "individual",
];

/// The catalogue key of a record error shown next to a field, and that field.
fn record_field_error(e: &RecordError) -> Option<(&'static str, &'static str)> {
    Some(match e {
        RecordError::Invalid { field: "name", .. } => ("name", "err-name"),
        RecordError::Invalid { field: "kind", .. } => ("kind", "rec-err-kind"),
        RecordError::Invalid { field: "role", .. } => ("role", "rec-err-role"),
        RecordError::Invalid {
            field: "country", ..
        } => ("country", "rec-err-country"),
        RecordError::Invalid {
            field: "version_label",
            ..
        } => ("version_label", "rec-err-version"),
        RecordError::Invalid {
            field: "entries", ..
        } => ("entries", "rec-err-entries"),
        RecordError::Invalid { field, .. } => (field, "rec-err-text"),
        _ => return None,
    })
}

/// The product sheet of an item with a description and answers from the form: the sheet and
/// its JSON (as stored), or the form's errors.
fn item_sheet(
    item: &Item,
    description: &str,
    facts: &str,
    c: &Chrome<'_>,
    errors: &mut BTreeMap<String, String>,
) -> Option<(ItemSheet, String)> {
    let facts = match parse_facts(facts) {
        Ok(f) => f,
        Err(e) => {
            errors.insert(
                "facts".into(),
                format!("{} ({e})", c.t.get("rec-err-facts")),
            );
            return None;
        }
    };
    let kind = serde_json::from_value(Value::String(item.kind.clone())).ok();
    let description = if description.trim().is_empty() {
        item.description.clone()
    } else {
        description.to_owned()
    };
    let sheet_json = json!({"description": description, "kind": item.kind, "facts": facts});
    Some((
        ItemSheet {
            description,
            kind,
            facts,
        },
        sheet_json.to_string(),
    ))
}

/// The OPERATION text checked and assessed: the assessment, or the contract's field errors.
fn assess_text(state: &AppState, text: &str) -> Result<Assessment, InputError> {
    let op = parse_operation_json(text)?.check(&state.law, (state.today)())?;
    Ok(vigil_domain::assess(&state.law, &op))
}

/// The store's record of an assessed operation.
pub(crate) fn new_operation<'a>(
    a: &'a Assessment,
    input: &'a str,
    json: &'a str,
    party_ids: &'a [String],
) -> NewOperation<'a> {
    NewOperation {
        reference: a.reference.as_deref().unwrap_or(""),
        input_json: input,
        assessment_json: json,
        decision: a.decision.as_str(),
        law_version: &a.law_version,
        retain_until: a.records.as_ref().map(|r| r.retain_until.as_str()),
        party_ids,
    }
}

/// Why an operation was not recorded.
#[derive(Debug)]
pub(crate) enum RecordOperationError {
    /// The OPERATION text breaks the contract (field paths and messages).
    Input(InputError),
    /// The store refused a field, the role, or failed.
    Record(RecordError),
}

/// An operation checked, assessed and screened, ready to be stored.
#[derive(Debug, Clone)]
pub(crate) struct PreparedOperation {
    /// The OPERATION text as given.
    pub text: String,
    /// Its assessment (with the screening of its parties).
    pub assessment: Assessment,
    /// The assessment as stored.
    pub assessment_json: String,
    /// The organisation's party records it names.
    pub party_ids: Vec<String>,
}

impl PreparedOperation {
    /// The store's record of it.
    pub(crate) fn new_operation(&self) -> NewOperation<'_> {
        new_operation(
            &self.assessment,
            &self.text,
            &self.assessment_json,
            &self.party_ids,
        )
    }
}

/// Checks and assesses the OPERATION `text` and screens its parties (`party_ids`: the
/// organisation's party records it was built from, when known). Writes nothing.
///
/// # Errors
/// `Err(Response)` when the store cannot be reached; `Ok(Err(_))` for bad input.
pub(crate) async fn prepare_operation(
    state: &AppState,
    scope: &OrgScope,
    text: String,
    party_ids: Vec<String>,
) -> Result<Result<PreparedOperation, RecordOperationError>, Response> {
    // The authorities' answers to Art. 5(2) notifications hook in here, before the assessment
    // (an answer "licence required" makes the same item and end user an Art. 5(1) `informed`).
    let (text, assessed) =
        crate::due_diligence::bind_authority_answers(state, scope, text, &party_ids, assess_text)
            .await?;
    let a = match assessed {
        Ok(a) => a,
        Err(e) => return Ok(Err(RecordOperationError::Input(e))),
    };
    // Screening of the parties hooks in here.
    let (a, party_ids) =
        crate::party_screening::screen_operation(state, scope, &text, a, party_ids).await?;
    let assessment_json = match serde_json::to_string(&a) {
        Ok(j) => j,
        Err(e) => return Err(internal(&e)),
    };
    Ok(Ok(PreparedOperation {
        text,
        assessment: a,
        assessment_json,
        party_ids,
    }))
}

/// The one path that records an operation, for the form and the API (the CSV upload prepares
/// every line with [`prepare_operation`] and stores them in one transaction): checks, assesses
/// and screens it, then stores it with its assessment and audit row.
///
/// # Errors
/// `Err(Response)` when the store cannot be reached; `Ok(Err(_))` for bad input or a refusal.
pub(crate) async fn record_operation(
    state: &AppState,
    scope: &OrgScope,
    text: String,
    party_ids: Vec<String>,
    release: Option<(String, String)>,
) -> Result<Result<OperationRecord, RecordOperationError>, Response> {
    let prepared = match prepare_operation(state, scope, text, party_ids).await? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let s2 = scope.clone();
    let saved = run(state, move |s| match &release {
        // The item's version named: the `reclassification` hold, when it is not exportable, is
        // written in the operation's own transaction (`vigil_store::releases`).
        Some((item_id, version)) => {
            s.create_operation_for_release(&s2, &prepared.new_operation(), item_id, version)
        }
        None => s.create_operation(&s2, &prepared.new_operation()),
    })
    .await?;
    Ok(saved.map_err(RecordOperationError::Record))
}

// ---------------------------------------------------------------------------------------------
// Items.

/// The new-item form.
#[derive(Debug, Default, Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "items.html")]
struct ItemsPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    items: Vec<Item>,
    can_enter: bool,
    kinds: [&'static str; 3],
    form: ItemForm,
    errors: BTreeMap<String, String>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn items_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: OrgScope,
    status: StatusCode,
    form: ItemForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let (org, can_enter) = (scope.org().clone(), scope.role().allows(Action::Enter));
    let fetch = |s: &Store, sc: &OrgScope| s.items(sc);
    org_page(
        state,
        headers,
        q,
        me,
        &scope,
        "items",
        status,
        fetch,
        |c, items| ItemsPage {
            c,
            org,
            items,
            can_enter,
            kinds: ITEM_KINDS,
            form,
            errors,
        },
    )
    .await
}

/// `GET /orgs/{org}/items`.
pub async fn list_items(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
) -> Response {
    items_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::OK,
        ItemForm::default(),
        BTreeMap::new(),
    )
    .await
}

/// `POST /orgs/{org}/items`.
pub async fn create_item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
    Form(form): Form<ItemForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let (s2, name, kind, description) = (
        scope.clone(),
        form.name.clone(),
        form.kind.clone(),
        form.description.clone(),
    );
    let created = run(&state, move |s| {
        s.create_item(
            &s2,
            &NewItem {
                name: &name,
                kind: &kind,
                description: &description,
            },
        )
    })
    .await;
    match created {
        Ok(Ok(item)) => see_other(&format!("/orgs/{}/items/{}", scope.org_id(), item.id)),
        Ok(Err(e)) => {
            let Some((field, key)) = record_field_error(&e) else {
                return internal(&e);
            };
            let c = chrome(&state, &headers, &q, "/", Some(&me.user));
            let errors = BTreeMap::from([(field.to_owned(), c.t.get(key))]);
            items_page(
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
        Err(r) => r,
    }
}

/// The classify-and-save form of an item's page.
#[derive(Debug, Default, Deserialize)]
pub struct ClassifyItemForm {
    #[serde(default)]
    version_label: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    facts: String,
    #[serde(default)]
    entries: String,
    #[serde(default)]
    cyber_surveillance: String,
    /// Present when the user saves the classification (rather than classifies again).
    #[serde(default)]
    save: Option<String>,
}

/// A classification record as the item's page shows it.
pub struct RecordRow {
    /// The record.
    pub rec: ClassificationRecord,
    /// Its entries.
    pub entries: Vec<String>,
    /// Who classified (their name, or their id if no longer a member).
    pub by: String,
}

/// The names of the members of the scope's organisation, by user id.
fn member_names(
    store: &Store,
    scope: &OrgScope,
) -> Result<BTreeMap<String, String>, vigil_store::StoreError> {
    Ok(store
        .members(scope)?
        .into_iter()
        .map(|m| (m.user.id, m.user.display_name))
        .collect())
}

fn name_of(names: &BTreeMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_owned())
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    item: Item,
    records: Vec<RecordRow>,
    can_enter: bool,
    /// May import SPDX assessments (the form of the SPDX area).
    can_decide: bool,
    form: ClassifyItemForm,
    errors: BTreeMap<String, String>,
    result: Option<Classification>,
}

/// The item and its records, or 404.
async fn load_item(
    state: &AppState,
    headers: &HeaderMap,
    scope: &OrgScope,
    id: String,
) -> Result<(Item, Vec<RecordRow>), Response> {
    let s2 = scope.clone();
    let found = run(state, move |s| {
        let item = s.item(&s2, &id)?;
        let recs = match &item {
            Some(i) => s.classifications(&s2, &i.id)?,
            None => Vec::new(),
        };
        Ok::<_, vigil_store::StoreError>((item, recs, member_names(s, &s2)?))
    })
    .await?;
    match found {
        Ok((Some(item), recs, names)) => {
            let rows = recs
                .into_iter()
                .map(|rec| {
                    Ok(RecordRow {
                        entries: rec.entries()?,
                        by: name_of(&names, &rec.classified_by),
                        rec,
                    })
                })
                .collect::<Result<Vec<_>, vigil_store::records::UnreadableEntries>>()
                .map_err(|e| internal(&e))?;
            Ok((item, rows))
        }
        Ok((None, _, _)) => Err(message(state, headers, StatusCode::NOT_FOUND, "not-found")),
        Err(e) => Err(internal(&e)),
    }
}

/// `GET /orgs/{org}/items/{id}`.
pub async fn show_item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    let (item, records) = match load_item(&state, &headers, &scope, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let c = chrome(
        &state,
        &headers,
        &q,
        &format!("/orgs/{}/items/{}", scope.org_id(), item.id),
        Some(&me.user),
    );
    let form = ClassifyItemForm {
        description: item.description.clone(),
        ..ClassifyItemForm::default()
    };
    page(
        StatusCode::OK,
        &ItemPage {
            c,
            org: scope.org().clone(),
            item,
            records,
            can_enter: scope.role().allows(Action::Enter),
            can_decide: scope.role().allows(Action::Decide),
            form,
            errors: BTreeMap::new(),
            result: None,
        },
    )
}

/// The entries typed by the user, each checked against the law.
fn chosen_entries(state: &AppState, text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for code in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let parsed = ControlCode::parse(code).map_err(|_| code.to_owned())?;
        match state.law.resolve(&parsed) {
            Resolution::Exact(_) | Resolution::Within(_) => out.push(parsed.to_string()),
            Resolution::Unknown(_) => return Err(code.to_owned()),
        }
    }
    Ok(out)
}

/// `POST /orgs/{org}/items/{id}/classify`: classifies the product sheet on the page; with
/// `save`, records the classification with the entries and Art. 2(20) reading chosen.
pub async fn classify_item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
    Form(mut form): Form<ClassifyItemForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let (item, records) = match load_item(&state, &headers, &scope, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let path = format!("/orgs/{}/items/{}", scope.org_id(), item.id);
    let c = chrome(&state, &headers, &q, &path, Some(&me.user));
    let mut errors = BTreeMap::new();
    let mut result = None;
    let mut sheet_json = String::new();
    if let Some((sheet, sj)) = item_sheet(&item, &form.description, &form.facts, &c, &mut errors) {
        sheet_json = sj;
        match vigil_domain::classify(&state.law, &sheet) {
            Ok(r) => result = Some(r),
            Err(e) => {
                for f in e.errors {
                    let field = f.path.split('.').next().unwrap_or("description").to_owned();
                    let field = if field == "facts" {
                        field
                    } else {
                        "description".into()
                    };
                    errors.insert(field, f.message);
                }
            }
        }
    }
    if form.save.is_none() {
        if let Some(r) = &result {
            if form.entries.trim().is_empty()
                && let Some(best) = r.candidates.first()
            {
                form.entries.clone_from(&best.entry);
            }
            if form.cyber_surveillance.is_empty() {
                form.cyber_surveillance = if r.cyber_surveillance == "yes" {
                    "yes"
                } else {
                    "no"
                }
                .to_owned();
            }
        }
    } else if let Some(r) = &result {
        let entries = match chosen_entries(&state, &form.entries) {
            Ok(e) => Some(e),
            Err(bad) => {
                errors.insert(
                    "entries".into(),
                    format!("{} ({bad})", c.t.get("rec-err-entries")),
                );
                None
            }
        };
        let cyber = match form.cyber_surveillance.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.insert("cyber_surveillance".into(), c.t.get("rec-err-cyber"));
                None
            }
        };
        if form.version_label.trim().is_empty() {
            errors.insert("version_label".into(), c.t.get("rec-err-version"));
        }
        if let (Some(entries), Some(cyber), true) = (entries, cyber, errors.is_empty()) {
            let result_json = match serde_json::to_string(r) {
                Ok(j) => j,
                Err(e) => return internal(&e),
            };
            let (s2, item_id, label, law_version) = (
                scope.clone(),
                item.id.clone(),
                form.version_label.clone(),
                r.law_version.clone(),
            );
            let saved = run(&state, move |s| {
                s.classify_item(
                    &s2,
                    &item_id,
                    &NewClassification {
                        version_label: &label,
                        sheet_json: &sheet_json,
                        result_json: &result_json,
                        entries: &entries,
                        cyber_surveillance: cyber,
                        law_version: &law_version,
                    },
                )
            })
            .await;
            match saved {
                Ok(Ok(_)) => return see_other(&path),
                Ok(Err(e)) => match record_field_error(&e) {
                    Some((field, key)) => {
                        errors.insert(field.to_owned(), c.t.get(key));
                    }
                    None if matches!(e, RecordError::NotFound) => {
                        return message(&state, &headers, StatusCode::NOT_FOUND, "not-found");
                    }
                    None => return internal(&e),
                },
                Err(r) => return r,
            }
        }
    }
    page(
        status_of(&errors),
        &ItemPage {
            c,
            org: scope.org().clone(),
            item,
            records,
            can_enter: true,
            can_decide: scope.role().allows(Action::Decide),
            form,
            errors,
            result,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Parties.

/// The new-party form.
#[derive(Debug, Default, Deserialize)]
pub struct PartyForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    notes: String,
}

#[derive(Template)]
#[template(path = "parties.html")]
struct PartiesPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    parties: Vec<Party>,
    can_enter: bool,
    roles: [&'static str; 7],
    form: PartyForm,
    errors: BTreeMap<String, String>,
    screening: crate::party_screening::Summaries,
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn parties_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: OrgScope,
    status: StatusCode,
    form: PartyForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let (org, can_enter) = (scope.org().clone(), scope.role().allows(Action::Enter));
    let today = (state.today)();
    let fetch = move |s: &Store, sc: &OrgScope| {
        let screening = crate::party_screening::Summaries::load(s, sc, today)?;
        Ok::<_, vigil_store::StoreError>((s.parties(sc)?, screening))
    };
    org_page(
        state,
        headers,
        q,
        me,
        &scope,
        "parties",
        status,
        fetch,
        |c, (parties, screening)| PartiesPage {
            c,
            org,
            parties,
            can_enter,
            roles: PARTY_ROLES,
            form,
            errors,
            screening,
        },
    )
    .await
}

/// `GET /orgs/{org}/parties`.
pub async fn list_parties(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
) -> Response {
    parties_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::OK,
        PartyForm::default(),
        BTreeMap::new(),
    )
    .await
}

/// `POST /orgs/{org}/parties`.
pub async fn create_party(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
    Form(form): Form<PartyForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let (s2, role, name, country, notes) = (
        scope.clone(),
        form.role.clone(),
        form.name.clone(),
        form.country.clone(),
        form.notes.clone(),
    );
    let created = run(&state, move |s| {
        s.create_party(
            &s2,
            &NewParty {
                role: &role,
                name: &name,
                country: &country,
                notes: &notes,
            },
        )
    })
    .await;
    match created {
        Ok(Ok(p)) => {
            let to = see_other(&format!("/orgs/{}/parties/{}", scope.org_id(), p.id));
            crate::party_screening::screen_then(&state, &scope, &p, to).await
        }
        Ok(Err(e)) => {
            let Some((field, key)) = record_field_error(&e) else {
                return internal(&e);
            };
            let c = chrome(&state, &headers, &q, "/", Some(&me.user));
            let errors = BTreeMap::from([(field.to_owned(), c.t.get(key))]);
            parties_page(
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
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Operations.

/// The new-operation form: either `operation` (pasted OPERATION JSON), or the fields that build
/// one from an item and parties of the organisation.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct OperationForm {
    #[serde(default)]
    operation: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    op_type: String,
    #[serde(default)]
    destination: String,
    #[serde(default)]
    exporter_name: String,
    #[serde(default)]
    exporter_country: String,
    #[serde(default)]
    item: String,
    /// A version (release) of the item, optional (see `vigil_store::releases`).
    #[serde(default)]
    version: String,
    #[serde(default)]
    party_1: String,
    #[serde(default)]
    party_2: String,
    #[serde(default)]
    party_3: String,
    #[serde(default)]
    end_use: String,
    #[serde(default)]
    end_user_type: String,
}

#[derive(Template)]
#[template(path = "operations.html")]
struct OperationsPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    ops: Vec<OperationRecord>,
    can_enter: bool,
    items: Vec<Item>,
    parties: Vec<Party>,
    op_types: [&'static str; 8],
    end_user_types: [&'static str; 5],
    form: OperationForm,
    errors: BTreeMap<String, String>,
    problems: Vec<(String, String)>,
}

impl OperationsPage<'_> {
    fn at(&self, t: &i64) -> String {
        self.c.when(t)
    }

    fn party_fields(&self) -> [(&'static str, &str); 3] {
        [
            ("party_1", self.form.party_1.as_str()),
            ("party_2", self.form.party_2.as_str()),
            ("party_3", self.form.party_3.as_str()),
        ]
    }

    fn bad(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "a page of a handler: its state and parts"
)]
async fn operations_page(
    state: &AppState,
    headers: &HeaderMap,
    q: &PageQuery,
    me: &CurrentUser,
    scope: OrgScope,
    status: StatusCode,
    form: OperationForm,
    errors: BTreeMap<String, String>,
    problems: Vec<(String, String)>,
) -> Response {
    let s2 = scope.clone();
    let loaded = load(state, move |s| {
        Ok::<_, vigil_store::StoreError>((
            s.operations(&s2, false)?,
            s.items(&s2)?,
            s.parties(&s2)?,
        ))
    })
    .await;
    let (ops, items, parties) = match loaded {
        Ok(x) => x,
        Err(r) => return r,
    };
    let c = org_chrome(state, headers, q, me, scope.org_id(), "operations");
    page(
        status,
        &OperationsPage {
            c,
            org: scope.org().clone(),
            ops,
            can_enter: scope.role().allows(Action::Enter),
            items,
            parties,
            op_types: OPERATION_TYPES,
            end_user_types: END_USER_TYPES,
            form: OperationForm {
                op_type: if form.op_type.is_empty() {
                    "export".to_owned()
                } else {
                    form.op_type
                },
                ..form
            },
            errors,
            problems,
        },
    )
}

/// `GET /orgs/{org}/operations`.
pub async fn list_operations(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
) -> Response {
    operations_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::OK,
        OperationForm::default(),
        BTreeMap::new(),
        Vec::new(),
    )
    .await
}

/// The form field a contract path of a built operation belongs to.
fn form_field(path: &str) -> &'static str {
    let head = path.split(['.', '[']).next().unwrap_or_default();
    match head {
        "reference" => "reference",
        "type" => "op_type",
        "destination" => "destination",
        "exporter" if path.ends_with("country") => "exporter_country",
        "exporter" => "exporter_name",
        "items" => "item",
        "parties" => "party_1",
        "end_use" => "end_use",
        "end_user_type" => "end_user_type",
        _ => "operation",
    }
}

/// Builds the OPERATION JSON from the form's item and parties (their latest classification gives
/// the entries and the Art. 2(20) reading), with the ids of the parties it names.
#[allow(
    clippy::type_complexity,
    reason = "the built text and ids, or the form's field error"
)]
fn build_operation(
    store: &Store,
    scope: &OrgScope,
    form: &OperationForm,
) -> Result<Result<(String, Vec<String>), (&'static str, &'static str)>, vigil_store::StoreError> {
    let Some(item) = store.item(scope, &form.item)? else {
        return Ok(Err(("item", "rec-err-choose-item")));
    };
    let Some(rec) = store.classifications(scope, &item.id)?.into_iter().next() else {
        return Ok(Err(("item", "rec-err-unclassified")));
    };
    // A version (release) of the item: its own classification when it has one, else the latest
    // (the operation is then held for re-classification, `vigil_store::releases`).
    let version = form.version.trim();
    let rec = if version.is_empty() {
        rec
    } else {
        let records = store.classifications(scope, &item.id)?;
        let registered = store
            .releases(scope, &item.id)?
            .iter()
            .any(|(r, _)| r.version_label == version);
        match records.into_iter().find(|c| c.version_label == version) {
            Some(own) => own,
            None if registered => rec,
            None => return Ok(Err(("version", "release-err-version"))),
        }
    };
    let mut parties = Vec::new();
    let mut party_ids = Vec::new();
    for (field, id) in [
        ("party_1", &form.party_1),
        ("party_2", &form.party_2),
        ("party_3", &form.party_3),
    ] {
        if id.is_empty() {
            continue;
        }
        match store.party(scope, id)? {
            Some(p) => {
                parties.push(json!({"role": p.role, "name": p.name, "country": p.country}));
                party_ids.push(p.id);
            }
            None => return Ok(Err((field, "rec-err-choose-party"))),
        }
    }
    let mut op = json!({
        "type": form.op_type,
        "exporter": {"name": form.exporter_name.trim(), "country": form.exporter_country.trim().to_ascii_uppercase()},
        "destination": form.destination.trim().to_ascii_uppercase(),
        "items": [{
            "id": if version.is_empty() { item.name.clone() } else { format!("{} {version}", item.name) },
            "description": item.description,
            "kind": item.kind,
            "entries": rec.entries()?,
            "cyber_surveillance": rec.cyber_surveillance == "yes",
        }],
        "parties": parties,
        "end_use": form.end_use.trim(),
    });
    if !form.reference.trim().is_empty() {
        op["reference"] = json!(form.reference.trim());
    }
    if !form.end_user_type.is_empty() {
        op["end_user_type"] = json!(form.end_user_type);
    }
    Ok(Ok((
        serde_json::to_string_pretty(&op).unwrap_or_default(),
        party_ids,
    )))
}

/// `POST /orgs/{org}/operations`: assesses the operation and records it with its assessment.
pub async fn create_operation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Member { me, scope }: Member,
    Form(form): Form<OperationForm>,
) -> Response {
    if let Err(r) = require(&state, &headers, &scope, Action::Enter) {
        return r;
    }
    let c = chrome(&state, &headers, &q, "/", Some(&me.user));
    let mut errors = BTreeMap::new();
    let mut problems = Vec::new();
    let pasted = !form.operation.trim().is_empty();
    let built = if pasted {
        Some((form.operation.clone(), Vec::new()))
    } else {
        let (s2, f2) = (scope.clone(), form.clone());
        match run(&state, move |s| build_operation(s, &s2, &f2)).await {
            Ok(Ok(Ok(built))) => Some(built),
            Ok(Ok(Err((field, key)))) => {
                errors.insert(field.to_owned(), c.t.get(key));
                None
            }
            Ok(Err(e)) => return internal(&e),
            Err(r) => return r,
        }
    };
    if let Some((text, party_ids)) = built {
        let release = (!pasted && !form.item.trim().is_empty() && !form.version.trim().is_empty())
            .then(|| (form.item.trim().to_owned(), form.version.trim().to_owned()));
        match record_operation(&state, &scope, text, party_ids, release).await {
            Ok(Ok(op)) => {
                return see_other(&format!("/orgs/{}/operations/{}", scope.org_id(), op.id));
            }
            Ok(Err(RecordOperationError::Record(e))) => match record_field_error(&e) {
                Some((field, key)) => {
                    errors.insert(form_field(field).to_owned(), c.t.get(key));
                }
                None => return internal(&e),
            },
            Ok(Err(RecordOperationError::Input(e))) => {
                for f in e.errors {
                    let field = if pasted {
                        "operation"
                    } else {
                        form_field(&f.path)
                    };
                    errors
                        .entry(field.to_owned())
                        .or_insert_with(|| format!("{}: {}", f.path, f.message));
                    problems.push((f.path, f.message));
                }
            }
            Err(r) => return r,
        }
    }
    operations_page(
        &state,
        &headers,
        &q,
        &me,
        scope,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
        problems,
    )
    .await
}

#[derive(Template)]
#[template(path = "operation.html")]
struct OperationPage<'a> {
    c: Chrome<'a>,
    org: Organisation,
    op: OperationRecord,
    a: Option<Assessment>,
    links: Vec<Link>,
    by: String,
    input: String,
}

/// `GET /orgs/{org}/operations/{id}`: the stored assessment.
pub async fn show_operation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    Path((_, id)): Path<(String, String)>,
    Member { me, scope }: Member,
) -> Response {
    let s2 = scope.clone();
    let found = run(&state, move |s| {
        Ok::<_, vigil_store::StoreError>((s.operation(&s2, &id)?, member_names(s, &s2)?))
    })
    .await;
    let (op, by) = match found {
        Ok(Ok((Some(op), names))) => {
            let by = name_of(&names, &op.created_by);
            (op, by)
        }
        Ok(Ok((None, _))) => return message(&state, &headers, StatusCode::NOT_FOUND, "not-found"),
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    // What the server stored itself: unreadable means a damaged database, said as such.
    let (a, input) = match (op.assessment(), op.input()) {
        (Ok(a), Ok(i)) => (Some(a), i),
        (Err(e), _) | (_, Err(e)) => return internal(&e),
    };
    let links = a
        .as_ref()
        .map(|a| citation_links(&state, a))
        .unwrap_or_default();
    let input = serde_json::to_string_pretty(&input).unwrap_or_else(|_| op.input_json.clone());
    let c = chrome(
        &state,
        &headers,
        &q,
        &format!("/orgs/{}/operations/{}", scope.org_id(), op.id),
        Some(&me.user),
    );
    page(
        StatusCode::OK,
        &OperationPage {
            c,
            org: scope.org().clone(),
            by,
            op,
            a,
            links,
            input,
        },
    )
}

/// The open blocked operations of the scope's organisation (for its page).
///
/// # Errors
/// The store's.
pub fn blocked_operations(
    store: &Store,
    scope: &OrgScope,
) -> Result<Vec<OperationRecord>, vigil_store::StoreError> {
    store.operations(scope, true)
}

// ---------------------------------------------------------------------------------------------
// The API.

fn forbidden_problem() -> Response {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        "your role in this organisation does not allow changes (operator or above needed)",
    )
    .into_response()
}

fn not_found_problem(what: &str) -> Response {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        format!("no {what} with this id in your organisation"),
    )
    .into_response()
}

fn record_problem(e: &RecordError) -> Response {
    match e {
        RecordError::Invalid { field, reason } => field_problem(field, reason),
        RecordError::Forbidden => forbidden_problem(),
        RecordError::NotFound => not_found_problem("record"),
        other => internal(other),
    }
}

/// The string members of a JSON object body: `required` must be present; all must be strings;
/// no other member is accepted.
fn string_members(
    body: &str,
    required: &[&str],
    optional: &[&str],
) -> Result<BTreeMap<String, String>, Response> {
    let v: Value = serde_json::from_str(body).map_err(|e| field_problem("", &e.to_string()))?;
    let Value::Object(obj) = v else {
        return Err(field_problem("", "a JSON object"));
    };
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        if !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            return Err(field_problem(&k, "unknown field"));
        }
        let Value::String(s) = v else {
            return Err(field_problem(&k, "a string"));
        };
        out.insert(k, s);
    }
    for r in required {
        if !out.contains_key(*r) {
            return Err(field_problem(r, "missing field"));
        }
    }
    Ok(out)
}

/// An item as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `hardware`, `software` or `technology`.
    pub kind: String,
    /// Description.
    pub description: String,
    /// Created by (user id).
    pub created_by: String,
    /// When created (RFC 3339, UTC).
    pub created_at: String,
}

impl From<Item> for ItemView {
    fn from(i: Item) -> Self {
        ItemView {
            created_at: rfc3339(i.created_at),
            id: i.id,
            name: i.name,
            kind: i.kind,
            description: i.description,
            created_by: i.created_by,
        }
    }
}

/// A new item.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ItemBody {
    /// Name (1–200 characters).
    pub name: String,
    /// `hardware`, `software` or `technology`.
    pub kind: String,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// A party as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyView {
    /// Id.
    pub id: String,
    /// Contract role (`consignee`, `end_user` …).
    pub role: String,
    /// Name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Notes.
    pub notes: String,
    /// Created by (user id).
    pub created_by: String,
    /// When created (RFC 3339, UTC).
    pub created_at: String,
}

impl From<Party> for PartyView {
    fn from(p: Party) -> Self {
        PartyView {
            created_at: rfc3339(p.created_at),
            id: p.id,
            role: p.role,
            name: p.name,
            country: p.country,
            notes: p.notes,
            created_by: p.created_by,
        }
    }
}

/// A new party.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PartyBody {
    /// Contract role (`consignee`, `end_user`, `intermediate_consignee`, `broker`,
    /// `distributor`, `reseller`, `subsidiary`).
    pub role: String,
    /// Name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Notes.
    #[serde(default)]
    pub notes: String,
}

/// An operation in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperationSummary {
    /// Id.
    pub id: String,
    /// The exporter's reference.
    pub reference: String,
    /// Decision (contract name).
    pub decision: String,
    /// `decided` or `blocked`.
    pub status: String,
    /// Law version of the assessment.
    pub law_version: String,
    /// Created by (user id).
    pub created_by: String,
    /// When created (RFC 3339, UTC).
    pub created_at: String,
}

/// An operation with its input and assessment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperationView {
    /// Summary.
    #[serde(flatten)]
    pub summary: OperationSummary,
    /// The OPERATION as submitted.
    #[schema(value_type = Object)]
    pub operation: Value,
    /// The assessment recorded.
    pub assessment: Assessment,
}

impl From<&OperationRecord> for OperationSummary {
    fn from(o: &OperationRecord) -> Self {
        OperationSummary {
            id: o.id.clone(),
            reference: o.reference.clone(),
            decision: o.decision.clone(),
            status: o.status.clone(),
            law_version: o.law_version.clone(),
            created_by: o.created_by.clone(),
            created_at: rfc3339(o.created_at),
        }
    }
}

fn operation_view(o: &OperationRecord) -> Result<OperationView, Response> {
    let assessment = serde_json::from_str(&o.assessment_json).map_err(|e| internal(&e))?;
    let operation = serde_json::from_str(&o.input_json).map_err(|e| internal(&e))?;
    Ok(OperationView {
        summary: o.into(),
        operation,
        assessment,
    })
}

fn created(location: String, body: impl Serialize) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// List the items of the token's organisation.
#[utoipa::path(get, path = "/api/v1/items",
    responses((status = 200, body = [ItemView]), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_items(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let scope = caller.scope;
    match load(&state, move |s| s.items(&scope)).await {
        Ok(items) => {
            Json(items.into_iter().map(ItemView::from).collect::<Vec<_>>()).into_response()
        }
        Err(r) => r,
    }
}

/// Create an item (operator or above).
#[utoipa::path(post, path = "/api/v1/items", request_body = ItemBody,
    responses((status = 201, body = ItemView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_create_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Enter) {
        return forbidden_problem();
    }
    let m = match string_members(&body, &["name", "kind"], &["description"]) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let scope = caller.scope;
    let r = run(&state, move |s| {
        s.create_item(
            &scope,
            &NewItem {
                name: &m["name"],
                kind: &m["kind"],
                description: m.get("description").map_or("", String::as_str),
            },
        )
    })
    .await;
    match r {
        Ok(Ok(i)) => created(format!("/api/v1/items/{}", i.id), ItemView::from(i)),
        Ok(Err(e)) => record_problem(&e),
        Err(r) => r,
    }
}

/// List the parties of the token's organisation.
#[utoipa::path(get, path = "/api/v1/parties",
    responses((status = 200, body = [PartyView]), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_parties(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let scope = caller.scope;
    match load(&state, move |s| s.parties(&scope)).await {
        Ok(p) => Json(p.into_iter().map(PartyView::from).collect::<Vec<_>>()).into_response(),
        Err(r) => r,
    }
}

/// Create a party (operator or above).
#[utoipa::path(post, path = "/api/v1/parties", request_body = PartyBody,
    responses((status = 201, body = PartyView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_create_party(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Enter) {
        return forbidden_problem();
    }
    let m = match string_members(&body, &["role", "name", "country"], &["notes"]) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let (scope, screened) = (caller.scope.clone(), caller.scope);
    let r = run(&state, move |s| {
        s.create_party(
            &scope,
            &NewParty {
                role: &m["role"],
                name: &m["name"],
                country: &m["country"],
                notes: m.get("notes").map_or("", String::as_str),
            },
        )
    })
    .await;
    match r {
        Ok(Ok(p)) => {
            let ok = created(
                format!("/api/v1/parties/{}", p.id),
                PartyView::from(p.clone()),
            );
            crate::party_screening::screen_then(&state, &screened, &p, ok).await
        }
        Ok(Err(e)) => record_problem(&e),
        Err(r) => r,
    }
}

/// List the operations of the token's organisation, newest first.
#[utoipa::path(get, path = "/api/v1/operations",
    responses((status = 200, body = [OperationSummary]), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_operations(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let scope = caller.scope;
    match load(&state, move |s| s.operations(&scope, false)).await {
        Ok(ops) => Json(ops.iter().map(OperationSummary::from).collect::<Vec<_>>()).into_response(),
        Err(r) => r,
    }
}

/// Assess an operation and record it with its assessment (operator or above). The body is the
/// OPERATION of the assessment contract.
#[utoipa::path(post, path = "/api/v1/operations", request_body = vigil_domain::assess::OperationInput,
    responses((status = 201, body = OperationView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_create_operation(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Enter) {
        return forbidden_problem();
    }
    match record_operation(&state, &caller.scope, body, Vec::new(), None).await {
        Ok(Ok(op)) => match operation_view(&op) {
            Ok(v) => created(format!("/api/v1/operations/{}", op.id), v),
            Err(r) => r,
        },
        Ok(Err(RecordOperationError::Input(e))) => Problem::invalid_input(&e).into_response(),
        Ok(Err(RecordOperationError::Record(e))) => record_problem(&e),
        Err(r) => r,
    }
}

/// One operation of the token's organisation, with its input and assessment.
#[utoipa::path(get, path = "/api/v1/operations/{id}",
    params(("id" = String, Path, description = "Operation id")),
    responses((status = 200, body = OperationView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_operation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope;
    match run(&state, move |s| s.operation(&scope, &id)).await {
        Ok(Ok(Some(op))) => match operation_view(&op) {
            Ok(v) => Json(v).into_response(),
            Err(r) => r,
        },
        Ok(Ok(None)) => not_found_problem("operation"),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// A classification record as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClassificationView {
    /// Id.
    pub id: String,
    /// Version or release.
    pub version_label: String,
    /// The Annex I entries chosen.
    pub entries: Vec<String>,
    /// The Art. 2(20) reading chosen.
    pub cyber_surveillance: bool,
    /// Law version.
    pub law_version: String,
    /// Who classified (user id).
    pub classified_by: String,
    /// When (RFC 3339, UTC).
    pub classified_at: String,
    /// The product sheet classified.
    #[schema(value_type = Object)]
    pub sheet: Value,
    /// Vigil's classification of it.
    #[schema(value_type = Object)]
    pub result: Value,
}

impl TryFrom<&ClassificationRecord> for ClassificationView {
    type Error = vigil_store::StoreError;

    fn try_from(r: &ClassificationRecord) -> Result<Self, Self::Error> {
        Ok(ClassificationView {
            id: r.id.clone(),
            version_label: r.version_label.clone(),
            entries: r.entries()?,
            cyber_surveillance: r.cyber_surveillance == "yes",
            law_version: r.law_version.clone(),
            classified_by: r.classified_by.clone(),
            classified_at: rfc3339(r.classified_at),
            sheet: r.sheet()?,
            result: r.result()?,
        })
    }
}

/// An item with its classification records, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemDetail {
    /// The item.
    #[serde(flatten)]
    pub item: ItemView,
    /// Its classification records.
    pub classifications: Vec<ClassificationView>,
}

/// A classification to record: the product sheet is classified again by the server, and the
/// entries chosen are checked against the law.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClassificationBody {
    /// Version or release (1–100 characters).
    pub version_label: String,
    /// The product description (default: the item's).
    #[serde(default)]
    pub description: Option<String>,
    /// Answers to questions, by fact id.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub facts: BTreeMap<String, FactValue>,
    /// The Annex I entries chosen (empty: not listed).
    pub entries: Vec<String>,
    /// The Art. 2(20) reading chosen.
    pub cyber_surveillance: bool,
}

/// One item of the token's organisation, with its classification records.
#[utoipa::path(get, path = "/api/v1/items/{id}",
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, body = ItemDetail), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope;
    let found = run(&state, move |s| {
        let item = s.item(&scope, &id)?;
        let recs = s.classifications(&scope, &id)?;
        Ok::<_, vigil_store::StoreError>((item, recs))
    })
    .await;
    match found {
        Ok(Ok((Some(item), recs))) => {
            match recs
                .iter()
                .map(ClassificationView::try_from)
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(classifications) => Json(ItemDetail {
                    item: item.into(),
                    classifications,
                })
                .into_response(),
                Err(e) => internal(&e),
            }
        }
        Ok(Ok((None, _))) => not_found_problem("item"),
        Ok(Err(e)) => internal(&e),
        Err(r) => r,
    }
}

/// Classify an item's product sheet and record the classification with the entries and the
/// Art. 2(20) reading chosen (operator or above).
#[utoipa::path(post, path = "/api/v1/items/{id}/classifications", request_body = ClassificationBody,
    params(("id" = String, Path, description = "Item id")),
    responses((status = 201, body = ClassificationView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])), tag = "records")]
pub async fn api_classify_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: String,
) -> Response {
    if !caller.scope.role().allows(Action::Enter) {
        return forbidden_problem();
    }
    let de = &mut serde_json::Deserializer::from_str(&body);
    let b: ClassificationBody = match serde_path_to_error::deserialize(de) {
        Ok(b) => b,
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            return field_problem(&path, &e.inner().to_string());
        }
    };
    let mut entries = Vec::new();
    for (i, code) in b.entries.iter().enumerate() {
        match chosen_entries(&state, code) {
            Ok(mut e) if e.len() == 1 => entries.append(&mut e),
            _ => {
                return field_problem(
                    &format!("entries[{i}]"),
                    &format!("`{code}` is not an Annex I entry of the law applied"),
                );
            }
        }
    }
    let scope = caller.scope.clone();
    let item = match run(&state, move |s| s.item(&scope, &id)).await {
        Ok(Ok(Some(i))) => i,
        Ok(Ok(None)) => return not_found_problem("item"),
        Ok(Err(e)) => return internal(&e),
        Err(r) => return r,
    };
    let description = b.description.unwrap_or_else(|| item.description.clone());
    let sheet_json =
        json!({"description": description, "kind": item.kind, "facts": b.facts}).to_string();
    let sheet = ItemSheet {
        description,
        kind: serde_json::from_value(Value::String(item.kind.clone())).ok(),
        facts: b.facts,
    };
    let result = match vigil_domain::classify(&state.law, &sheet) {
        Ok(r) => r,
        Err(e) => return Problem::invalid_input(&e).into_response(),
    };
    let result_json = match serde_json::to_string(&result) {
        Ok(j) => j,
        Err(e) => return internal(&e),
    };
    let (scope, label, cyber) = (caller.scope, b.version_label, b.cyber_surveillance);
    let saved = run(&state, move |s| {
        s.classify_item(
            &scope,
            &item.id,
            &NewClassification {
                version_label: &label,
                sheet_json: &sheet_json,
                result_json: &result_json,
                entries: &entries,
                cyber_surveillance: cyber,
                law_version: &result.law_version,
            },
        )
    })
    .await;
    match saved {
        Ok(Ok(rec)) => match ClassificationView::try_from(&rec) {
            Ok(v) => created(format!("/api/v1/items/{}", rec.item_id), v),
            Err(e) => internal(&e),
        },
        Ok(Err(e)) => record_problem(&e),
        Err(r) => r,
    }
}

/// Declares the bearer scheme of the records API.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The records part of the OpenAPI document (merged into [`crate::api::ApiDoc`]'s).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api_items,
        api_create_item,
        api_parties,
        api_create_party,
        api_operations,
        api_create_operation,
        api_operation,
        api_item,
        api_classify_item
    ),
    components(schemas(
        ItemView,
        ItemBody,
        ItemDetail,
        ClassificationView,
        ClassificationBody,
        PartyView,
        PartyBody,
        OperationSummary,
        OperationView
    )),
    modifiers(&BearerScheme),
    tags((name = "records", description = "Items, parties and operations of the token's organisation"))
)]
pub struct RecordsApi;
