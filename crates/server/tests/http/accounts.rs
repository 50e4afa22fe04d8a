//! Accounts through the real server on a temporary SQLite database: first-start setup, sign-in
//! cookies and rotation, wrong passwords and lock-out, sign-out, roles (members page for admins
//! only), organisation isolation (another organisation's pages are 404), API bearer tokens, and
//! cross-site posts refused.

use super::*;

use vigil_domain::access::Role;
use vigil_store::Store;

/// Creates a user (blocking store call, off the async threads) in organisation `org`.
async fn user(store: &Store, email: &str, org: &str, role: Role) -> (String, String) {
    let (store, email, org) = (store.clone(), email.to_owned(), org.to_owned());
    blocking(move || {
        let (u, o) = create_user(&store, &email, "", &org, role);
        (u.id, o.id)
    })
    .await
}

#[tokio::test]
async fn the_setup_link_creates_the_first_administrator_once() {
    let s = spawn_with_store().await;
    let token = s
        .state
        .accounts
        .as_ref()
        .unwrap()
        .setup_token()
        .unwrap()
        .unwrap();
    assert_eq!(get(s.addr, "/setup/not-the-token", None).await.status, 404);
    let path = format!("/setup/{token}");
    let r = get(s.addr, &path, None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("name=\"org_name\""), "{}", r.body);
    let mut fields = vec![
        ("org_name", "Acme Exports"),
        ("email", "ada@example.com"),
        ("display_name", "Ada"),
        ("password", "too short"),
        ("password_confirm", "too short"),
    ];
    let r = post(s.addr, &path, None, &form(&fields)).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("At least 12 characters"), "{}", r.body);
    assert_eq!(s.store.user_count().unwrap(), 0);
    fields[3].1 = PW;
    fields[4].1 = PW;
    let r = post(s.addr, &path, None, &form(&fields)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = session(&r);
    let to = r.headers["location"].clone();
    assert!(to.starts_with("/orgs/"), "{to}");
    let r = get(s.addr, &to, Some(&cookie)).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Acme Exports") && r.body.contains("Administrator"));
    // Used: the link is gone.
    assert_eq!(post(s.addr, &path, None, &form(&fields)).await.status, 404);
    assert_eq!(get(s.addr, &path, None).await.status, 404);
    assert_eq!(s.store.user_count().unwrap(), 1);
}

#[tokio::test]
async fn sign_in_sets_a_rotated_strict_http_only_cookie_and_sign_out_ends_the_session() {
    let s = spawn_with_store().await;
    let (_, org) = user(&s.store, "dan@example.com", "Acme", Role::Operator).await;
    // Pages with organisation data need a session.
    let r = get(s.addr, &format!("/orgs/{org}"), None).await;
    assert_eq!(r.status, 303);
    assert!(r.headers["location"].starts_with("/login?next=/orgs/"));
    let r = login(s.addr, "DAN@example.com", PW).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.headers["location"], format!("/orgs/{org}"));
    let set = r.headers["set-cookie"].clone();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let first = session(&r);
    assert_eq!(first.len(), 64);
    // Signing in again with the first cookie rotates it: the old id is dead.
    let r = request(
        s.addr,
        "POST",
        "/login",
        &[
            FORM,
            SAME,
            ("Cookie", &format!("vigil_session={first}")),
            ("X-Forwarded-Proto", "https"),
        ],
        &form(&[("email", "dan@example.com"), ("password", PW)]),
    )
    .await;
    assert!(r.headers["set-cookie"].contains("; Secure"), "behind TLS");
    let second = session(&r);
    assert_ne!(first, second);
    assert_eq!(get(s.addr, "/orgs", Some(&first)).await.status, 303);
    assert_eq!(get(s.addr, "/orgs", Some(&second)).await.status, 200);
    // Sign-out ends it on the server, not only in the browser.
    let r = post(s.addr, "/logout", Some(&second), "").await;
    assert_eq!(r.status, 303);
    assert!(r.headers["set-cookie"].contains("Max-Age=0"));
    assert_eq!(get(s.addr, "/orgs", Some(&second)).await.status, 303);
    assert!(s.store.session_user(&second).unwrap().is_none());
}

