//! Accounts on both backends: first-start setup, sign-in and lock-out, sessions, organisation
//! scoping (a user of organisation A never sees organisation B's members or tokens), API tokens,
//! and the audit rows every change writes.

use super::*;

use vigil_domain::access::Role;
use vigil_store::accounts::{
    AccountError, LOCKOUT_MICROS, LoginOutcome, NewUser, SESSION_IDLE_MICROS, now_micros,
};
use vigil_store::audit::{AuditFilter, SYSTEM_ORG};

const PW: &str = "correct horse battery";

fn new_user<'a>(email: &'a str, name: &'a str) -> NewUser<'a> {
    NewUser {
        email,
        display_name: name,
        password: PW,
    }
}

fn actions(store: &Store, org: &str) -> Vec<String> {
    store
        .audit_records(org, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect()
}

fn session_of(o: LoginOutcome) -> String {
    match o {
        LoginOutcome::Success { session, .. } => session,
        other => panic!("not signed in: {other:?}"),
    }
}

store_test!(first_start_setup_creates_the_admin_once, |store| {
    assert_eq!(store.user_count().unwrap(), 0);
    let (user, org) = store
        .create_first_admin(&new_user("Ada@Example.com", "Ada"), "Acme Exports")
        .unwrap();
    assert_eq!(store.user_count().unwrap(), 1);
    let scope = store.scope(&user.id, &org.id).unwrap().unwrap();
    assert_eq!(scope.role(), Role::Admin);
    let again = store.create_first_admin(&new_user("eve@example.com", "Eve"), "Evil");
    assert!(matches!(again, Err(AccountError::SetupDone)), "{again:?}");
    assert_eq!(actions(store, SYSTEM_ORG), ["user.created"]);
    assert_eq!(actions(store, &org.id), ["org.created", "member.added"]);
    // Nothing secret in the audit log.
    let all = serde_json::to_string(
        &store
            .audit_records(SYSTEM_ORG, &AuditFilter::default())
            .unwrap(),
    )
    .unwrap();
    assert!(!all.contains(PW) && !all.contains("argon2"), "{all}");
    assert_eq!(store.verify_audit(&org.id).unwrap(), Ok(2));
});

store_test!(
    emails_are_unique_whatever_their_case_and_passwords_long,
    |store| {
        store
            .admin_create_user(
                &new_user("bob@example.com", "Bob"),
                "Acme",
                Role::Officer,
                "cli",
            )
            .unwrap();
        let e = store.admin_create_user(
            &new_user("BOB@example.COM", "Bob 2"),
            "Acme",
            Role::Officer,
            "cli",
        );
        assert!(matches!(e, Err(AccountError::EmailTaken(_))), "{e:?}");
        let short = NewUser {
            email: "carol@example.com",
            display_name: "Carol",
            password: "short pw 11",
        };
        let e = store.admin_create_user(&short, "Acme", Role::Officer, "cli");
        assert!(
            matches!(
                e,
                Err(AccountError::Invalid {
                    field: "password",
                    ..
                })
            ),
            "{e:?}"
        );
        let bad = new_user("not-an-email", "X");
        assert!(matches!(
            store.admin_create_user(&bad, "Acme", Role::Officer, "cli"),
            Err(AccountError::Invalid { field: "email", .. })
        ));
        assert_eq!(store.user_count().unwrap(), 1);
    }
);

store_test!(sign_in_rotates_sessions_and_logout_ends_them, |store| {
    store
        .admin_create_user(
            &new_user("dan@example.com", "Dan"),
            "Acme",
            Role::Operator,
            "cli",
        )
        .unwrap();
    let s1 = session_of(store.login(" DAN@example.com ", PW, None).unwrap());
    assert_eq!(s1.len(), 64);
    let user = store.session_user(&s1).unwrap().unwrap();
    assert_eq!(user.email, "dan@example.com");
    // Signing in again with the old session rotates it: the old token is dead.
    let s2 = session_of(store.login("dan@example.com", PW, Some(&s1)).unwrap());
    assert_ne!(s1, s2);
    assert!(store.session_user(&s1).unwrap().is_none());
    assert!(store.session_user(&s2).unwrap().is_some());
    // Idle expiry.
    let now = now_micros();
    assert!(
        store
            .session_user_at(&s2, now + SESSION_IDLE_MICROS / 2)
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_user_at(&s2, now + SESSION_IDLE_MICROS * 3)
            .unwrap()
            .is_none()
    );
    let s3 = session_of(store.login("dan@example.com", PW, None).unwrap());
    store.logout(&s3).unwrap();
    assert!(store.session_user(&s3).unwrap().is_none());
    let acts = actions(store, SYSTEM_ORG);
    assert_eq!(acts.iter().filter(|a| *a == "login.succeeded").count(), 3);
    assert!(acts.contains(&"logout".to_owned()));
});

store_test!(
    five_failures_lock_the_account_for_fifteen_minutes,
    |store| {
        store
            .admin_create_user(
                &new_user("eve@example.com", "Eve"),
                "Acme",
                Role::Auditor,
                "cli",
            )
            .unwrap();
        let t0 = now_micros();
        for _ in 0..4 {
            assert_eq!(
                store
                    .login_at("eve@example.com", "wrong password!", None, t0)
                    .unwrap(),
                LoginOutcome::BadCredentials
            );
        }
        let fifth = store
            .login_at("eve@example.com", "wrong password!", None, t0)
            .unwrap();
        assert_eq!(
            fifth,
            LoginOutcome::Locked {
                until: t0 + LOCKOUT_MICROS
            }
        );
        // Even the right password is refused while locked …
        assert!(matches!(
            store
                .login_at("eve@example.com", PW, None, t0 + 1000)
                .unwrap(),
            LoginOutcome::Locked { .. }
        ));
        // … and accepted after.
        assert!(matches!(
            store
                .login_at("eve@example.com", PW, None, t0 + LOCKOUT_MICROS + 1)
                .unwrap(),
            LoginOutcome::Success { .. }
        ));
        // Unknown e-mails are bad credentials, audited.
        assert_eq!(
            store.login("nobody@example.com", PW, None).unwrap(),
            LoginOutcome::BadCredentials
        );
        let failed = actions(store, SYSTEM_ORG)
            .into_iter()
            .filter(|a| a == "login.failed")
            .count();
        assert_eq!(failed, 7);
    }
);

store_test!(a_user_of_one_organisation_never_sees_another, |store| {
    let (alice, org_a) = store
        .admin_create_user(
            &new_user("alice@a.example", "Alice"),
            "Org A",
            Role::Admin,
            "cli",
        )
        .unwrap();
    let (bob, org_b) = store
        .admin_create_user(
            &new_user("bob@b.example", "Bob"),
            "Org B",
            Role::Admin,
            "cli",
        )
        .unwrap();
    assert_ne!(org_a.id, org_b.id);
    // No scope in another's organisation.
    assert!(store.scope(&alice.id, &org_b.id).unwrap().is_none());
    assert!(store.scope(&bob.id, &org_a.id).unwrap().is_none());
    let a = store.scope(&alice.id, &org_a.id).unwrap().unwrap();
    let b = store.scope(&bob.id, &org_b.id).unwrap().unwrap();
    let names = |s| -> Vec<String> {
        store
            .members(s)
            .unwrap()
            .into_iter()
            .map(|m| m.user.email)
            .collect()
    };
    assert_eq!(names(&a), ["alice@a.example"]);
    assert_eq!(names(&b), ["bob@b.example"]);
    // Tokens are per user and organisation.
    let (tok_b, raw_b) = store.create_token(&b, "ci").unwrap();
    assert!(store.tokens(&a).unwrap().is_empty());
    assert_eq!(store.tokens(&b).unwrap().len(), 1);
    // Alice cannot revoke Bob's token nor change Bob's role.
    assert!(matches!(
        store.revoke_token(&a, &tok_b.id),
        Err(AccountError::NotFound)
    ));
    assert!(matches!(
        store.change_role(&a, &bob.id, Role::Auditor),
        Err(AccountError::NotFound)
    ));
    let (_, scope) = store.token_auth(&raw_b).unwrap().unwrap();
    assert_eq!(scope.org_id(), org_b.id);
    // Adding Bob to A makes him a member of both, with his own role in each.
    store
        .add_member(&a, "BOB@b.example", Role::Auditor, None)
        .unwrap();
    let orgs: Vec<(String, Role)> = store
        .memberships_of(&bob.id)
        .unwrap()
        .into_iter()
        .map(|(o, r)| (o.name, r))
        .collect();
    assert_eq!(
        orgs,
        [
            ("Org A".to_owned(), Role::Auditor),
            ("Org B".to_owned(), Role::Admin)
        ]
    );
    // Each organisation's chain records only its own events.
    assert_eq!(
        actions(store, &org_a.id),
        ["org.created", "member.added", "member.added"]
    );
    assert_eq!(
        actions(store, &org_b.id),
        ["org.created", "member.added", "token.created"]
    );
});

store_test!(members_roles_and_tokens_change_under_the_rules, |store| {
    let (admin, org) = store
        .create_first_admin(&new_user("root@example.com", "Root"), "Acme")
        .unwrap();
    let scope = store.scope(&admin.id, &org.id).unwrap().unwrap();
    // A new user created by the admin, with an initial password.
    let op = store
        .add_member(&scope, "op@example.com", Role::Operator, Some(("Op", PW)))
        .unwrap();
    assert!(matches!(
        store.add_member(&scope, "op@example.com", Role::Operator, None),
        Err(AccountError::AlreadyMember)
    ));
    assert!(matches!(
        store.add_member(&scope, "ghost@example.com", Role::Operator, None),
        Err(AccountError::NoSuchUser)
    ));
    // An operator may not manage members.
    let op_scope = store.scope(&op.id, &org.id).unwrap().unwrap();
    assert!(matches!(
        store.add_member(&op_scope, "x@example.com", Role::Admin, Some(("X", PW))),
        Err(AccountError::NotFound)
    ));
    assert!(matches!(
        store.change_role(&op_scope, &op.id, Role::Admin),
        Err(AccountError::NotFound)
    ));
    // The last admin stays.
    assert!(matches!(
        store.change_role(&scope, &admin.id, Role::Auditor),
        Err(AccountError::LastAdmin)
    ));
    store.change_role(&scope, &op.id, Role::Officer).unwrap();
    assert_eq!(
        store.scope(&op.id, &org.id).unwrap().unwrap().role(),
        Role::Officer
    );
    // Tokens: created, used, revoked.
    let (tok, raw) = store.create_token(&scope, "ci").unwrap();
    assert!(raw.starts_with("vgl_"));
    assert!(store.token_auth(&raw).unwrap().is_some());
    assert!(store.token_auth("vgl_nonsense").unwrap().is_none());
    store.revoke_token(&scope, &tok.id).unwrap();
    assert!(store.token_auth(&raw).unwrap().is_none());
    assert!(store.tokens(&scope).unwrap()[0].revoked_at.is_some());
    // Password change: the old one stops working, other sessions end.
    let other = session_of(store.login("op@example.com", PW, None).unwrap());
    let mine = session_of(store.login("op@example.com", PW, None).unwrap());
    assert!(matches!(
        store.change_password(
            &op.id,
            "not the password",
            "a new long password",
            Some(&mine)
        ),
        Err(AccountError::WrongPassword)
    ));
    store
        .change_password(&op.id, PW, "a new long password", Some(&mine))
        .unwrap();
    assert!(store.session_user(&other).unwrap().is_none());
    assert!(store.session_user(&mine).unwrap().is_some());
    assert_eq!(
        store.login("op@example.com", PW, None).unwrap(),
        LoginOutcome::BadCredentials
    );
    let acts = actions(store, &org.id);
    for a in [
        "member.added",
        "member.role_changed",
        "token.created",
        "token.revoked",
    ] {
        assert!(acts.contains(&a.to_owned()), "{a}: {acts:?}");
    }
    assert!(actions(store, SYSTEM_ORG).contains(&"password.changed".to_owned()));
    let log = serde_json::to_string(
        &store
            .audit_records(&org.id, &AuditFilter::default())
            .unwrap(),
    )
    .unwrap();
    assert!(!log.contains(&raw) && !log.contains(PW));
    assert!(store.verify_audit(&org.id).unwrap().is_ok());
    assert!(store.verify_audit(SYSTEM_ORG).unwrap().is_ok());
});
