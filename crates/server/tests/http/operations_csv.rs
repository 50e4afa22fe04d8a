//! Operations by CSV upload, through the real server on a temporary SQLite database: the README's
//! example file creates its operations with their decisions and audit rows (API and page); one bad
//! line among good ones is refused with its line and column and nothing is written; an oversized
//! file gets 413, a body that is not CSV a clear 4xx; an auditor gets 403; another organisation's
//! party name is not resolved.

use super::*;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_domain::access::Role;
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::audit::AuditFilter;
use vigil_store::records::{NewClassification, NewItem, NewParty};

const BATCH: &str = "/api/v1/operations/batch";

fn batch_csv() -> String {
    example("operations/batch.csv")
}

/// The items and parties `examples/operations/batch.csv` names, in `scope`'s organisation.
fn example_records(store: &Store, scope: &OrgScope) {
    for (name, kind, description, entries, cyber) in [
        (
            "VPN-GW-9000",
            "hardware",
            "Site-to-site VPN gateway appliance, IPsec with AES-256 and ECDH P-384",
            vec!["5A002.a.2".to_owned()],
            false,
        ),
        (
            "AW-CELLSCOPE",
            "hardware",
            "Portable cell-site simulator that extracts IMSI and IMEI identifiers over the air interface",
            vec!["5A001.f.2".to_owned()],
            true,
        ),
        (
            "LEDGERLY-CLOUD",
            "software",
            "Cloud accounting and invoicing software for small businesses",
            vec![],
            false,
        ),
    ] {
        let item = store
            .create_item(
                scope,
                &NewItem {
                    name,
                    kind,
                    description,
                },
            )
            .unwrap();
        store
            .classify_item(
                scope,
                &item.id,
                &NewClassification {
                    version_label: "v1",
                    sheet_json: "{}",
                    result_json: "{}",
                    entries: &entries,
                    cyber_surveillance: cyber,
                    law_version: "x",
                },
            )
            .unwrap();
    }
    for (role, name, country) in [
        ("end_user", "Northwind Networks Inc.", "US"),
        ("consignee", "Gulf Secure Trading LLC", "AE"),
        (
            "end_user",
            "Ministry of Interior, Criminal Investigation Department",
            "AE",
        ),
        ("end_user", "Shenzhen Bright Bakery Co.", "CN"),
    ] {
        store
            .create_party(
                scope,
                &NewParty {
                    role,
                    name,
                    country,
                    notes: "",
                },
            )
            .unwrap();
    }
}

/// A member of "Org A" with `role`: scope, session and API token.
async fn member(s: &Server, email: &str, role: Role) -> (OrgScope, String, String) {
    let (store, e) = (s.store.clone(), email.to_owned());
    let (scope, token) = blocking(move || {
        let scope = create_member(&store, &e, "CSV tester", "Org A", role);
        let (_, token) = store.create_token(&scope, "csv").unwrap();
        (scope, token)
    })
    .await;
    let r = login(s.addr, email, PW).await;
    assert_eq!(r.status, 303, "{}", r.body);
    (scope, session(&r), token)
}

/// An operator of Org A with the example's records: (scope, session, token).
async fn operator_with_records(s: &Server) -> (OrgScope, String, String) {
    let (scope, cookie, token) = member(s, "op@a.example", Role::Operator).await;
    let (store, sc) = (s.store.clone(), scope.clone());
    blocking(move || example_records(&store, &sc)).await;
    (scope, cookie, token)
}

/// (operations, audit records) of the organisation.
async fn counts(s: &Server, scope: &OrgScope) -> (usize, usize) {
    let (store, sc) = (s.store.clone(), scope.clone());
    blocking(move || {
        (
            store.operations(&sc, false).unwrap().len(),
            store
                .audit_records(sc.org_id(), &AuditFilter::default())
                .unwrap()
                .len(),
        )
    })
    .await
}

/// A request with a byte body (write errors ignored: the server may answer before reading all).
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut all = head.into_bytes();
    all.extend_from_slice(body);
    let _ = s.write_all(&all).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {text}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        rest.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The CSV to the API with `token`.
