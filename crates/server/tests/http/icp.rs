//! The compliance programme page and the inspection dossier, through the real server on a
//! temporary SQLite database: an officer records a policy and a training (audited); bad input is
//! 422 with the fields named and nothing written; operators and auditors may not record (403);
//! an auditor downloads the dossier, whose text (Debian's `pdftotext`) names the operations and
//! the audit-chain line; an operator may not (403); another organisation gets 404.

use super::*;

use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_domain::access::Role;
use vigil_store::accounts::OrgScope;
use vigil_store::records::{NewOperation, NewParty};
use vigil_store::{AuditFilter, Store};

/// A member of `org` with `role`: their scope and session cookie header value.
async fn member(s: &Server, email: &str, name: &str, org: &str, role: Role) -> (OrgScope, String) {
    let (store, email, name, org) = (
        s.store.clone(),
        email.to_owned(),
        name.to_owned(),
        org.to_owned(),
    );
    blocking(move || {
        let scope = create_member(&store, &email, &name, &org, role);
        let session = store.start_session(scope.user_id()).unwrap();
        (scope, session)
    })
    .await
}

/// A GET answered as bytes (the PDF): status, headers, body.
pub(super) async fn get_bytes(
    addr: SocketAddr,
    path: &str,
    session: &str,
) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: vigil_session={session}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
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
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(p) = rest.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..p]).trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[p + 2..p + 2 + n]);
            rest = &rest[p + 4 + n..];
        }
        body = out;
    }
    (status, headers, body)
}

