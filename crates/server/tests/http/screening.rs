//! Screening through the real server on a temporary SQLite database with the real UN list
//! (`../shared/data/sanctions`): `/api/v1/screen` (bearer token or session), yente's
//! `/match/{dataset}`, the screening page, and list imports through the page (officer yes,
//! operator 403, a truncated file refused with its line and nothing changed).

use super::*;

use vigil_domain::access::Role;
use vigil_store::Store;

const UN_FILE: &str = "un_sc_consolidated_2026-02-27.xml";

fn un_bytes() -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/data/sanctions/{UN_FILE}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (the shared data must sit beside the clone)"))
}

/// A server on a fresh database, with the UN list imported first when `with_un`.
async fn spawn_screening(with_un: bool) -> Server {
    let (store, dir) = fresh_store();
    if with_un {
        let list = vigil_screening::loaders::un::parse(&un_bytes()).unwrap();
        store.import_list(&list, UN_FILE).unwrap();
    }
    serve(store, dir).await
}

/// A user with `role` in organisation `org`: (org id, session token, API token).
async fn member(store: &Store, email: &str, org: &str, role: Role) -> (String, String, String) {
    let (store, email, org) = (store.clone(), email.to_owned(), org.to_owned());
    blocking(move || {
        let (u, o) = create_user(&store, &email, "", &org, role);
        let session = store.start_session(&u.id).unwrap();
        let scope = store.scope(&u.id, &o.id).unwrap().unwrap();
        let (_, token) = store.create_token(&scope, "test").unwrap();
        (o.id, session, token)
    })
    .await
}

async fn screen(addr: SocketAddr, auth: &[(&str, &str)], body: &str) -> Reply {
    let mut h = vec![("Content-Type", "application/json")];
    h.extend_from_slice(auth);
    request(addr, "POST", "/api/v1/screen", &h, body).await
}

