//! The isolation matrix, through the real server on a temporary SQLite database: every route of
//! the router that concerns organisation data ([`ROUTES`], pages and API, GET and POST) × every
//! role of organisation A (admin, officer, operator, auditor) × {A's own data, organisation B's
//! data, A's path with B's record ids}, asserting the status (allowed per
//! [`Role::allows`], 403 for a member lacking the right, 404 for another organisation's data) and
//! that no response shows any of B's marker strings; and, signed out, every such page redirects
//! to the sign-in page and every API route answers 401.
//!
//! [`ROUTES`] must name every route of `crates/server/src/lib.rs` (or list it in [`NOT_ORG_DATA`]
//! with the reason): a new route fails `the_route_table_covers_the_router` until it is added.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use super::*;

use vigil_domain::access::{Action, Role};
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::records::{NewClassification, NewItem, NewParty};

/// Names given to organisation B's records: none may appear in a response to a member of A.
const B_MARKERS: &[&str] = &[
    "ZULU-ORG-B",
    "zulu-admin@b.example",
    "Zulu Bravo",
    "ZULU-SPARE-B",
    "ZULU-ITEM-B",
    "ZULU-ITEM-DESC-B",
    "ZULU-CLASS-B",
    "ZULU-PARTY-B",
    "ZULU-OP-B",
    "ZULU-TOKEN-B",
];

/// How a route is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A page: session cookie; signed out, a redirect to `/login`.
    Page,
    /// The JSON API: bearer token (acting in one organisation); without one, 401.
    Api,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Any signed-in user; no organisation in the path (what it shows is the user's own).
    SignedIn,
    /// A member of the organisation (of the path, or of the token) whose role allows the action.
    Member(Action),
}

/// The request body of a call (`n` makes names unique).
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    OrgForm,
    NewMemberForm,
    RoleForm,
    TokenForm,
    ImportUpload,
    ItemForm,
    ClassifyForm,
    PartyForm,
    OperationForm,
    ItemJson,
    ClassificationJson,
    PartyJson,
    OperationJson,
    ScreenJson,
    MatchJson,
    LicenceUpload,
    LicenceJson,
    UgeaForm,
    HitDecisionForm,
    ClearanceJson,
    IcpJson,
    TransmissionJson,
}

struct Route {
    method: &'static str,
    /// The router's path pattern (`{org}`, `{id}`, `{user}`, `{dataset}` are filled in).
    pattern: &'static str,
    via: Via,
    gate: Gate,
    body: Body,
    /// The status of an allowed call.
    ok: u16,
}

const fn page(
    method: &'static str,
    pattern: &'static str,
    gate: Gate,
    body: Body,
    ok: u16,
) -> Route {
    Route {
        method,
        pattern,
        via: Via::Page,
        gate,
        body,
        ok,
    }
}

const fn api(
    method: &'static str,
    pattern: &'static str,
    gate: Gate,
    body: Body,
    ok: u16,
) -> Route {
    Route {
        method,
        pattern,
        via: Via::Api,
        gate,
        body,
        ok,
    }
}

use Gate::{Member, SignedIn};