/// The text of a PDF, whitespace removed (a reference may be broken at a hyphen).
pub(super) fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dossier.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn icp_rows(store: &Store, org: &str) -> usize {
    store
        .audit_records(
            org,
            &AuditFilter {
                action: Some("icp.recorded".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap()
        .len()
}

fn operation(store: &Store, scope: &OrgScope, reference: &str, decision: &str) {
    let party = store
        .create_party(
            scope,
            &NewParty {
                role: "end_user",
                name: &format!("Gulf Secure Trading {reference}"),
                country: "AE",
                notes: "",
            },
        )
        .unwrap();
    let input = serde_json::json!({
        "reference": reference, "date": "2026-06-01", "type": "export",
        "exporter": {"name": "Acme SAS", "country": "FR"},
        "destination": "AE",
        "items": [{"id": "AW-CELLSCOPE", "kind": "hardware", "entries": ["5A001.f.2"]}],
    })
    .to_string();
    let assessment = serde_json::json!({
        "decision": decision,
        "citations": [
            {"act": "Regulation (EU) 2021/821", "provision": "Art. 3(1)"},
            {"act": "Regulation (EU) 2021/821", "provision": "Annex I 5A001.f.2"},
        ],
    })
    .to_string();
    store
        .create_operation(
            scope,
            &NewOperation {
                reference,
                input_json: &input,
                assessment_json: &assessment,
                decision,
                law_version: "test-law",
                retain_until: Some("2031-12-31"),
                party_ids: &[party.id],
            },
        )
        .unwrap();
}

#[tokio::test]
async fn officers_record_the_programme_bad_input_is_422_and_others_may_not() {
    let s = spawn_with_store().await;
    let (off, off_c) = member(
        &s,
        "off@a.example",
        "Claire Officer",
        "Org A",
        Role::Officer,
    )
    .await;
    let (_, op_c) = member(&s, "op@a.example", "", "Org A", Role::Operator).await;
    let (_, aud_c) = member(&s, "aud@a.example", "", "Org A", Role::Auditor).await;
    let (_, out_c) = member(&s, "x@b.example", "", "Org B", Role::Admin).await;
    let org = off.org_id().to_owned();
    let page = format!("/orgs/{org}/icp");

    let r = get(s.addr, &page, Some(&off_c)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("Top-level management commitment to compliance")
    );
    assert!(
        r.body.contains("action=\"/orgs/") && r.body.contains("/icp\""),
        "the form"
    );

    let policy = form(&[
        ("element", "1"),
        ("kind", "policy"),
        ("title", "Export control commitment statement"),
        ("person_name", "Jean Dupont"),
        ("person_role", "CEO"),
        ("date", "2026-01-15"),
        ("details", "Signed and published on the intranet."),
    ]);
    let r = post(s.addr, &page, Some(&off_c), &policy).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let training = form(&[
        ("element", "3"),
        ("kind", "training"),
        ("title", "Dual-use awareness 2026"),
        ("person_name", "Sales team"),
        ("date", "2026-03-10"),
    ]);
    let r = post(s.addr, &page, Some(&off_c), &training).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = get(s.addr, &page, Some(&aud_c)).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Export control commitment statement"));
    assert!(r.body.contains("Dual-use awareness 2026"));
    assert!(r.body.contains("Claire Officer"));
    assert!(
        !r.body
            .contains(&format!("method=\"post\" action=\"/orgs/{org}/icp\"")),
        "no form for auditors"
    );
    assert_eq!(icp_rows(&s.store, &org), 2);

    // Bad input: every field named next to it, 422, nothing written.
    let bad = form(&[
        ("element", "9"),
        ("kind", "policy"),
        ("title", ""),
        ("date", "15/01/2026"),
    ]);
    let r = post(s.addr, &page, Some(&off_c), &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    for field in ["element", "title", "date"] {
        assert!(
            r.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            r.body
        );
    }
    assert!(r.body.contains("15/01/2026"), "the input is kept");
    assert_eq!(icp_rows(&s.store, &org), 2);
    let r = get(s.addr, &format!("{page}?lang=fr"), Some(&off_c)).await;
    assert!(r.body.contains("Programme de conformité"));

    // Operators and auditors may not record; another organisation does not see it.
    for c in [&op_c, &aud_c] {
        let r = post(s.addr, &page, Some(c), &policy).await;
        assert_eq!(r.status, 403);
    }
    assert_eq!(icp_rows(&s.store, &org), 2);
    let r = get(s.addr, &page, Some(&out_c)).await;
    assert_eq!(r.status, 404);
    let r = post(s.addr, &page, Some(&out_c), &policy).await;
    assert_eq!(r.status, 404);
    assert_eq!(icp_rows(&s.store, &org), 2);
}

#[tokio::test]
async fn auditors_download_the_dossier_naming_operations_and_the_chain() {
    let s = spawn_with_store().await;
    let (off, off_c) = member(
        &s,
        "off@a.example",
        "Claire Officer",
        "Org A",
        Role::Officer,
    )
    .await;
    let (_, aud_c) = member(&s, "aud@a.example", "Anna Auditor", "Org A", Role::Auditor).await;
    let (_, op_c) = member(&s, "op@a.example", "", "Org A", Role::Operator).await;
    let (_, out_c) = member(&s, "x@b.example", "", "Org B", Role::Admin).await;
    let org = off.org_id().to_owned();
    {
        let (store, off) = (s.store.clone(), off.clone());
        blocking(move || {
            operation(&store, &off, "EXP-2026-0107", "licence_required");
            operation(&store, &off, "EXP-2026-0108", "no_licence_required");
            store
                .record_icp(
                    &off,
                    &vigil_store::icp::NewIcpRecord {
                        element: "2",
                        kind: "responsible_person",
                        title: "Export control officer",
                        person_name: "Claire Officer",
                        person_role: "Head of trade compliance",
                        date: "2026-01-15",
                        ..Default::default()
                    },
                )
                .unwrap();
        })
        .await;
    }
    let today = time::OffsetDateTime::now_utc().date();
    let from = today - time::Duration::days(30);
    let to = today + time::Duration::days(1);
    let path = format!("/orgs/{org}/dossier.pdf?from={from}&to={to}");
    let (status, headers, pdf) = get_bytes(s.addr, &path, &aud_c).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some("application/pdf")
    );
    assert!(
        headers
            .get("content-disposition")
            .is_some_and(|d| d.contains("attachment"))
    );
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_text(&pdf);
    let n = s
        .store
        .audit_records(&org, &AuditFilter::default())
        .unwrap()
        .len();
    for needle in [
        "EXP-2026-0107".to_owned(),
        "EXP-2026-0108".to_owned(),
        "Regulation(EU)2021/821Art.3(1)".to_owned(),
        "GulfSecureTradingEXP-2026-0107".to_owned(),
        format!("Auditchainverified:{n}rows,intact"),
        "Exportcontrolofficer".to_owned(),
        "Nodue-diligencefileintheperiod".to_owned(),
        "2031-12-31".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle} missing from the dossier");
    }

    // The officer may too; an operator may not; another organisation gets 404.
    let (status, _, _) = get_bytes(s.addr, &path, &off_c).await;
    assert_eq!(status, 200);
    let (status, _, _) = get_bytes(s.addr, &path, &op_c).await;
    assert_eq!(status, 403);
    let (status, _, body) = get_bytes(s.addr, &path, &out_c).await;
    assert_eq!(status, 404);
    assert!(!String::from_utf8_lossy(&body).contains("EXP-2026"));
    // A bad period: the form with the field named, 422.
    let r = get(
        s.addr,
        &format!("/orgs/{org}/dossier.pdf?from=2026-12-31&to=2026-01-01"),
        Some(&aud_c),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"to-error\""), "{}", r.body);
}

#[tokio::test]
async fn the_icp_api_records_and_lists_and_names_bad_fields() {
    let s = spawn_with_store().await;
    let (officer, _) = member(
        &s,
        "off@icp-api.example",
        "Olive",
        "ICP API Org",
        Role::Officer,
    )
    .await;
    let (operator, _) = member(
        &s,
        "op@icp-api.example",
        "Otto",
        "ICP API Org",
        Role::Operator,
    )
    .await;
    let (stranger, _) = member(&s, "x@other.example", "Xena", "Other Org", Role::Admin).await;
    let org = officer.org_id().to_owned();
    let st = s.store.clone();
    let (off_t, op_t, x_t) = blocking(move || {
        let tok = |scope: &OrgScope| st.create_token(scope, "icp").unwrap().1;
        (tok(&officer), tok(&operator), tok(&stranger))
    })
    .await;
    let good = r#"{"element": 3, "kind": "training", "title": "Export-control training 2026",
        "person_name": "Olive", "person_role": "Export control officer", "date": "2026-10-14"}"#;
    let r = api(s.addr, "POST", "/api/v1/icp", &off_t, good).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["element"], 3);
    // An operator may not record; a bad element and date are named; nothing is written.
    let r = api(s.addr, "POST", "/api/v1/icp", &op_t, good).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let bad = r#"{"element": 9, "kind": "training", "title": "T", "date": "14/10/2026"}"#;
    let r = api(s.addr, "POST", "/api/v1/icp", &off_t, bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("element") && r.body.contains("date"),
        "{}",
        r.body
    );
    let r = api(
        s.addr,
        "POST",
        "/api/v1/icp",
        &off_t,
        r#"{"element": 3, "colour": 1}"#,
    )
    .await;
    assert_eq!(r.status, 422);
    let (st, o) = (s.store.clone(), org.clone());
    assert_eq!(
        blocking(move || icp_rows(&st, &o)).await,
        1,
        "only the good record"
    );
    // Every member lists the organisation's records; another organisation sees none of them.
    let list = api(s.addr, "GET", "/api/v1/icp", &op_t, "").await.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let list = api(s.addr, "GET", "/api/v1/icp", &x_t, "").await.json();
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
}