async fn upload_api(addr: SocketAddr, token: &str, csv: &[u8]) -> Reply {
    let auth = format!("Bearer {token}");
    raw(
        addr,
        "POST",
        BATCH,
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "text/csv; charset=utf-8"),
        ],
        csv,
    )
    .await
}

/// The CSV uploaded through the page's form with the session `cookie`.
async fn upload_page(addr: SocketAddr, org: &str, cookie: &str, csv: &[u8]) -> Reply {
    let mut body = b"--vigilCsvBoundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ops.csv\"\r\nContent-Type: text/csv\r\n\r\n".to_vec();
    body.extend_from_slice(csv);
    body.extend_from_slice(b"\r\n--vigilCsvBoundary--\r\n");
    let c = format!("vigil_session={cookie}");
    raw(
        addr,
        "POST",
        &format!("/orgs/{org}/operations/batch"),
        &[
            ("Cookie", c.as_str()),
            ("Sec-Fetch-Site", "same-origin"),
            (
                "Content-Type",
                "multipart/form-data; boundary=vigilCsvBoundary",
            ),
        ],
        &body,
    )
    .await
}

/// The error paths (`line N, column X`) of a problem document.
fn error_places(r: &Reply) -> Vec<String> {
    r.json()["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {}", r.body))
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_example_file_creates_its_operations_with_their_decisions_and_audit_rows() {
    let s = spawn_with_store().await;
    let (scope, _, token) = operator_with_records(&s).await;
    let (ops0, audit0) = counts(&s, &scope).await;
    assert_eq!(ops0, 0);
    let r = upload_api(s.addr, &token, batch_csv().as_bytes()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["count"], 3);
    let got: Vec<(String, String)> = v["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["reference"].as_str().unwrap().to_owned(),
                o["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "EXP-2026-0101".to_owned(),
                "general_authorisation".to_owned()
            ),
            ("EXP-2026-0107".to_owned(), "licence_required".to_owned()),
            (
                "SAAS-2026-0311".to_owned(),
                "no_licence_required".to_owned()
            ),
        ]
    );
    let first = &v["operations"][0];
    assert_eq!(first["assessment"]["authorisation"]["kind"], "EU001");
    assert_eq!(first["operation"]["items"][0]["entries"][0], "5A002.a.2");
    assert_eq!(first["operation"]["items"][0]["quantity"]["amount"], 40);
    assert_eq!(first["operation"]["items"][0]["value_eur"], 118_000.0);
    assert_eq!(
        v["operations"][1]["operation"]["parties"][1]["name"],
        "Ministry of Interior, Criminal Investigation Department"
    );
    assert_eq!(v["operations"][1]["status"], "blocked");
    let (ops1, audit1) = counts(&s, &scope).await;
    assert_eq!(ops1, 3);
    let (store, org) = (s.store.clone(), scope.org_id().to_owned());
    let assessed = blocking(move || {
        store
            .audit_records(&org, &AuditFilter::default())
            .unwrap()
            .into_iter()
            .filter(|r| r.event.action == "operation.assessed")
            .count()
    })
    .await;
    assert_eq!(assessed, 3);
    assert!(audit1 >= audit0 + 3, "{audit0} → {audit1}");
    // The API lists them.
    let r = api(s.addr, "GET", "/api/v1/operations", &token, "").await;
    assert_eq!(r.json().as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_page_uploads_the_file_and_shows_the_decisions() {
    let s = spawn_with_store().await;
    let (scope, cookie, _) = operator_with_records(&s).await;
    let org = scope.org_id().to_owned();
    // The operations page offers the upload; the batch page documents the format.
    let r = get(s.addr, &format!("/orgs/{org}/operations"), Some(&cookie)).await;
    assert!(
        r.body
            .contains(&format!("action=\"/orgs/{org}/operations/batch\"")),
        "{}",
        r.body
    );
    let r = get(
        s.addr,
        &format!("/orgs/{org}/operations/batch"),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"csv-columns\"") && r.body.contains("exporter_country"));
    assert!(r.body.contains("EXP-2026-0107"), "the example is shown");
    let r = get(
        s.addr,
        &format!("/orgs/{org}/operations/batch?lang=fr"),
        Some(&cookie),
    )
    .await;
    assert!(r.body.contains("Le format CSV"), "{}", r.body);
    let r = upload_page(s.addr, &org, &cookie, batch_csv().as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"csv-operations\""), "{}", r.body);
    assert!(r.body.contains("Union general authorisation"));
    assert!(r.body.contains("Licence required"));
    assert!(r.body.contains("No licence required"));
    assert_eq!(counts(&s, &scope).await.0, 3);
}

