//! The audit log page and its CSV export, and the dashboard's list freshness, through the real
//! server on a temporary SQLite database: an auditor sees the verified chain, filters it and
//! exports it; an operator gets 403; a member of another organisation 404; the dashboard lists
//! the served lists once one is imported.

use super::*;

use vigil_domain::access::Role;
use vigil_store::Store;

async fn spawn_audit() -> Server {
    spawn_with_store().await
}

/// A user with `role` in organisation `org` (created when new): (org id, session cookie).
async fn member(store: &Store, email: &str, org: &str, role: Role) -> (String, String) {
    let (store, email, org) = (store.clone(), email.to_owned(), org.to_owned());
    blocking(move || {
        let (u, o) = create_user(&store, &email, "", &org, role);
        let session = store.start_session(&u.id).unwrap();
        (o.id, format!("vigil_session={session}"))
    })
    .await
}

async fn get(addr: SocketAddr, path: &str, cookie: &str) -> Reply {
    request(addr, "GET", path, &[("Cookie", cookie)], "").await
}

#[tokio::test]
async fn auditors_read_filter_and_export_the_log_others_may_not() {
    let s = spawn_audit().await;
    let (org, auditor) = member(&s.store, "aud@example.com", "Acme", Role::Auditor).await;
    let (_, operator) = member(&s.store, "op@example.com", "Acme", Role::Operator).await;
    let (other_org, outsider) = member(&s.store, "x@example.com", "Other", Role::Admin).await;
    let page = format!("/orgs/{org}/audit");

    // The chain verifies; newest first.
    let r = get(s.addr, &page, &auditor).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let n = s
        .store
        .audit_records(&org, &Default::default())
        .unwrap()
        .len();
    assert!(n >= 3, "{n}");
    assert!(
        r.body
            .contains(&format!("Hash chain verified, intact: {n} records")),
        "{}",
        r.body
    );
    assert!(r.body.contains("member.added"), "{}", r.body);
    assert!(r.body.contains("org.created"));
    let first = r.body.find("<td>1</td>").unwrap();
    let last = r.body.find(&format!("<td>{n}</td>")).unwrap();
    assert!(last < first, "newest first");
    // Nothing of the other organisation.
    assert!(!r.body.contains("x@example.com"));
    assert!(!r.body.contains(&other_org));

    // Filter by action prefix: only the members added.
    let r = get(s.addr, &format!("{page}?action=member"), &auditor).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("member.added"));
    assert!(!r.body.contains("org.created"), "{}", r.body);
    // By date range: nothing before today's records.
    let r = get(
        s.addr,
        &format!("{page}?from=2000-01-01&to=2000-01-31"),
        &auditor,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"audit-empty\""), "{}", r.body);
    // A bad date is shown next to its field.
    let r = get(s.addr, &format!("{page}?from=yesterday"), &auditor).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"from-error\""), "{}", r.body);
    // In French.
    let r = get(s.addr, &format!("{page}?lang=fr"), &auditor).await;
    assert!(r.body.contains("Chaîne de hachage vérifiée"), "{}", r.body);

    // The CSV: chain order, with the hashes that chain.
    let r = get(s.addr, &format!("{page}.csv"), &auditor).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers["content-type"].starts_with("text/csv"));
    assert!(r.headers["content-disposition"].contains("attachment"));
    let lines: Vec<&str> = r.body.lines().collect();
    assert_eq!(
        lines[0],
        "org_id,seq,at,actor,action,subject,detail,prev_hash,hash"
    );
    assert_eq!(lines.len(), n + 1);
    let records = s.store.audit_records(&org, &Default::default()).unwrap();
    for (line, rec) in lines[1..].iter().zip(&records) {
        assert!(line.starts_with(&format!("{org},{},", rec.seq)), "{line}");
        assert!(
            line.ends_with(&format!(",{},{}", rec.prev_hash, rec.hash)),
            "{line}"
        );
    }
    let r = get(s.addr, &format!("{page}.csv?action=member"), &auditor).await;
    assert!(r.body.lines().skip(1).all(|l| l.contains("member.added")));

    // An operator may not; another organisation's member sees nothing of it.
    for path in [page.clone(), format!("{page}.csv")] {
        assert_eq!(get(s.addr, &path, &operator).await.status, 403, "{path}");
        let r = get(s.addr, &path, &outsider).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("member.added"));
    }
    // Signed out: to the sign-in page.
    assert_eq!(request(s.addr, "GET", &page, &[], "").await.status, 303);
}

#[tokio::test]
async fn the_log_is_paginated() {
    let s = spawn_audit().await;
    let (org, admin) = member(&s.store, "adm@example.com", "Acme", Role::Admin).await;
    for i in 0..60 {
        s.store
            .append_audit(
                &org,
                vigil_domain::audit::AuditEvent {
                    at: vigil_store::audit::now(),
                    org_id: org.clone(),
                    actor: "test".into(),
                    action: "test.event".into(),
                    subject: format!("thing:{i}"),
                    detail: serde_json::json!({}),
                },
            )
            .unwrap();
    }
    let r = get(s.addr, &format!("/orgs/{org}/audit?action=test."), &admin).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("thing:59"));
    assert!(!r.body.contains("thing:9<"), "{}", r.body);
    let marker = "id=\"audit-next\" href=\"";
    let next = &r.body[r.body.find(marker).unwrap() + marker.len()..];
    let next = next[..next.find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(next.contains("action=test."), "{next}");
    let r = get(s.addr, &next, &admin).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("thing:9<"), "{}", r.body);
    assert!(!r.body.contains("thing:59"));
    assert!(!r.body.contains("id=\"audit-next\""));
}

#[tokio::test]
async fn the_dashboard_shows_the_lists_freshness() {
    let s = spawn_audit().await;
    let (org, officer) = member(&s.store, "off@example.com", "Acme", Role::Officer).await;
    let r = get(s.addr, &format!("/orgs/{org}"), &officer).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"lists-none\""), "{}", r.body);
    assert!(r.body.contains(&format!("/orgs/{org}/audit")));

    let mapping = vigil_screening::loaders::csv::ColumnMapping::name_only("name");
    let list =
        vigil_screening::loaders::csv::parse(b"name\nJohn Doe\nJane Roe\n", &mapping).unwrap();
    let store = s.store.clone();
    tokio::task::spawn_blocking(move || store.import_list(&list, "names.csv").unwrap())
        .await
        .unwrap();

    let r = get(s.addr, &format!("/orgs/{org}"), &officer).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"list-freshness\""), "{}", r.body);
    assert!(r.body.contains("<td>csv</td>"), "{}", r.body);
    assert!(r.body.contains("<td>2</td>"), "{}", r.body);
    assert!(!r.body.contains("class=\"stale\""), "fresh today");
}