/// A request with a binary body: status, headers, body.
async fn send_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut raw = req.into_bytes();
    raw.extend_from_slice(body);
    // The server may answer before reading a refused body whole.
    let _ = s.write_all(&raw).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
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
    (status, headers, out[split + 4..].to_vec())
}

const BOUNDARY: &str = "vigilIcpBoundary7";

/// A `multipart/form-data` body: the text fields, then the document (name, type, bytes).
fn multipart_body(fields: &[(&str, &str)], document: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, ct, bytes)) = document {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// A policy document with every byte value (not text).
fn policy_pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.7\n% export control policy\n".to_vec();
    b.extend(0u8..=255);
    b.extend_from_slice(b"\n%%EOF\n");
    b
}

fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("doc");
    std::fs::write(&p, bytes).unwrap();
    let out = Command::new("sha256sum").arg(&p).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn count(store: &Store, org: &str, action: &str) -> usize {
    store
        .audit_records(
            org,
            &AuditFilter {
                action: Some(action.into()),
                ..AuditFilter::default()
            },
        )
        .unwrap()
        .len()
}

#[tokio::test]
async fn icp_documents_are_uploaded_with_the_record_and_downloaded_unchanged() {
    let s = spawn_with_store().await;
    let (officer, officer_session) = member(
        &s,
        "off@icp-doc.example",
        "Olive Officer",
        "ICP Doc Org",
        Role::Officer,
    )
    .await;
    let (auditor, _) = member(
        &s,
        "aud@icp-doc.example",
        "Ada",
        "ICP Doc Org",
        Role::Auditor,
    )
    .await;
    let (stranger, stranger_session) =
        member(&s, "x@other-doc.example", "Xena", "Other Org", Role::Admin).await;
    let org = officer.org_id().to_owned();
    let st = s.store.clone();
    let (off_t, aud_t, x_t) = blocking(move || {
        let tok = |scope: &OrgScope| st.create_token(scope, "icp").unwrap().1;
        (tok(&officer), tok(&auditor), tok(&stranger))
    })
    .await;
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let fields = [
        ("element", "1"),
        ("kind", "policy"),
        ("title", "Export control policy statement"),
        ("person_name", "Claire Dupont"),
        ("person_role", "Chief executive"),
        ("date", "2026-01-05"),
    ];
    let pdf = policy_pdf();
    let expected_sha = sha256_hex(&pdf);
    let auth = |t: &str| format!("Bearer {t}");
    let (off_auth, aud_auth, x_auth) = (auth(&off_t), auth(&aud_t), auth(&x_t));

    // Refused uploads write nothing: too large (413), a type not accepted (415).
    let big = vec![b'a'; vigil_store::attachments::MAX_ATTACHMENT_BYTES + 1];
    let (status, _, body) = send_bytes(
        s.addr,
        "POST",
        "/api/v1/icp",
        &[("Authorization", &off_auth), ("Content-Type", &ct)],
        &multipart_body(&fields, Some(("policy.pdf", "application/pdf", &big))),
    )
    .await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = send_bytes(
        s.addr,
        "POST",
        "/api/v1/icp",
        &[("Authorization", &off_auth), ("Content-Type", &ct)],
        &multipart_body(
            &fields,
            Some(("policy.exe", "application/x-msdownload", b"MZ\x90\x00")),
        ),
    )
    .await;
    assert_eq!(status, 415, "{}", String::from_utf8_lossy(&body));
    // A bad field with a good document: 422, and the document is not kept either.
    let (status, _, body) = send_bytes(
        s.addr,
        "POST",
        "/api/v1/icp",
        &[("Authorization", &off_auth), ("Content-Type", &ct)],
        &multipart_body(
            &[
                ("element", "9"),
                ("kind", "policy"),
                ("title", "T"),
                ("date", "2026-01-05"),
            ],
            Some(("policy.pdf", "application/pdf", &pdf)),
        ),
    )
    .await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    // An auditor may not record.
    let (status, _, _) = send_bytes(
        s.addr,
        "POST",
        "/api/v1/icp",
        &[("Authorization", &aud_auth), ("Content-Type", &ct)],
        &multipart_body(&fields, Some(("policy.pdf", "application/pdf", &pdf))),
    )
    .await;
    assert_eq!(status, 403);
    let (st, o) = (s.store.clone(), org.clone());
    assert_eq!(
        blocking(move || (
            count(&st, &o, "icp.recorded"),
            count(&st, &o, "attachment.added")
        ))
        .await,
        (0, 0)
    );

    // The record with its document, in one call.
    let (status, _, body) = send_bytes(
        s.addr,
        "POST",
        "/api/v1/icp",
        &[("Authorization", &off_auth), ("Content-Type", &ct)],
        &multipart_body(
            &fields,
            Some(("Politique export — 2026.pdf", "application/pdf", &pdf)),
        ),
    )
    .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["document"]["filename"], "Politique export — 2026.pdf");
    assert_eq!(v["document"]["content_type"], "application/pdf");
    assert_eq!(v["document"]["size"], pdf.len());
    assert_eq!(v["document"]["sha256"], expected_sha.as_str());
    assert_eq!(
        v["document"]["download"],
        format!("/api/v1/icp/{id}/document")
    );
    let (st, o) = (s.store.clone(), org.clone());
    assert_eq!(
        blocking(move || (
            count(&st, &o, "icp.recorded"),
            count(&st, &o, "attachment.added")
        ))
        .await,
        (1, 1)
    );

    // Every member downloads the same bytes; another organisation gets 404.
    let doc = format!("/api/v1/icp/{id}/document");
    let (status, headers, bytes) =
        send_bytes(s.addr, "GET", &doc, &[("Authorization", &aud_auth)], b"").await;
    assert_eq!(status, 200);
    assert_eq!(bytes, pdf);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(headers["content-disposition"].starts_with("attachment"));
    let (status, _, _) = send_bytes(s.addr, "GET", &doc, &[("Authorization", &x_auth)], b"").await;
    assert_eq!(status, 404);
    let page_doc = format!("/orgs/{org}/icp/{id}/document");
    let (status, _, bytes) = get_bytes(s.addr, &page_doc, &officer_session).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, pdf);
    let (status, _, _) = get_bytes(s.addr, &page_doc, &stranger_session).await;
    assert_eq!(status, 404);
    // The list names the document and its SHA-256.
    let list = api(s.addr, "GET", "/api/v1/icp", &aud_t, "").await.json();
    assert_eq!(list[0]["document"]["sha256"], expected_sha.as_str());
    let list = api(s.addr, "GET", "/api/v1/icp", &x_t, "").await.json();
    assert!(list.as_array().unwrap().is_empty());
    // The inspection dossier names the document and its digest under element 1.
    let (status, _, pdf) = get_bytes(
        s.addr,
        &format!("/orgs/{org}/dossier.pdf?from=2026-01-01&to=2026-12-31"),
        &officer_session,
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    let text = pdf_text(&pdf);
    assert!(text.contains("Politiqueexport—2026.pdf"), "{text}");
    assert!(text.contains(&expected_sha[..16]), "{text}");
}