/// Every route concerning organisation data.
const ROUTES: &[Route] = &[
    // Organisations, members, tokens.
    page("GET", "/orgs", SignedIn, Body::None, 200),
    page("POST", "/orgs", SignedIn, Body::OrgForm, 303),
    page("GET", "/account", SignedIn, Body::None, 200),
    page("GET", "/orgs/{org}", Member(Action::Read), Body::None, 200),
    page(
        "GET",
        "/orgs/{org}/members",
        Member(Action::ManageMembers),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/members",
        Member(Action::ManageMembers),
        Body::NewMemberForm,
        303,
    ),
    page(
        "POST",
        "/orgs/{org}/members/{user}/role",
        Member(Action::ManageMembers),
        Body::RoleForm,
        303,
    ),
    page(
        "GET",
        "/orgs/{org}/tokens",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/tokens",
        Member(Action::Read),
        Body::TokenForm,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/tokens/{id}/revoke",
        Member(Action::Read),
        Body::None,
        303,
    ),
    // Screening.
    page("GET", "/screening", SignedIn, Body::None, 303),
    page(
        "GET",
        "/orgs/{org}/screening",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // A file that is not a list: refused (422) once past the access check.
    page(
        "POST",
        "/orgs/{org}/screening/import",
        Member(Action::ManageLists),
        Body::ImportUpload,
        422,
    ),
    // The audit log.
    page(
        "GET",
        "/orgs/{org}/audit",
        Member(Action::ReadAudit),
        Body::None,
        200,
    ),
    page(
        "GET",
        "/orgs/{org}/audit.csv",
        Member(Action::ReadAudit),
        Body::None,
        200,
    ),
    // Records.
    page(
        "GET",
        "/orgs/{org}/items",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/items",
        Member(Action::Enter),
        Body::ItemForm,
        303,
    ),
    page(
        "GET",
        "/orgs/{org}/items/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // A classification run (shown, not saved).
    page(
        "POST",
        "/orgs/{org}/items/{id}/classify",
        Member(Action::Enter),
        Body::ClassifyForm,
        200,
    ),
    page(
        "GET",
        "/orgs/{org}/parties",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/parties",
        Member(Action::Enter),
        Body::PartyForm,
        303,
    ),
    page(
        "GET",
        "/orgs/{org}/operations",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/operations",
        Member(Action::Enter),
        Body::OperationForm,
        303,
    ),
    page(
        "GET",
        "/orgs/{org}/operations/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // Operations by CSV upload: a file that is not the CSV format is refused (422) once past the
    // access check; the API refuses a JSON body (415) once past it.
    page(
        "GET",
        "/orgs/{org}/operations/batch",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/batch",
        Member(Action::Enter),
        Body::ImportUpload,
        422,
    ),
    api(
        "POST",
        "/api/v1/operations/batch",
        Member(Action::Enter),
        Body::OperationJson,
        415,
    ),
    // The API (a token acts in one organisation: "other" is B's record ids).
    api("GET", "/api/v1/me", Member(Action::Read), Body::None, 200),
    api(
        "GET",
        "/api/v1/members",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "GET",
        "/api/v1/items",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/items",
        Member(Action::Enter),
        Body::ItemJson,
        201,
    ),
    api(
        "GET",
        "/api/v1/items/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/items/{id}/classifications",
        Member(Action::Enter),
        Body::ClassificationJson,
        201,
    ),
    api(
        "GET",
        "/api/v1/parties",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/parties",
        Member(Action::Enter),
        Body::PartyJson,
        201,
    ),
    api(
        "GET",
        "/api/v1/operations",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/operations",
        Member(Action::Enter),
        Body::OperationJson,
        201,
    ),
    api(
        "GET",
        "/api/v1/operations/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // The authorisations register (licences.rs): reading for members, registering a licence or
    // the use of a general authorisation is a decision.
    page(
        "GET",
        "/orgs/{org}/licences",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/licences",
        Member(Action::Decide),
        Body::LicenceUpload,
        303,
    ),
    page(
        "GET",
        "/orgs/{org}/licences/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // Amending a licence is a decision; an empty form is 422 once past the access check.
    page(
        "POST",
        "/orgs/{org}/licences/{id}/amendments",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    page(
        "GET",
        "/orgs/{org}/licences/{id}/drawdowns.csv",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "GET",
        "/orgs/{org}/attachments/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "GET",
        "/orgs/{org}/general-authorisations",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/general-authorisations",
        Member(Action::Decide),
        Body::UgeaForm,
        303,
    ),
    api(
        "GET",
        "/api/v1/licences",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/licences",
        Member(Action::Decide),
        Body::LicenceJson,
        201,
    ),
    api(
        "GET",
        "/api/v1/licences/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // An empty body: 422 once past the access check (another organisation's licence: 404).
    api(
        "POST",
        "/api/v1/licences/{id}/amendments",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    // Intangible exports (transmissions.rs): every member reads; recording a transmission is
    // entering an operation.
    page(
        "GET",
        "/orgs/{org}/transmissions",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "GET",
        "/api/v1/transmissions",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/transmissions",
        Member(Action::Enter),
        Body::TransmissionJson,
        201,
    ),
    api(
        "GET",
        "/api/v1/calendar.ics",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // SPDX 3 export and import (spdx.rs): every member exports (without `country`: 422 once past
    // the access check); importing and accepting are an officer's (an empty body: 422; the
    // matrix's item id names no imported assessment: 404).
    api(
        "GET",
        "/api/v1/items/{id}/spdx",
        Member(Action::Read),
        Body::None,
        422,
    ),
    api(
        "POST",
        "/api/v1/spdx",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    api(
        "GET",
        "/api/v1/spdx/proposals",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/spdx/proposals/{id}/accept",
        Member(Action::Decide),
        Body::None,
        404,
    ),
    page(
        "GET",
        "/orgs/{org}/items/{id}/spdx",
        Member(Action::Read),
        Body::None,
        422,
    ),
    page(
        "GET",
        "/orgs/{org}/spdx",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/spdx",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    page(
        "POST",
        "/orgs/{org}/spdx/{id}/accept",
        Member(Action::Decide),
        Body::None,
        404,
    ),
    // Block -> review -> release (review.rs). A's operation has no hold named `{hold}`: 404 once
    // past the access check.
    page(
        "GET",
        "/orgs/{org}/operations/{id}/review",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/{id}/holds/{hold}/release",
        Member(Action::Decide),
        Body::None,
        404,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/{id}/complete",
        Member(Action::Enter),
        Body::None,
        303,
    ),
    page(
        "GET",
        "/orgs/{org}/records.zip",
        Member(Action::ReadAudit),
        Body::None,
        200,
    ),
    page(
        "GET",
        "/orgs/{org}/retention",
        Member(Action::ReadAudit),
        Body::None,
        200,
    ),
    // Nothing selected: 422 once past the access check.
    page(
        "POST",
        "/orgs/{org}/retention/delete",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    api(
        "GET",
        "/api/v1/retention",
        Member(Action::ReadAudit),
        Body::None,
        200,
    ),
    // An empty body: 422 once past the access check.
    api(
        "POST",
        "/api/v1/retention/delete",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    api(
        "GET",
        "/api/v1/operations/{id}/holds",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/operations/{id}/holds/{hold}/release",
        Member(Action::Decide),
        Body::None,
        404,
    ),
    api(
        "GET",
        "/api/v1/items/{id}/releases",
        Member(Action::Read),
        Body::None,
        200,
    ),
    // An empty body: 422 once past the access check.
    api(
        "POST",
        "/api/v1/items/{id}/releases",
        Member(Action::Enter),
        Body::None,
        422,
    ),
    // The compliance programme (icp.rs): an empty form, and a dossier without its period, are
    // 422 once past the access check.
    page(
        "GET",
        "/orgs/{org}/icp",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/icp",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    page(
        "GET",
        "/orgs/{org}/dossier.pdf",
        Member(Action::ReadAudit),
        Body::None,
        422,
    ),
    // A record's document: the matrix's records have none (404 for every member).
    page(
        "GET",
        "/orgs/{org}/icp/{id}/document",
        Member(Action::Read),
        Body::None,
        404,
    ),
    // The Art. 5 due-diligence file (due_diligence.rs): answering is entering, concluding and
    // recording the notification are decisions. An empty form saves no answer (303) and is 422
    // elsewhere; the re-run is 422 while the file is open; the matrix's operation has no
    // notification (404), and notification ids are filled with an item id (404 for all).
    page(
        "GET",
        "/orgs/{org}/operations/{id}/due-diligence",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/{id}/due-diligence",
        Member(Action::Enter),
        Body::None,
        303,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/{id}/due-diligence/conclusion",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/{id}/due-diligence/rerun",
        Member(Action::Enter),
        Body::None,
        422,
    ),
    // Reuse of a concluded file: without `from`, 422 once past the access check.
    page(
        "POST",
        "/orgs/{org}/operations/{id}/due-diligence/reuse",
        Member(Action::Enter),
        Body::None,
        422,
    ),
    page(
        "GET",
        "/orgs/{org}/operations/{id}/notification.txt",
        Member(Action::Read),
        Body::None,
        404,
    ),
    page(
        "GET",
        "/orgs/{org}/operations/{id}/notification.pdf",
        Member(Action::Read),
        Body::None,
        404,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/{id}/notification/sent",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    page(
        "POST",
        "/orgs/{org}/operations/{id}/notification/answer",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    api(
        "GET",
        "/api/v1/operations/{id}/due-diligence",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/operations/{id}/due-diligence",
        Member(Action::Enter),
        Body::None,
        422,
    ),
    api(
        "POST",
        "/api/v1/operations/{id}/due-diligence/conclusion",
        Member(Action::Decide),
        Body::None,
        422,
    ),
    api(
        "GET",
        "/api/v1/notifications/{id}",
        Member(Action::Read),
        Body::None,
        404,
    ),
    api(
        "POST",
        "/api/v1/notifications/{id}/sent",
        Member(Action::Decide),
        Body::None,
        404,
    ),
    api(
        "POST",
        "/api/v1/notifications/{id}/answer",
        Member(Action::Decide),
        Body::None,
        404,
    ),
    // A party's screening and hit review (party_screening.rs). The matrix serves no list, so A's
    // party has no hit named `{hit}`: 404 once past the access check; an empty edit form is 422.
    page(
        "GET",
        "/orgs/{org}/parties/{id}",
        Member(Action::Read),
        Body::None,
        200,
    ),
    page(
        "POST",
        "/orgs/{org}/parties/{id}",
        Member(Action::Enter),
        Body::None,
        422,
    ),
    page(
        "POST",
        "/orgs/{org}/parties/{id}/hits/{hit}/decision",
        Member(Action::Decide),
        Body::HitDecisionForm,
        404,
    ),
    api(
        "GET",
        "/api/v1/parties/{id}/screening",
        Member(Action::Read),
        Body::None,
        200,
    ),
    api(
        "POST",
        "/api/v1/parties/{id}/hits/{hit}/clearance",
        Member(Action::Decide),
        Body::ClearanceJson,
        404,
    ),
    // The compliance programme's records in the API (icp.rs).
    api("GET", "/api/v1/icp", Member(Action::Read), Body::None, 200),
    api(
        "POST",
        "/api/v1/icp",
        Member(Action::Decide),
        Body::IcpJson,
        201,
    ),
    api(
        "GET",
        "/api/v1/icp/{id}/document",
        Member(Action::Read),
        Body::None,
        404,
    ),
    // Screening against the served lists (shared by every organisation): any signed-in caller.
    api("POST", "/api/v1/screen", SignedIn, Body::ScreenJson, 200),
    api("POST", "/match/{dataset}", SignedIn, Body::MatchJson, 200),
];

/// Routes of the router that show no organisation data, and why.
const NOT_ORG_DATA: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/classify", "stateless tool"),
    ("POST", "/api/v1/assess", "stateless tool"),
    ("POST", "/api/v1/fdi", "stateless tool"),
    ("GET", "/api/v1/law/entries/{code}", "the law"),
    ("GET", "/api/openapi.json", "the API description"),
    ("GET", "/", "home"),
    ("GET", "/classify", "stateless tool"),
    ("POST", "/classify", "stateless tool"),
    ("GET", "/assess", "stateless tool"),
    ("POST", "/assess", "stateless tool"),
    ("GET", "/fdi", "stateless tool"),
    ("POST", "/fdi", "stateless tool"),
    ("GET", "/law", "the law"),
    ("GET", "/law/{code}", "the law"),
    ("GET", "/static/vigil.css", "stylesheet"),
    ("GET", "/setup/{token}", "first start, before any user"),
    ("POST", "/setup/{token}", "first start, before any user"),
    ("GET", "/login", "sign-in"),
    (
        "POST",
        "/login",
        "sign-in (tests in accounts.rs and ratelimit.rs)",
    ),
    ("POST", "/logout", "the caller's own session"),
    (
        "POST",
        "/account/password",
        "the caller's own password (accounts.rs)",
    ),
    (
        "POST",
        "/account/language",
        "the caller's own language (accounts.rs)",
    ),
    ("GET", "/health", "liveness"),
];

/// The (method, path) of every route in the router's source.
fn router_routes() -> Vec<(String, String)> {
    // The router, and the areas that own their routes (add an area's file with its rows).
    let src = [
        include_str!("../../src/lib.rs"),
        include_str!("../../src/operations_csv.rs"),
        include_str!("../../src/licences.rs"),
        include_str!("../../src/due_diligence.rs"),
        include_str!("../../src/review.rs"),
        include_str!("../../src/icp.rs"),
        include_str!("../../src/party_screening.rs"),
        include_str!("../../src/transmissions.rs"),
        include_str!("../../src/spdx.rs"),
    ]
    .concat();
    let src = src.as_str();
    let mut out = Vec::new();
    for (at, _) in src.match_indices(".route(") {
        let start = at + ".route(".len();
        let mut depth = 1;
        let mut end = start;
        for (i, ch) in src[start..].char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + i;
                break;
            }
        }
        let call = &src[start..end];
        let path = call.split('"').nth(1).unwrap().to_owned();
        for (needle, method) in [("get(", "GET"), ("post(", "POST")] {
            if call.contains(needle) {
                out.push((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_route_table_covers_the_router() {
    let routes = router_routes();
    assert!(routes.len() > 40, "{routes:?}");
    for (method, path) in &routes {
        let in_table = ROUTES
            .iter()
            .any(|r| r.method == method && r.pattern == path);
        let excluded = NOT_ORG_DATA
            .iter()
            .any(|(m, p, _)| m == method && p == path);
        assert!(
            in_table ^ excluded,
            "{method} {path}: add it to ROUTES (organisation data) or to NOT_ORG_DATA (with the \
             reason), exactly once"
        );
    }
    for r in ROUTES {
        assert!(
            routes.iter().any(|(m, p)| m == r.method && p == r.pattern),
            "{} {} is not a route any more",
            r.method,
            r.pattern
        );
    }
    assert_eq!(
        ROUTES.len() + NOT_ORG_DATA.len(),
        routes.len(),
        "a route is listed twice"
    );
}

/// The ids put in a path.
#[derive(Debug, Clone)]
struct Ids {
    org: String,
    item: String,
    op: String,
    user: String,
    token: String,
    licence: String,
    attachment: String,
    party: String,
}

/// A member of A, with a session, an API token and a token to revoke.
struct Caller {
    role: Role,
    session: String,
    bearer: String,
    spare_token: String,
}

struct World {
    addr: SocketAddr,
    store: Store,
    callers: Vec<Caller>,
    /// A session of B's administrator (to show the markers are there to be found).
    b_session: String,
    a: Ids,
    b: Ids,
    _dir: tempfile::TempDir,
}

/// An item (classified), a party, an operation and a token in `scope`'s organisation, named with
/// `tag`: (item id, token id).
fn records(store: &Store, scope: &OrgScope, tag: &str) -> (String, String, String) {
    let item = store
        .create_item(
            scope,
            &NewItem {
                name: &format!("ZULU-ITEM-{tag}"),
                kind: "hardware",
                description: &format!("ZULU-ITEM-DESC-{tag}"),
            },
        )
        .unwrap();
    store
        .classify_item(
            scope,
            &item.id,
            &NewClassification {
                version_label: &format!("ZULU-CLASS-{tag}"),
                sheet_json: "{}",
                result_json: "{}",
                entries: &["5A002.a".to_owned()],
                cyber_surveillance: false,
                law_version: "x",
            },
        )
        .unwrap();
    let party = store
        .create_party(
            scope,
            &NewParty {
                role: "consignee",
                name: &format!("ZULU-PARTY-{tag}"),
                country: "DE",
                notes: "",
            },
        )
        .unwrap();
    let (token, _) = store
        .create_token(scope, &format!("ZULU-TOKEN-{tag}"))
        .unwrap();
    let law = vigil_domain::Law::embedded().unwrap();
    let terms = vigil_domain::icp::LicenceTermsInput {
        kind: "individual".into(),
        number: format!("ZULU-PARTY-{tag}-LICENCE"),
        authority: "SBDU".into(),
        entries: vec!["5A002".into()],
        destinations: vec!["US".into()],
        end_users: vec![format!("ZULU-PARTY-{tag}")],
        valid_from: "2026-01-01".into(),
        valid_until: "2027-12-31".into(),
        ..Default::default()
    }
    .check(&law)
    .unwrap();
    let doc = format!("ZULU-ITEM-DESC-{tag}");
    store
        .register_licence(
            scope,
            &terms,
            "x",
            Some(vigil_store::licences::LicenceDocument {
                filename: &format!("{doc}.pdf"),
                content_type: "application/pdf",
                bytes: doc.as_bytes(),
            }),
        )
        .unwrap();
    (item.id, token.id, party.id)
}

fn operation_json(reference: &str) -> String {
    let mut op: serde_json::Value =
        serde_json::from_str(&example("operations/vpn-appliance-to-us.json")).unwrap();
    op["reference"] = serde_json::json!(reference);
    op.to_string()
}

/// Organisations A and B with records in each; A's admin, officer, operator and auditor (plus a
/// spare auditor whose role the admin "changes"); B's admin and a spare member.
async fn world() -> World {
    let Server {
        addr,
        store,
        _dir: dir,
        ..
    } = spawn_with_store().await;

    let st = store.clone();
    let (a, b, b_bearer, b_session, a_bearer, callers) = blocking(move || {
        let b_admin = create_member(
            &st,
            "zulu-admin@b.example",
            "Zulu Bravo",
            "ZULU-ORG-B",
            Role::Admin,
        );
        let b_spare = create_member(
            &st,
            "spare@b.example",
            "ZULU-SPARE-B",
            "ZULU-ORG-B",
            Role::Auditor,
        );
        let (b_item, b_token, b_party) = records(&st, &b_admin, "B");
        let (_, b_bearer) = st.create_token(&b_admin, "ZULU-TOKEN-B").unwrap();
        let b_session = st.start_session(b_admin.user_id()).unwrap();
        let mut callers = Vec::new();
        let mut a_scope = None;
        for role in Role::ALL {
            let scope = create_member(
                &st,
                &format!("{}@a.example", role.as_str()),
                "Alpha member",
                "Org Alpha",
                role,
            );
            let session = st.start_session(scope.user_id()).unwrap();
            let (_, bearer) = st.create_token(&scope, "alpha").unwrap();
            let (spare, _) = st.create_token(&scope, "alpha-spare").unwrap();
            callers.push(Caller {
                role,
                session,
                bearer,
                spare_token: spare.id,
            });
            if role == Role::Admin {
                a_scope = Some(scope);
            }
        }
        let a_admin = a_scope.unwrap();
        let a_spare = create_member(
            &st,
            "spare@a.example",
            "Alpha spare",
            "Org Alpha",
            Role::Auditor,
        );
        let (a_item, a_token, a_party) = records(&st, &a_admin, "A");
        let (_, a_bearer) = st.create_token(&a_admin, "alpha-ops").unwrap();
        let a = Ids {
            org: a_admin.org_id().to_owned(),
            item: a_item,
            op: String::new(),
            user: a_spare.user_id().to_owned(),
            token: a_token,
            licence: String::new(),
            attachment: String::new(),
            party: a_party,
        };
        let b = Ids {
            org: b_admin.org_id().to_owned(),
            item: b_item,
            op: String::new(),
            user: b_spare.user_id().to_owned(),
            token: b_token,
            licence: String::new(),
            attachment: String::new(),
            party: b_party,
        };
        (a, b, b_bearer, b_session, a_bearer, callers)
    })
    .await;
    let (mut a, mut b) = (a, b);
    for ids in [&mut a, &mut b] {
        let (st, user, org) = (store.clone(), ids.user.clone(), ids.org.clone());
        let (licence, attachment) = blocking(move || {
            let scope = st.scope(&user, &org).unwrap().unwrap();
            let l = st.licences(&scope).unwrap().remove(0);
            let doc = l.document_id.clone().unwrap();
            (l.id, doc)
        })
        .await;
        ids.licence = licence;
        ids.attachment = attachment;
    }
    let mut w = World {
        addr,
        store,
        callers,
        b_session,
        a,
        b,
        _dir: dir,
    };
    // An operation in each, through the API (assessed and stored as a user would).
    for (bearer, reference) in [(&b_bearer, "ZULU-OP-B"), (&a_bearer, "ALPHA-OP-A")] {
        let r = call_api(
            addr,
            "POST",
            "/api/v1/operations",
            bearer,
            &operation_json(reference),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().unwrap().to_owned();
        if reference.ends_with('B') {
            w.b.op = id;
        } else {
            w.a.op = id;
        }
    }
    w
}

async fn call_api(addr: SocketAddr, method: &str, path: &str, bearer: &str, body: &str) -> Reply {
    let auth = format!("Bearer {bearer}");
    let mut h = vec![("Content-Type", "application/json")];
    if !bearer.is_empty() {
        h.push(("Authorization", auth.as_str()));
    }
    request(addr, method, path, &h, body).await
}

/// The path of `route` with `ids` filled in (the organisation from `org`, records from `ids`).
fn fill(route: &Route, org: &str, ids: &Ids, token: &str) -> String {
    route
        .pattern
        .replace("{org}", org)
        .replace("{user}", &ids.user)
        .replace("{dataset}", "default")
        .replace(
            "{id}",
            if route.pattern.contains("/tokens/") {
                token
            } else if route.pattern.contains("/licences/") {
                &ids.licence
            } else if route.pattern.contains("/attachments/") {
                &ids.attachment
            } else if route.pattern.contains("/parties/") {
                &ids.party
            } else if route.pattern.contains("/operations/") {
                &ids.op
            } else {
                &ids.item
            },
        )
}

/// The content type and body of a call.
fn body(b: Body, n: usize) -> (&'static str, String) {
    const FORM_CT: &str = "application/x-www-form-urlencoded";
    const JSON: &str = "application/json";
    match b {
        Body::None => (FORM_CT, String::new()),
        Body::OrgForm => (FORM_CT, form(&[("name", &format!("Matrix Org {n}"))])),
        Body::NewMemberForm => (
            FORM_CT,
            form(&[
                ("email", &format!("new{n}@a.example")),
                ("role", "auditor"),
                ("display_name", "New"),
                ("password", PW),
            ]),
        ),
        Body::RoleForm => (FORM_CT, form(&[("role", "auditor")])),
        Body::TokenForm => (FORM_CT, form(&[("name", &format!("matrix-{n}"))])),
        Body::ImportUpload => {
            let b = "vigilMatrixBoundary";
            (
                "multipart/form-data; boundary=vigilMatrixBoundary",
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nun\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.xml\"\r\nContent-Type: application/xml\r\n\r\n<CONSOLIDATED_LIST\r\n--{b}--\r\n"
                ),
            )
        }
        Body::ItemForm => (
            FORM_CT,
            form(&[
                ("name", &format!("Matrix item {n}")),
                ("kind", "hardware"),
                ("description", "VPN gateway"),
            ]),
        ),
        Body::ClassifyForm => (
            FORM_CT,
            form(&[
                (
                    "description",
                    &format!("Site-to-site VPN gateway appliance {n}"),
                ),
                ("facts", ""),
            ]),
        ),
        Body::PartyForm => (
            FORM_CT,
            form(&[
                ("role", "consignee"),
                ("name", &format!("Matrix party {n}")),
                ("country", "DE"),
            ]),
        ),
        Body::OperationForm => (
            FORM_CT,
            form(&[("operation", &operation_json(&format!("MATRIX-{n}")))]),
        ),
        Body::ItemJson => (
            JSON,
            format!(r#"{{"name":"Matrix item {n}","kind":"hardware","description":"x"}}"#),
        ),
        Body::ClassificationJson => (
            JSON,
            format!(
                r#"{{"version_label":"m{n}","entries":["5A002.a"],"cyber_surveillance":false}}"#
            ),
        ),
        Body::PartyJson => (
            JSON,
            format!(r#"{{"role":"end_user","name":"Matrix party {n}","country":"US"}}"#),
        ),
        Body::OperationJson => (JSON, operation_json(&format!("MATRIX-{n}"))),
        Body::ScreenJson => (JSON, r#"{"name":"Eric Badege"}"#.to_owned()),
        Body::MatchJson => (
            JSON,
            r#"{"queries":{"q":{"schema":"Person","properties":{"name":["Eric Badege"]}}}}"#
                .to_owned(),
        ),
        Body::LicenceUpload => {
            let b = "vigilMatrixBoundary";
            let fields = [
                ("kind", "global".to_owned()),
                ("number", format!("MATRIX-LIC-{n}")),
                ("authority", "SBDU".to_owned()),
                ("entries", "5A002".to_owned()),
                ("destinations", "US".to_owned()),
                ("quotas", "pieces 10".to_owned()),
                ("valid_from", "2026-01-01".to_owned()),
                ("valid_until", "2027-12-31".to_owned()),
            ];
            let mut out = String::new();
            for (k, v) in fields {
                out.push_str(&format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                ));
            }
            out.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"l.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--{b}--\r\n"));
            ("multipart/form-data; boundary=vigilMatrixBoundary", out)
        }
        Body::LicenceJson => (
            JSON,
            format!(
                r#"{{"kind":"global","number":"MATRIX-LIC-{n}","authority":"SBDU","entries":["5A002"],"destinations":["US"],"valid_from":"2026-01-01","valid_until":"2027-12-31"}}"#
            ),
        ),
        Body::UgeaForm => (
            FORM_CT,
            form(&[("ugea", "EU001"), ("first_use", "2026-07-01")]),
        ),
        Body::HitDecisionForm => (
            FORM_CT,
            form(&[("decision", "false_match"), ("reason", "matrix")]),
        ),
        Body::ClearanceJson => (
            JSON,
            r#"{"decision": "false_match", "reason": "matrix"}"#.to_owned(),
        ),
        Body::IcpJson => (
            JSON,
            format!(
                r#"{{"element": 1, "kind": "policy", "title": "Policy {n}", "date": "2026-01-05"}}"#
            ),
        ),
        Body::TransmissionJson => (
            JSON,
            format!(
                r#"{{"item":"ZULU-ITEM-A","version":"ZULU-CLASS-A","recipient":{{"name":"Matrix {n}","organisation":"Matrix Corp"}},"country_declared":"US","country_seen":"US","purpose":"download","exporter_country":"FR"}}"#
            ),
        ),
    }
}

/// Whose data a call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A's path and A's records.
    Own,
    /// B's path and B's records (the API: B's record ids).
    Other,
    /// A's path with B's record ids.
    Mixed,
}

/// Runs `route` for `caller` on `target`: `None` when the combination does not exist (no
/// organisation or record id to vary).
async fn run(w: &World, route: &Route, caller: &Caller, target: Target, n: usize) -> Option<Reply> {
    let has_org = route.pattern.contains("{org}");
    let has_id = route.pattern.contains("{id}") || route.pattern.contains("{user}");
    let (org, ids, token) = match target {
        Target::Own => (&w.a.org, &w.a, caller.spare_token.as_str()),
        Target::Other if has_org || (route.via == Via::Api && has_id) => {
            (&w.b.org, &w.b, w.b.token.as_str())
        }
        Target::Mixed if has_org && has_id => (&w.a.org, &w.b, w.b.token.as_str()),
        _ => return None,
    };
    let path = fill(route, org, ids, token);
    let (ct, body) = body(route.body, n);
    Some(match route.via {
        Via::Page => {
            let cookie = format!("vigil_session={}", caller.session);
            request(
                w.addr,
                route.method,
                &path,
                &[
                    ("Cookie", &cookie),
                    ("Content-Type", ct),
                    ("Sec-Fetch-Site", "same-origin"),
                ],
                &body,
            )
            .await
        }
        Via::Api => call_api(w.addr, route.method, &path, &caller.bearer, &body).await,
    })
}

fn leaks(r: &Reply) -> Vec<&'static str> {
    let all = format!("{:?}\n{}", r.headers, r.body);
    B_MARKERS
        .iter()
        .copied()
        .filter(|m| all.contains(m))
        .collect()
}

#[tokio::test]
async fn every_route_by_every_role_on_own_and_other_organisation() {
    let w = world().await;
    // The markers are there to be found: B's own pages show them.
    let cookie = format!("vigil_session={}", w.b_session);
    let mut seen = std::collections::BTreeSet::new();
    for path in [
        "",
        "/members",
        "/tokens",
        "/items",
        "/parties",
        "/operations",
    ] {
        let r = request(
            w.addr,
            "GET",
            &format!("/orgs/{}{path}", w.b.org),
            &[("Cookie", &cookie)],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{path}");
        seen.extend(leaks(&r));
    }
    let r = request(
        w.addr,
        "GET",
        &format!("/orgs/{}/items/{}", w.b.org, w.b.item),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    seen.extend(leaks(&r));
    assert_eq!(seen.len(), B_MARKERS.len(), "{seen:?}");
    let mut cells = 0;
    let mut failures = Vec::new();
    let mut n = 0;
    for route in ROUTES {
        for caller in &w.callers {
            for target in [Target::Own, Target::Other, Target::Mixed] {
                n += 1;
                let Some(r) = run(&w, route, caller, target, n).await else {
                    continue;
                };
                cells += 1;
                let allowed = match route.gate {
                    SignedIn => true,
                    Member(action) => caller.role.allows(action),
                };
                // 403 before 404 is no leak: a member lacking the right may learn nothing more.
                let expected: &[u16] = match (target, allowed) {
                    (Target::Own, true) => &[route.ok],
                    (Target::Own, false) => &[403],
                    (_, true) => &[404],
                    (_, false) => &[403, 404],
                };
                let what = format!(
                    "{} {} as {} on {target:?}",
                    route.method,
                    route.pattern,
                    caller.role.as_str()
                );
                if !expected.contains(&r.status) {
                    failures.push(format!(
                        "{what}: {} (expected {expected:?}): {}",
                        r.status,
                        r.body
                            .find("error")
                            .map_or(&r.body[..r.body.len().min(200)], |i| &r.body
                                [i..(i + 300).min(r.body.len())])
                    ));
                }
                let leaked = leaks(&r);
                if !leaked.is_empty() {
                    failures.push(format!("{what}: shows B's {leaked:?}"));
                }
                if route.via == Via::Api && r.status >= 400 {
                    assert_eq!(
                        r.headers.get("content-type").map(String::as_str),
                        Some("application/problem+json"),
                        "{what}"
                    );
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 24 page routes × 4 roles × (own, other, mixed when the path has a record id; own only
    // without an organisation) + 13 API routes × 4 roles × (own, other when it has a record id).
    assert!(cells >= 200, "{cells} cells");
    eprintln!("isolation matrix: {} routes, {cells} cells", ROUTES.len());
    // Nothing written through the matrix landed in B.
    let (st, b) = (w.store.clone(), w.b.clone());
    let counts = blocking(move || {
        let scope = st.scope(&b.user, &b.org).unwrap().unwrap();
        (
            st.items(&scope).unwrap().len(),
            st.parties(&scope).unwrap().len(),
            st.classifications(&scope, &b.item).unwrap().len(),
            st.members(&scope).unwrap().len(),
        )
    })
    .await;
    assert_eq!(counts, (1, 1, 1, 2));
}

#[tokio::test]
async fn signed_out_pages_go_to_sign_in_and_the_api_answers_401() {
    let w = world().await;
    let none = Caller {
        role: Role::Auditor,
        session: "0".repeat(64),
        bearer: String::new(),
        spare_token: w.a.token.clone(),
    };
    for (n, route) in ROUTES.iter().enumerate() {
        let r = run(&w, route, &none, Target::Own, n).await.unwrap();
        let what = format!("{} {}", route.method, route.pattern);
        match route.via {
            Via::Page => {
                assert_eq!(r.status, 303, "{what}: {}", r.body);
                assert!(
                    r.headers["location"].starts_with("/login?next="),
                    "{what}: {:?}",
                    r.headers
                );
            }
            Via::Api => {
                assert_eq!(r.status, 401, "{what}: {}", r.body);
                assert!(
                    r.headers["www-authenticate"].starts_with("Bearer"),
                    "{what}"
                );
            }
        }
        assert!(leaks(&r).is_empty() && !r.body.contains("ALPHA"), "{what}");
    }
}
