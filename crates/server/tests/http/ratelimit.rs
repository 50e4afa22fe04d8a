//! The per-address sign-in limit through the real server: ten attempts a minute from one address,
//! then 429 with a clear message (page, French page, problem details for JSON clients) and
//! `Retry-After`, even with the right password; `X-Forwarded-For` changes nothing; another
//! address (127.0.0.2, also loopback) still signs in; the per-account lock-out's 429 carries
//! `Retry-After` too.

use std::net::IpAddr;

use super::*;

use vigil_domain::access::Role;
use vigil_server::ratelimit::LOGIN_ATTEMPTS_PER_MINUTE;

/// A request from the local address `from` (the test's `request` always uses 127.0.0.1).
async fn request_from(
    from: IpAddr,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let mut s = socket.connect(addr).await.unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
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
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    Reply {
        status: status.parse().unwrap(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        body: body.to_owned(),
    }
}

fn retry_after(r: &Reply) -> u64 {
    r.headers
        .get("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", r.headers))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_client_address() {
    let (store, dir) = fresh_store();
    let st = store.clone();
    blocking(move || create_user(&st, "ann@example.com", "", "Acme", Role::Operator)).await;
    let server = serve(store, dir).await;
    let addr = server.addr;
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let other: IpAddr = "127.0.0.2".parse().unwrap();
    let login = |email: String, pw: &'static str| form(&[("email", &email), ("password", pw)]);

    // Different unknown accounts each time: the per-account lock-out never triggers.
    for i in 0..LOGIN_ATTEMPTS_PER_MINUTE {
        let r = request_from(
            local,
            addr,
            "/login",
            &[FORM, SAME],
            &login(format!("nobody{i}@example.com"), "wrong password"),
        )
        .await;
        assert_eq!(r.status, 401, "attempt {i}: {}", r.body);
    }
    // Over the limit: refused even with the right password, before it is checked.
    let r = request_from(
        local,
        addr,
        "/login",
        &[FORM, SAME],
        &login("ann@example.com".to_owned(), PW),
    )
    .await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(
        r.body
            .contains("Too many sign-in attempts from your network address. Try again in"),
        "{}",
        r.body
    );
    let wait = retry_after(&r);
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.body.contains(&format!("{wait} seconds.")), "{}", r.body);
    assert!(r.body.contains("id=\"login-error\""), "shown on the form");
    assert!(!r.headers.contains_key("set-cookie"));
    // In French.
    let r = request_from(
        local,
        addr,
        "/login?lang=fr",
        &[FORM, SAME],
        &login("ann@example.com".to_owned(), PW),
    )
    .await;
    assert_eq!(r.status, 429);
    assert!(
        r.body.contains("Trop de tentatives de connexion"),
        "{}",
        r.body
    );
    retry_after(&r);
    // A JSON client gets problem details.
    let r = request_from(
        local,
        addr,
        "/login",
        &[FORM, SAME, ("Accept", "application/json")],
        &login("ann@example.com".to_owned(), PW),
    )
    .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["status"], 429);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("Too many sign-in attempts"),
        "{v}"
    );
    retry_after(&r);
    // A forged X-Forwarded-For does not make a new client.
    let r = request_from(
        local,
        addr,
        "/login",
        &[FORM, SAME, ("X-Forwarded-For", "203.0.113.9")],
        &login("ann@example.com".to_owned(), PW),
    )
    .await;
    assert_eq!(r.status, 429);
    // Another address is not affected, and the account is not locked.
    let r = request_from(
        other,
        addr,
        "/login",
        &[FORM, SAME],
        &login("ann@example.com".to_owned(), PW),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.headers["set-cookie"].starts_with("vigil_session="));
}

#[tokio::test]
async fn the_account_lock_out_says_when_to_retry() {
    let (store, dir) = fresh_store();
    let st = store.clone();
    blocking(move || create_user(&st, "bob@example.com", "", "Acme", Role::Operator)).await;
    let server = serve(store, dir).await;
    let addr = server.addr;
    let body = form(&[("email", "bob@example.com"), ("password", "wrong password")]);
    let mut last = None;
    for _ in 0..5 {
        last = Some(request(addr, "POST", "/login", &[FORM, SAME], &body).await);
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("this account is locked"), "{}", r.body);
    let wait = retry_after(&r);
    assert!((14 * 60..=15 * 60).contains(&wait), "{wait}");
}
