//! Parties' screening through the real server: a party named like a listed entry shows its hit
//! side by side; an operation naming it is held with the screening reason until an officer clears
//! the hit with a reason; a clearance without a reason is refused (422, nothing written); a list
//! import rescreens the parties and holds their open operations; another organisation sees 404.

use vigil_domain::access::Role;
use vigil_screening::{EntityKind, ListEntry, ListSource, LoadedList, NameQuality};
use vigil_store::Store;
use vigil_store::audit::AuditFilter;

use super::*;

const LISTED: &str = "Tosong Technology Trading Corporation";

fn listed_entry(id: &str, name: &str) -> ListEntry {
    let mut e = ListEntry::new(ListSource::Csv, id, EntityKind::Organisation);
    e.push_name(name, NameQuality::Primary);
    e.programmes.push("DPRK".into());
    e
}

fn csv_list(raw: &str, entries: Vec<ListEntry>) -> LoadedList {
    LoadedList::new(
        ListSource::Csv,
        raw.as_bytes(),
        None,
        Some(raw.into()),
        entries,
    )
}

/// A server whose database serves a list naming [`LISTED`].
async fn server() -> Server {
    let (store, dir) = fresh_store();
    store
        .import_list(
            &csv_list(
                "watch-1",
                vec![
                    listed_entry("W1", LISTED),
                    listed_entry("W2", "Green Pine Associated Corporation"),
                ],
            ),
            "test",
        )
        .unwrap();
    serve(store, dir).await
}

fn operation(party: &str, reference: &str) -> String {
    let mut op: serde_json::Value =
        serde_json::from_str(&example("operations/vpn-appliance-to-us.json")).unwrap();
    op["reference"] = serde_json::json!(reference);
    op["parties"][1]["name"] = serde_json::json!(party);
    op.to_string()
}

fn audit_actions(store: &Store, org: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect()
}