#[tokio::test]
async fn api_screen_finds_a_listed_person_with_the_explanation() {
    let s = spawn_screening(true).await;
    let (_, session, token) = member(&s.store, "op@example.com", "Acme", Role::Operator).await;
    let bearer = format!("Bearer {token}");
    let r = screen(
        s.addr,
        &[("Authorization", &bearer)],
        r#"{"name": "Eric Badege", "limit": 3}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let hit = &v["hits"][0];
    assert_eq!(hit["list"], "un");
    assert_eq!(hit["entry_id"], "CDi.001");
    assert_eq!(hit["alert"], true);
    assert!(hit["score"].as_f64().unwrap() >= v["threshold"].as_f64().unwrap());
    assert!(!hit["version"].as_str().unwrap().is_empty());
    assert!(
        hit["matched_alias"].as_str().unwrap().contains("BADEGE"),
        "{hit}"
    );
    assert!(hit["why"].as_str().unwrap().contains("matched"), "{hit}");
    assert!(hit["explanation"]["tokens"].is_array(), "{hit}");
    assert_eq!(v["lists"][0]["source"], "un");
    assert_eq!(v["lists"][0]["entries"], 1003);
    // The same with the session cookie of a signed-in user.
    let cookie = format!("vigil_session={session}");
    let r = screen(
        s.addr,
        &[("Cookie", &cookie), ("Sec-Fetch-Site", "same-origin")],
        r#"{"name": "Eric Badege"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["hits"][0]["entry_id"], "CDi.001");
    // Bad fields are named.
    let r = screen(
        s.addr,
        &[("Authorization", &bearer)],
        r#"{"name": "", "dob": "someday", "limit": 0}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let paths: Vec<String> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["name", "dob", "limit"]);
    let r = screen(s.addr, &[("Authorization", &bearer)], r#"{"name": 5}"#).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["path"], "name");
    // In the OpenAPI document.
    let r = request(s.addr, "GET", "/api/openapi.json", &[], "").await;
    let doc = r.json();
    assert!(
        doc["paths"]["/api/v1/screen"]["post"].is_object(),
        "{}",
        r.body
    );
    assert!(doc["components"]["schemas"]["ScreenResponse"].is_object());
}

#[tokio::test]
async fn api_screen_without_a_token_is_401_problem_details() {
    let s = spawn_screening(true).await;
    let r = screen(s.addr, &[], r#"{"name": "Eric Badege"}"#).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
    assert_eq!(r.json()["status"], 401);
    assert!(r.headers.contains_key("www-authenticate"));
    let r = screen(
        s.addr,
        &[("Authorization", "Bearer vgl_not-a-token")],
        r#"{"name": "Eric Badege"}"#,
    )
    .await;
    assert_eq!(r.status, 401);
    let r = request(s.addr, "POST", "/match/default", &[], r#"{"queries": {}}"#).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn yente_match_answers_in_yente_shape() {
    let s = spawn_screening(true).await;
    let (_, _, token) = member(&s.store, "op@example.com", "Acme", Role::Operator).await;
    let key = format!("ApiKey {token}");
    let body = r#"{"queries": {"q1": {"schema": "Person", "properties": {"name": ["Eric Badege"], "nationality": ["cd"]}},
                               "q2": {"schema": "Company", "properties": {"name": "Zzyzx Qwerty Plonk"}}}}"#;
    let r = request(
        s.addr,
        "POST",
        "/match/default?limit=3&threshold=0.8",
        &[
            ("Authorization", &key),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["limit"], 3);
    let q1 = &v["responses"]["q1"];
    assert_eq!(q1["status"], 200);
    let top = &q1["results"][0];
    assert_eq!(top["id"], "un-CDi.001");
    assert_eq!(top["schema"], "Person");
    assert_eq!(top["match"], true);
    assert_eq!(top["datasets"][0], "un");
    assert!(top["caption"].as_str().unwrap().contains("BADEGE"));
    assert!(top["properties"]["name"].is_array());
    assert!(top["features"]["name_score"].as_f64().unwrap() > 0.8);
    assert!(
        top["explanation"]["why"]
            .as_str()
            .unwrap()
            .contains("matched")
    );
    assert_eq!(q1["total"]["relation"], "eq");
    assert_eq!(v["responses"]["q2"]["results"].as_array().unwrap().len(), 0);
    // One list only, and an unknown dataset.
    let r = request(
        s.addr,
        "POST",
        "/match/eu",
        &[("Authorization", &key)],
        body,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["responses"]["q1"]["total"]["value"], 0);
    let r = request(
        s.addr,
        "POST",
        "/match/nope",
        &[("Authorization", &key)],
        body,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = request(
        s.addr,
        "POST",
        "/match/default",
        &[("Authorization", &key)],
        r#"{"queries": {"q1": {"schema": "Person", "properties": {}}}}"#,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["path"], "queries.q1.properties.name");
}

#[tokio::test]
async fn the_screening_page_shows_hits_and_the_list_status() {
    let s = spawn_screening(true).await;
    let (org, session, _) = member(&s.store, "op@example.com", "Acme", Role::Operator).await;
    let cookie = format!("vigil_session={session}");
    let r = request(s.addr, "GET", "/screening", &[("Cookie", &cookie)], "").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], format!("/orgs/{org}/screening"));
    let path = format!("/orgs/{org}/screening?name=Eric+Badege&dob=&country=");
    let r = request(s.addr, "GET", &path, &[("Cookie", &cookie)], "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("CDi.001"), "{}", r.body);
    assert!(r.body.contains("BADEGE"));
    assert!(r.body.contains("id=\"lists\""));
    assert!(r.body.contains("<td>1003</td>"), "{}", r.body);
    // An operator sees no import form.
    assert!(!r.body.contains("screening/import"));
    // In French.
    let r = request(
        s.addr,
        "GET",
        &format!("{path}&lang=fr"),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert!(r.body.contains("Listes servies"), "{}", r.body);
    // Signed out: to the sign-in page.
    let r = request(s.addr, "GET", &format!("/orgs/{org}/screening"), &[], "").await;
    assert_eq!(r.status, 303);
}

fn upload(source: &str, filename: &str, bytes: &[u8]) -> (String, String) {
    let b = "vigilTestBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\n{source}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/xml\r\n\r\n"
    );
    body.push_str(std::str::from_utf8(bytes).unwrap());
    body.push_str(&format!("\r\n--{b}--\r\n"));
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn import(addr: SocketAddr, org: &str, session: &str, ct: &str, body: &str) -> Reply {
    let cookie = format!("vigil_session={session}");
    request(
        addr,
        "POST",
        &format!("/orgs/{org}/screening/import"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", ct),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        body,
    )
    .await
}

#[tokio::test]
async fn officers_import_lists_through_the_page_and_operators_may_not() {
    let s = spawn_screening(false).await;
    let (org, officer, _) = member(&s.store, "off@example.com", "Acme", Role::Officer).await;
    let (_, operator, _) = member(&s.store, "op@example.com", "Acme", Role::Operator).await;
    let bytes = un_bytes();
    let (ct, body) = upload("un", UN_FILE, &bytes);

    let r = import(s.addr, &org, &operator, &ct, &body).await;
    assert_eq!(r.status, 403);
    assert!(s.store.served_lists().unwrap().is_empty());

    // A truncated file: refused with its line, nothing stored.
    let cut = &bytes[..bytes.len() / 2];
    let (ct2, short) = upload("un", "cut.xml", cut);
    let r = import(s.addr, &org, &officer, &ct2, &short).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let error = r
        .body
        .split("id=\"file-error\">")
        .nth(1)
        .and_then(|e| e.split("</p>").next())
        .unwrap_or_else(|| panic!("no error next to the file field: {}", r.body));
    assert!(error.contains("cut.xml"), "{error}");
    assert!(
        error
            .split("line ")
            .nth(1)
            .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit())),
        "the error names the line: {error}"
    );
    assert!(s.store.served_lists().unwrap().is_empty());

    let r = import(s.addr, &org, &officer, &ct, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"import-notice\""), "{}", r.body);
    assert!(r.body.contains("<td>1003</td>"), "{}", r.body);
    let served = s.store.served_lists().unwrap();
    assert_eq!(served.len(), 1);
    // The index was rebuilt: the API finds the entity now.
    let (_, _, token) = member(&s.store, "api@example.com", "Acme", Role::Operator).await;
    let bearer = format!("Bearer {token}");
    let r = screen(
        s.addr,
        &[("Authorization", &bearer)],
        r#"{"name": "Eric Badege"}"#,
    )
    .await;
    assert_eq!(r.json()["hits"][0]["entry_id"], "CDi.001", "{}", r.body);

    // The same file again changes nothing; a truncated one later leaves the good list served.
    let r = import(s.addr, &org, &officer, &ct, &body).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Already imported"), "{}", r.body);
    let r = import(s.addr, &org, &officer, &ct2, &short).await;
    assert_eq!(r.status, 422);
    assert_eq!(s.store.served_lists().unwrap(), served);
}

#[tokio::test]
async fn an_upload_that_is_not_a_multipart_form_is_refused_with_its_reason() {
    let s = spawn_screening(false).await;
    let (org, officer, _) = member(&s.store, "off@example.com", "Acme", Role::Officer).await;
    let r = import(
        s.addr,
        &org,
        &officer,
        "application/x-www-form-urlencoded",
        "source=un",
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("multipart/form-data"), "{}", r.body);
    assert!(s.store.served_lists().unwrap().is_empty());
}