#[tokio::test]
async fn wrong_passwords_are_told_and_five_lock_the_account() {
    let s = spawn_with_store().await;
    user(&s.store, "eve@example.com", "Acme", Role::Auditor).await;
    let r = login(s.addr, "nobody@example.com", PW).await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Wrong e-mail or password."), "{}", r.body);
    for _ in 0..4 {
        let r = login(s.addr, "eve@example.com", "not the password").await;
        assert_eq!(r.status, 401);
        assert!(r.body.contains("Wrong e-mail or password."));
        assert!(!r.headers.contains_key("set-cookie"));
    }
    let r = login(s.addr, "eve@example.com", "not the password").await;
    assert_eq!(r.status, 429);
    assert!(
        r.body.contains("this account is locked for 15 minutes"),
        "{}",
        r.body
    );
    // The right password is refused while locked.
    let r = login(s.addr, "eve@example.com", PW).await;
    assert_eq!(r.status, 429);
    // In French too.
    let r = request(
        s.addr,
        "POST",
        "/login?lang=fr",
        &[FORM, SAME],
        &form(&[("email", "eve@example.com"), ("password", PW)]),
    )
    .await;
    assert!(r.body.contains("ce compte est verrouillé"), "{}", r.body);
}

#[tokio::test]
async fn roles_and_organisations_bound_every_page() {
    let s = spawn_with_store().await;
    let (admin_a_id, org_a) = user(&s.store, "admin@a.example", "Org A", Role::Admin).await;
    user(&s.store, "op@a.example", "Org A", Role::Operator).await;
    let (_, org_b) = user(&s.store, "admin@b.example", "Org B", Role::Admin).await;
    let admin_a = session(&login(s.addr, "admin@a.example", PW).await);
    let op_a = session(&login(s.addr, "op@a.example", PW).await);
    // The admin sees the members of A, not of B.
    let r = get(s.addr, &format!("/orgs/{org_a}/members"), Some(&admin_a)).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("op@a.example") && !r.body.contains("admin@b.example"));
    // An operator may not manage members.
    let r = get(s.addr, &format!("/orgs/{org_a}/members"), Some(&op_a)).await;
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("admin@a.example"));
    let r = post(
        s.addr,
        &format!("/orgs/{org_a}/members"),
        Some(&op_a),
        &form(&[
            ("email", "x@a.example"),
            ("role", "admin"),
            ("display_name", "X"),
            ("password", PW),
        ]),
    )
    .await;
    assert_eq!(r.status, 403);
    // Another organisation's pages do not exist for A's members, whatever they try.
    for path in ["", "/members", "/tokens"] {
        let r = get(s.addr, &format!("/orgs/{org_b}{path}"), Some(&admin_a)).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("Org B") && !r.body.contains("admin@b.example"));
    }
    let r = post(
        s.addr,
        &format!("/orgs/{org_b}/members"),
        Some(&admin_a),
        &form(&[("email", "op@a.example"), ("role", "admin")]),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        post(
            s.addr,
            &format!("/orgs/{org_b}/tokens"),
            Some(&admin_a),
            &form(&[("name", "x")])
        )
        .await
        .status,
        404
    );
    assert_eq!(
        get(s.addr, &format!("/orgs?org={org_b}"), Some(&admin_a))
            .await
            .status,
        404
    );
    // The admin adds a member by e-mail and changes a role.
    let r = post(
        s.addr,
        &format!("/orgs/{org_a}/members"),
        Some(&admin_a),
        &form(&[("email", "admin@b.example"), ("role", "auditor")]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = post(
        s.addr,
        &format!("/orgs/{org_a}/members"),
        Some(&admin_a),
        &form(&[("email", "ghost@a.example"), ("role", "auditor")]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("No user has this e-mail"));
    // B's admin now switches between the two organisations, with a role in each.
    let admin_b = session(&login(s.addr, "admin@b.example", PW).await);
    let r = get(s.addr, &format!("/orgs/{org_b}"), Some(&admin_b)).await;
    assert!(
        r.body.contains("name=\"org\"") && r.body.contains("Org A"),
        "switcher"
    );
    let r = get(s.addr, &format!("/orgs?org={org_a}"), Some(&admin_b)).await;
    assert_eq!(r.headers["location"], format!("/orgs/{org_a}"));
    assert_eq!(
        get(s.addr, &format!("/orgs/{org_a}/members"), Some(&admin_b))
            .await
            .status,
        403
    );
    let scope = s.store.scope(&admin_a_id, &org_a).unwrap().unwrap();
    let op_id = s
        .store
        .members(&scope)
        .unwrap()
        .into_iter()
        .find(|m| m.user.email == "op@a.example")
        .unwrap()
        .user
        .id;
    let r = post(
        s.addr,
        &format!("/orgs/{org_a}/members/{op_id}/role"),
        Some(&admin_a),
        &form(&[("role", "officer")]),
    )
    .await;
    assert_eq!(r.status, 303);
    let r = get(s.addr, &format!("/orgs/{org_a}"), Some(&op_a)).await;
    assert!(r.body.contains("Compliance officer"), "{}", r.body);
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let s = spawn_with_store().await;
    let (_, org_a) = user(&s.store, "admin@a.example", "Org A", Role::Admin).await;
    user(&s.store, "admin@b.example", "Org B", Role::Admin).await;
    let cookie = session(&login(s.addr, "admin@a.example", PW).await);
    // Without a token: 401 problem details.
    let r = get(s.addr, "/api/v1/members", None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert!(r.headers["www-authenticate"].starts_with("Bearer"));
    let r = post(
        s.addr,
        &format!("/orgs/{org_a}/tokens"),
        Some(&cookie),
        &form(&[("name", "ci")]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let start = r.body.find("vgl_").unwrap();
    let token: String = r.body[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric_or_underscore)
        .collect();
    assert_eq!(token.len(), 4 + 64, "{token}");
    let bearer = format!("Bearer {token}");
    let r = request(
        s.addr,
        "GET",
        "/api/v1/me",
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["org_id"], org_a.as_str());
    assert_eq!(r.json()["role"], "admin");
    let r = request(
        s.addr,
        "GET",
        "/api/v1/members",
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let emails: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(emails, ["admin@a.example"]);
    // The stateless API needs no token.
    let r = request(
        s.addr,
        "POST",
        "/api/v1/classify",
        &[("Content-Type", "application/json")],
        r#"{"description": "IMSI catcher"}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    // Revoked: 401.
    let page = get(s.addr, &format!("/orgs/{org_a}/tokens"), Some(&cookie)).await;
    let at = page.body.find("/revoke").unwrap();
    let action_start = page.body[..at].rfind("action=\"").unwrap() + 8;
    let action = &page.body[action_start..at + 7];
    let r = post(s.addr, action, Some(&cookie), "").await;
    assert_eq!(r.status, 303, "{action}: {}", r.body);
    let r = request(
        s.addr,
        "GET",
        "/api/v1/me",
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(r.json()["status"], 401);
    assert!(!r.body.contains(&token));
}

trait TokenChar {
    fn is_ascii_alphanumeric_or_underscore(&self) -> bool;
}

impl TokenChar for char {
    fn is_ascii_alphanumeric_or_underscore(&self) -> bool {
        self.is_ascii_alphanumeric() || *self == '_'
    }
}

#[tokio::test]
async fn cross_site_account_posts_are_refused() {
    let s = spawn_with_store().await;
    user(&s.store, "dan@example.com", "Acme", Role::Admin).await;
    let cookie = session(&login(s.addr, "dan@example.com", PW).await);
    for (path, body) in [
        (
            "/login",
            form(&[("email", "dan@example.com"), ("password", PW)]),
        ),
        ("/logout", String::new()),
        (
            "/account/password",
            form(&[
                ("current_password", PW),
                ("new_password", "x".repeat(20).as_str()),
                ("new_password_confirm", "x".repeat(20).as_str()),
            ]),
        ),
    ] {
        let r = request(
            s.addr,
            "POST",
            path,
            &[
                FORM,
                ("Sec-Fetch-Site", "cross-site"),
                ("Origin", "https://evil.example"),
                ("Cookie", &format!("vigil_session={cookie}")),
            ],
            &body,
        )
        .await;
        assert_eq!(r.status, 403, "{path}");
    }
    // The session survived, and the password did not change.
    assert_eq!(get(s.addr, "/orgs", Some(&cookie)).await.status, 200);
    assert_eq!(login(s.addr, "dan@example.com", PW).await.status, 303);
}

#[tokio::test]
async fn the_password_changes_on_its_page() {
    let s = spawn_with_store().await;
    user(&s.store, "dan@example.com", "Acme", Role::Operator).await;
    let cookie = session(&login(s.addr, "dan@example.com", PW).await);
    let new = "a much longer new password";
    let r = post(
        s.addr,
        "/account/password",
        Some(&cookie),
        &form(&[
            ("current_password", "wrong one"),
            ("new_password", new),
            ("new_password_confirm", new),
        ]),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("The current password is wrong."));
    let r = post(
        s.addr,
        "/account/password",
        Some(&cookie),
        &form(&[
            ("current_password", PW),
            ("new_password", new),
            ("new_password_confirm", new),
        ]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Your password has been changed"));
    assert_eq!(login(s.addr, "dan@example.com", PW).await.status, 401);
    assert_eq!(login(s.addr, "dan@example.com", new).await.status, 303);
}

#[tokio::test]
async fn without_a_database_the_account_pages_say_so() {
    let addr = spawn().await;
    let r = get(addr, "/login", None).await;
    assert_eq!(r.status, 503);
    assert_eq!(get(addr, "/orgs", None).await.status, 503);
    assert_eq!(get(addr, "/api/v1/me", None).await.status, 503);
}