#[tokio::test]
async fn one_bad_line_among_good_ones_is_named_and_nothing_is_written() {
    let s = spawn_with_store().await;
    let (scope, cookie, token) = operator_with_records(&s).await;
    let before = counts(&s, &scope).await;
    let good = batch_csv();
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    // Line 3: a country that does not exist; line 5: an unknown party and a bad quantity.
    lines[2] = lines[2].replace(",AE,Aerwave", ",ZZ,Aerwave");
    lines.push(
        "EXP-X,export,2026-03-02,US,Cryptel SAS,FR,VPN-GW-9000,,lots,pieces,,Nobody Ltd,Test,commercial"
            .to_owned(),
    );
    let csv = lines.join("\n");
    let r = upload_api(s.addr, &token, csv.as_bytes()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
    let places = error_places(&r);
    for want in [
        "line 3, column destination",
        "line 5, column quantity",
        "line 5, column parties",
    ] {
        assert!(places.iter().any(|p| p == want), "{want} in {places:?}");
    }
    assert!(
        !places
            .iter()
            .any(|p| p.starts_with("line 2") || p.starts_with("line 4")),
        "{places:?}"
    );
    assert_eq!(counts(&s, &scope).await, before, "nothing written");
    // The page says the same, next to the line.
    let r = upload_page(s.addr, scope.org_id(), &cookie, csv.as_bytes()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"csv-errors\""), "{}", r.body);
    assert!(
        r.body
            .contains("<td>3</td><td><code>destination</code></td>"),
        "{}",
        r.body
    );
    assert_eq!(counts(&s, &scope).await, before, "nothing written");
    // A wrong number of fields, and an unknown column, are named by their line too.
    let r = upload_api(
        s.addr,
        &token,
        format!("{}\nEXP-Y,export,2026-03-02,US", lines[0]).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(error_places(&r), ["line 2"]);
    let r = upload_api(s.addr, &token, format!("{},colour\n", lines[0]).as_bytes()).await;
    assert_eq!(r.status, 422);
    assert_eq!(error_places(&r), ["line 1, column colour"]);
    assert_eq!(counts(&s, &scope).await, before, "nothing written");
}

#[tokio::test]
async fn an_oversized_file_gets_413_with_a_clear_message() {
    let s = spawn_with_store().await;
    let (scope, cookie, token) = operator_with_records(&s).await;
    let mut big = batch_csv();
    while big.len() <= vigil_server::operations_csv::MAX_CSV_BYTES {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let r = upload_api(s.addr, &token, big.as_bytes()).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(
        r.json()["detail"].as_str().unwrap().contains("2 MiB"),
        "{}",
        r.body
    );
    let r = upload_page(s.addr, scope.org_id(), &cookie, big.as_bytes()).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("The file is too large"), "{}", r.body);
    assert_eq!(counts(&s, &scope).await.0, 0);
}

#[tokio::test]
async fn a_body_that_is_not_csv_gets_a_clear_4xx() {
    let s = spawn_with_store().await;
    let (scope, cookie, token) = operator_with_records(&s).await;
    // JSON sent as JSON: 415 naming the expected type.
    let r = api(s.addr, "POST", BATCH, &token, r#"{"type":"export"}"#).await;
    assert_eq!(r.status, 415, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains("text/csv"));
    // JSON sent as CSV: its "header" is refused, naming line 1.
    let r = upload_api(
        s.addr,
        &token,
        br#"{"type": "export", "destination": "US"}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        error_places(&r).iter().all(|p| p.starts_with("line 1")),
        "{}",
        r.body
    );
    // Not UTF-8 (a Latin-1 spreadsheet export): the line is named.
    let mut latin1 = batch_csv().into_bytes();
    latin1.extend_from_slice(b"EXP-Z,export,,US,Soci\xe9t\xe9,FR,VPN-GW-9000,,,,,,x,\n");
    let r = upload_api(s.addr, &token, &latin1).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(error_places(&r), ["line 5"]);
    assert!(r.body.contains("UTF-8"));
    // An empty body.
    let r = upload_api(s.addr, &token, b"").await;
    assert_eq!(r.status, 422);
    // A page post that is not a file upload.
    let r = post(
        s.addr,
        &format!("/orgs/{}/operations/batch", scope.org_id()),
        Some(&cookie),
        "file=abc",
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("not a file upload"), "{}", r.body);
    assert_eq!(counts(&s, &scope).await.0, 0);
}

#[tokio::test]
async fn an_auditor_gets_403_and_writes_nothing() {
    let s = spawn_with_store().await;
    let (scope, _, _) = operator_with_records(&s).await;
    let (_, cookie, token) = member(&s, "aud@a.example", Role::Auditor).await;
    let before = counts(&s, &scope).await;
    let r = upload_api(s.addr, &token, batch_csv().as_bytes()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
    let r = upload_page(s.addr, scope.org_id(), &cookie, batch_csv().as_bytes()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // The format page is readable; the form is not offered.
    let r = get(
        s.addr,
        &format!("/orgs/{}/operations/batch", scope.org_id()),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("enctype=\"multipart/form-data\""));
    assert_eq!(counts(&s, &scope).await, before);
    // Signed out: 401 and the sign-in page.
    let r = raw(
        s.addr,
        "POST",
        BATCH,
        &[("Content-Type", "text/csv")],
        batch_csv().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn another_organisations_party_or_item_is_not_resolved() {
    let s = spawn_with_store().await;
    let (scope, _, token) = operator_with_records(&s).await;
    let (store, b_party, b_item) = (s.store.clone(), "Secret Partner B", "SECRET-ITEM-B");
    let b_ids = blocking(move || {
        let b = create_member(&store, "b@b.example", "B admin", "Org B", Role::Admin);
        let p = store
            .create_party(
                &b,
                &NewParty {
                    role: "end_user",
                    name: b_party,
                    country: "US",
                    notes: "",
                },
            )
            .unwrap();
        let i = store
            .create_item(
                &b,
                &NewItem {
                    name: b_item,
                    kind: "hardware",
                    description: "B's secret description",
                },
            )
            .unwrap();
        (p.id, i.id)
    })
    .await;
    let before = counts(&s, &scope).await;
    let header = batch_csv().lines().next().unwrap().to_owned();
    let csv = format!(
        "{header}\n\
         R1,export,2026-03-02,US,Cryptel SAS,FR,VPN-GW-9000,,,,,{b_party},Test,commercial\n\
         R2,export,2026-03-02,US,Cryptel SAS,FR,VPN-GW-9000,,,,,{},Test,commercial\n\
         R3,export,2026-03-02,US,Cryptel SAS,FR,{b_item},,,,,,Test,commercial\n\
         R4,export,2026-03-02,US,Cryptel SAS,FR,{},,,,,,Test,commercial\n",
        b_ids.0, b_ids.1
    );
    let r = upload_api(s.addr, &token, csv.as_bytes()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        error_places(&r),
        [
            "line 2, column parties",
            "line 3, column parties",
            "line 4, column item",
            "line 5, column item"
        ]
    );
    assert!(
        r.body.contains("no party of this organisation"),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("B's secret description") && !r.body.contains("Org B"),
        "{}",
        r.body
    );
    assert_eq!(counts(&s, &scope).await, before);
}