#[tokio::test]
async fn the_icp_page_uploads_a_document_and_links_it() {
    let s = spawn_with_store().await;
    let (officer, session) = member(
        &s,
        "off@icp-page.example",
        "Olive Officer",
        "ICP Page Org",
        Role::Officer,
    )
    .await;
    let org = officer.org_id().to_owned();
    let path = format!("/orgs/{org}/icp");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let cookie = format!("vigil_session={session}");
    let fields = [
        ("element", "3"),
        ("kind", "training"),
        ("title", "Export-control training 2026"),
        ("date", "2026-10-14"),
        ("details", "Attendance list attached."),
    ];
    let list = b"name,signature\nOlive,yes\n";
    // A type not accepted: 415, the error next to the field, nothing written.
    let (status, _, body) = send_bytes(
        s.addr,
        "POST",
        &path,
        &[("Cookie", &cookie), ("Content-Type", &ct), SAME],
        &multipart_body(&fields, Some(("list.html", "text/html", b"<p>x</p>"))),
    )
    .await;
    assert_eq!(status, 415);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("id=\"document-error\""), "{body}");
    assert!(
        body.contains("Export-control training 2026"),
        "the form is kept"
    );
    // The form's enctype and file field.
    let page = get(s.addr, &path, Some(&session)).await;
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("type=\"file\" accept="));
    // Accepted: 303, and the page links the document with its SHA-256.
    let (status, _, _) = send_bytes(
        s.addr,
        "POST",
        &path,
        &[("Cookie", &cookie), ("Content-Type", &ct), SAME],
        &multipart_body(&fields, Some(("attendance.csv", "text/csv", list))),
    )
    .await;
    assert_eq!(status, 303);
    // A record without a document still works through the multipart form (empty file part).
    let (status, _, _) = send_bytes(
        s.addr,
        "POST",
        &path,
        &[("Cookie", &cookie), ("Content-Type", &ct), SAME],
        &multipart_body(&fields, Some(("", "application/octet-stream", b""))),
    )
    .await;
    assert_eq!(status, 303);
    let page = get(s.addr, &path, Some(&session)).await;
    assert!(page.body.contains("attendance.csv"), "{}", page.body);
    assert!(page.body.contains(&sha256_hex(list)));
    assert_eq!(page.body.matches("class=\"icp-document\"").count(), 1);
    let (st, o) = (s.store.clone(), org.clone());
    assert_eq!(
        blocking(move || (
            count(&st, &o, "icp.recorded"),
            count(&st, &o, "attachment.added")
        ))
        .await,
        (2, 1)
    );
}