#[tokio::test]
async fn a_listed_party_is_held_until_an_officer_clears_its_hit() {
    let s = server().await;
    let st = s.store.clone();
    let (operator, _officer, other) = blocking(move || {
        let op = create_member(
            &st,
            "op@a.example",
            "Olga Operator",
            "Org A",
            Role::Operator,
        );
        let off = create_member(
            &st,
            "off@a.example",
            "Oscar Officer",
            "Org A",
            Role::Officer,
        );
        let b = create_member(&st, "admin@b.example", "Bea Admin", "Org B", Role::Admin);
        (op, off, b)
    })
    .await;
    let org = operator.org_id().to_owned();
    let op_session = session(&login(s.addr, "op@a.example", PW).await);
    let off_session = session(&login(s.addr, "off@a.example", PW).await);
    let b_session = session(&login(s.addr, "admin@b.example", PW).await);
    let st = s.store.clone();
    let (o2, b2) = (operator.clone(), other.clone());
    let (op_token, b_token) = blocking(move || {
        (
            st.create_token(&o2, "t").unwrap().1,
            st.create_token(&b2, "t").unwrap().1,
        )
    })
    .await;

    // Creating the party screens it: the page shows the hit beside the list entry.
    let r = post(
        s.addr,
        &format!("/orgs/{org}/parties"),
        Some(&op_session),
        &form(&[
            ("role", "end_user"),
            ("name", LISTED),
            ("country", "US"),
            ("notes", ""),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page_path = r.headers["location"].clone();
    let party_id = page_path.rsplit('/').next().unwrap().to_owned();
    let r = get(s.addr, &page_path, Some(&op_session)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(&format!("<mark>{LISTED}</mark>")),
        "{}",
        r.body
    );
    assert!(r.body.contains("<code>W1</code>"), "{}", r.body);
    assert!(r.body.contains("DPRK"), "the programme is shown");
    assert!(
        !r.body.contains("ps-clear-button"),
        "every message is in the catalogue"
    );
    // The operator may not decide: no decision form.
    assert!(!r.body.contains("Clear as false match"), "{}", r.body);
    let list = get(s.addr, &format!("/orgs/{org}/parties"), Some(&op_session)).await;
    assert!(list.body.contains("1 open hits"), "{}", list.body);
    assert!(list.body.contains("csv watch-1"), "{}", list.body);

    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/parties/{party_id}/screening"),
        &op_token,
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["open_alerts"], 1);
    assert_eq!(v["hits"][0]["entry_id"], "W1");
    assert_eq!(v["hits"][0]["status"], "open");
    assert_eq!(v["hits"][0]["entry_hash"].as_str().unwrap().len(), 64);
    let hit = v["hits"][0]["id"].as_str().unwrap().to_owned();

    // An operation naming it is held, with the screening reason.
    let r = api(
        s.addr,
        "POST",
        "/api/v1/operations",
        &op_token,
        &operation(LISTED, "HELD-1"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["decision"], "hold", "{v}");
    assert_eq!(v["status"], "blocked");
    let reasons = v["assessment"]["reasons"].to_string();
    assert!(reasons.contains("Screening: the end user"), "{reasons}");
    assert!(reasons.contains("W1"), "{reasons}");
    let held_id = v["id"].as_str().unwrap().to_owned();
    let st = s.store.clone();
    let o2 = operator.clone();
    let linked = blocking(move || st.operation_party_ids(&o2, &held_id).unwrap()).await;
    assert_eq!(
        linked,
        std::slice::from_ref(&party_id),
        "the party record is linked by name"
    );

    // Another organisation: 404 everywhere.
    let hit_path = format!("/orgs/{org}/parties/{party_id}/hits/{hit}/decision");
    for r in [
        get(
            s.addr,
            &format!("/orgs/{}/parties/{party_id}", other.org_id()),
            Some(&b_session),
        )
        .await,
        get(s.addr, &page_path, Some(&b_session)).await,
        api(
            s.addr,
            "GET",
            &format!("/api/v1/parties/{party_id}/screening"),
            &b_token,
            "",
        )
        .await,
        api(
            s.addr,
            "POST",
            &format!("/api/v1/parties/{party_id}/hits/{hit}/clearance"),
            &b_token,
            r#"{"decision":"false_match","reason":"not them"}"#,
        )
        .await,
        post(
            s.addr,
            &format!(
                "/orgs/{}/parties/{party_id}/hits/{hit}/decision",
                other.org_id()
            ),
            Some(&b_session),
            &form(&[("decision", "false_match"), ("reason", "not them")]),
        )
        .await,
    ] {
        assert_eq!(r.status, 404, "{}", r.body);
    }

    // The operator may not clear; a clearance without a reason is refused and writes nothing.
    let r = post(
        s.addr,
        &hit_path,
        Some(&op_session),
        &form(&[("decision", "false_match"), ("reason", "ok")]),
    )
    .await;
    assert_eq!(r.status, 403);
    let before = blocking({
        let st = s.store.clone();
        let org = org.clone();
        move || audit_actions(&st, &org).len()
    })
    .await;
    let r = post(
        s.addr,
        &hit_path,
        Some(&off_session),
        &form(&[
            ("decision", "false_match"),
            ("reason", "  "),
            ("expires_on", ""),
        ]),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains(&format!("id=\"reason-{hit}-error\"")),
        "{}",
        r.body
    );
    let r = post(
        s.addr,
        &hit_path,
        Some(&off_session),
        &form(&[
            ("decision", "false_match"),
            ("reason", "checked"),
            ("expires_on", "2026-13-45"),
        ]),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains(&format!("id=\"expires-{hit}-error\"")),
        "{}",
        r.body
    );
    assert!(r.body.contains("checked"), "the reason typed is kept");
    let r = api(
        s.addr,
        "POST",
        &format!("/api/v1/parties/{party_id}/hits/{hit}/clearance"),
        &op_token,
        r#"{"decision":"false_match","reason":"x"}"#,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let after = blocking({
        let st = s.store.clone();
        let org = org.clone();
        move || audit_actions(&st, &org).len()
    })
    .await;
    assert_eq!(before, after, "nothing written");

    // Cleared with a reason: a new operation goes ahead.
    let r = post(
        s.addr,
        &hit_path,
        Some(&off_session),
        &form(&[
            ("decision", "false_match"),
            (
                "reason",
                "Different company: Delaware registry, other directors",
            ),
            ("expires_on", "2027-01-31"),
        ]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = get(s.addr, &page_path, Some(&off_session)).await;
    assert!(r.body.contains("Different company"), "{}", r.body);
    assert!(r.body.contains("Oscar Officer"), "{}", r.body);
    let r = api(
        s.addr,
        "POST",
        "/api/v1/operations",
        &op_token,
        &operation(LISTED, "GO-1"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "decided", "{}", r.body);
    assert_eq!(r.json()["decision"], "general_authorisation");
    let actions = blocking({
        let st = s.store.clone();
        move || audit_actions(&st, &org)
    })
    .await;
    assert!(actions.contains(&"hit.cleared".to_owned()), "{actions:?}");
    assert!(
        actions.contains(&"party.screened".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_list_import_rescreens_parties_and_holds_their_operations() {
    let s = server().await;
    let st = s.store.clone();
    let officer = blocking(move || {
        create_member(
            &st,
            "off@a.example",
            "Oscar Officer",
            "Org A",
            Role::Officer,
        )
    })
    .await;
    let org = officer.org_id().to_owned();
    let off_session = session(&login(s.addr, "off@a.example", PW).await);
    let st = s.store.clone();
    let o2 = officer.clone();
    let token = blocking(move || st.create_token(&o2, "t").unwrap().1).await;
    let r = api(
        s.addr,
        "POST",
        "/api/v1/parties",
        &token,
        r#"{"role":"end_user","name":"Namchongang Trading Corporation","country":"US"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let party_id = r.json()["id"].as_str().unwrap().to_owned();
    let r = api(
        s.addr,
        "POST",
        "/api/v1/operations",
        &token,
        &operation("Namchongang Trading Corporation", "LATER-1"),
    )
    .await;
    assert_eq!(r.json()["status"], "decided", "{}", r.body);
    let op_id = r.json()["id"].as_str().unwrap().to_owned();

    // The officer imports a list that now names the party.
    let boundary = "XyZpartyscreening";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\ncsv\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\nname = name; id = ref\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"watch.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nref,name\r\nW1,{LISTED}\r\nW2,Green Pine Associated Corporation\r\nW3,Namchongang Trading Corporation\r\n\
         \r\n--{boundary}--\r\n"
    );
    let ct = format!("multipart/form-data; boundary={boundary}");
    let cookie = format!("vigil_session={off_session}");
    let r = request(
        s.addr,
        "POST",
        &format!("/orgs/{org}/screening/import"),
        &[("Content-Type", &ct), SAME, ("Cookie", &cookie)],
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/operations/{op_id}"),
        &token,
        "",
    )
    .await;
    assert_eq!(r.json()["status"], "blocked", "{}", r.body);
    let st = s.store.clone();
    let (o2, id2) = (officer.clone(), op_id.clone());
    let holds = blocking(move || st.holds(&o2, &id2).unwrap()).await;
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].cause, "screening");
    assert_eq!(holds[0].created_by, "system");
    let r = api(
        s.addr,
        "GET",
        &format!("/api/v1/parties/{party_id}/screening"),
        &token,
        "",
    )
    .await;
    assert_eq!(r.json()["open_alerts"], 1, "{}", r.body);
    let r = get(s.addr, &format!("/orgs/{org}"), Some(&off_session)).await;
    assert!(r.body.contains("id=\"new-hits\""), "{}", r.body);
    assert!(
        r.body
            .contains(&format!("/orgs/{org}/parties/{party_id}\">Namchongang")),
        "{}",
        r.body
    );
}
