//! Drives the real HTTP server on 127.0.0.1 (a fresh server per test on port 0), with a minimal
//! HTTP/1.1 client over a TCP socket so the test sees exactly what a browser or API client gets.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil_server::{AppState, Application};

mod accounts;
mod audit;
mod due_diligence;
mod fdi;
mod icp;
mod licences;
mod matrix;
mod openapi;
mod operations_csv;
mod party_screening;
mod ratelimit;
mod records;
mod review;
mod screening;
mod spdx;
mod support;
mod transmissions;

use support::*;

struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn today() -> time::Date {
    time::macros::date!(2026 - 06 - 01)
}

async fn spawn() -> SocketAddr {
    let state = AppState::embedded(today).unwrap();
    let app = Application::bind("127.0.0.1:0".parse().unwrap(), state)
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    tokio::spawn(app.serve());
    addr
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
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

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    b' ' => "+".to_owned(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn api_assess_returns_the_decision() {
    let addr = spawn().await;
    let r = request(
        addr,
        "POST",
        "/api/v1/assess",
        &[("Content-Type", "application/json")],
        &example("operations/vpn-appliance-to-us.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["decision"], "general_authorisation");
    assert_eq!(v["authorisation"]["kind"], "EU001");
}

#[tokio::test]
async fn api_invalid_input_is_a_problem_document_naming_the_field() {
    let addr = spawn().await;
    let mut op: serde_json::Value =
        serde_json::from_str(&example("operations/vpn-appliance-to-us.json")).unwrap();
    op["destination"] = serde_json::json!("ZZ");
    let r = request(
        addr,
        "POST",
        "/api/v1/assess",
        &[("Content-Type", "application/json")],
        &op.to_string(),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
    let v = r.json();
    assert_eq!(v["status"], 422);
    assert_eq!(v["errors"][0]["path"], "destination");
    let r = request(addr, "POST", "/api/v1/assess", &[], "{not json").await;
    assert_eq!(r.status, 422);
    assert!(
        r.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("key must be a string"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn api_classify_ranks_entries() {
    let addr = spawn().await;
    let r = request(
        addr,
        "POST",
        "/api/v1/classify",
        &[],
        &example("items/imsi-catcher.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["candidates"][0]["entry"], "5A001.f.2");
}

#[tokio::test]
async fn api_law_entry_resolves_and_unknown_is_404() {
    let addr = spawn().await;
    let r = request(addr, "GET", "/api/v1/law/entries/5A004.a", &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["annex_iv"], "I");
    let r = request(addr, "GET", "/api/v1/law/entries/5A004.q", &[], "").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["detail"].as_str().unwrap().contains("nearest"));
}

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_the_endpoints() {
    let addr = spawn().await;
    let r = request(addr, "GET", "/api/openapi.json", &[], "").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(
        v["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        v["openapi"]
    );
    for p in [
        "/api/v1/classify",
        "/api/v1/assess",
        "/api/v1/law/entries/{code}",
    ] {
        assert!(v["paths"].get(p).is_some(), "{p} missing");
    }
    assert!(v["components"]["schemas"].get("Assessment").is_some());
}

#[tokio::test]
async fn pages_speak_french_from_accept_language_and_the_switch_sets_a_cookie() {
    let addr = spawn().await;
    let r = request(
        addr,
        "GET",
        "/",
        &[("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<html lang=\"fr\">") && r.body.contains("Classer un produit"));
    let r = request(
        addr,
        "GET",
        "/classify?lang=en",
        &[("Accept-Language", "fr")],
        "",
    )
    .await;
    assert!(r.body.contains("<html lang=\"en\">"));
    assert!(
        r.headers
            .get("set-cookie")
            .unwrap()
            .contains("vigil_lang=en")
    );
    assert!(
        r.headers
            .get("set-cookie")
            .unwrap()
            .contains("SameSite=Strict")
    );
}

#[tokio::test]
async fn assess_page_shows_the_decision_with_linked_citations() {
    let addr = spawn().await;
    let body = form(&[(
        "operation",
        &example("operations/imsi-catcher-to-uae-police.json"),
    )]);
    let r = request(
        addr,
        "POST",
        "/assess",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Licence required"));
    assert!(
        r.body.contains("href=\"/law/5A001.f.2\""),
        "Annex I citations link to the entry page"
    );
    assert!(
        r.body
            .contains("https://eur-lex.europa.eu/eli/reg/2021/821/oj"),
        "articles link to the official text"
    );
}

#[tokio::test]
async fn a_bad_form_field_is_shown_next_to_it_with_422() {
    let addr = spawn().await;
    let body = form(&[("description", "IMSI catcher"), ("facts", "{oops")]);
    let r = request(
        addr,
        "POST",
        "/classify",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &body,
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"facts-error\"") && r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("IMSI catcher"), "the user's input is kept");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let addr = spawn().await;
    let body = form(&[("description", "IMSI catcher")]);
    let r = request(
        addr,
        "POST",
        "/classify",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Sec-Fetch-Site", "cross-site"),
            ("Origin", "https://evil.example"),
        ],
        &body,
    )
    .await;
    assert_eq!(r.status, 403);
    let r = request(
        addr,
        "POST",
        "/classify",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &body,
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let addr = spawn().await;
    let big = "x".repeat(vigil_server::MAX_BODY_BYTES + 10);
    let r = request(addr, "POST", "/api/v1/assess", &[], &big).await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn security_headers_are_set() {
    let addr = spawn().await;
    let r = request(addr, "GET", "/law/5A001.j", &[], "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("IP network communications surveillance"));
    assert!(
        r.headers
            .get("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(
        r.headers.get("x-frame-options").map(String::as_str),
        Some("DENY")
    );
    assert_eq!(
        r.headers.get("x-content-type-options").map(String::as_str),
        Some("nosniff")
    );
    let r = request(addr, "GET", "/law/5A001.zz", &[], "").await;
    assert_eq!(r.status, 404);
    let r = request(addr, "GET", "/api/nothing", &[], "").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.headers.get("content-type").map(String::as_str),
        Some("application/problem+json")
    );
}
