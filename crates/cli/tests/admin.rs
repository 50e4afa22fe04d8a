//! `vigil admin create-user` through the real binary on a temporary SQLite database, the password
//! on standard input.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::Write as _;
use std::process::{Command, Stdio};

use vigil_store::Store;
use vigil_store::accounts::LoginOutcome;

fn create_user(db: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["--db", db, "admin", "create-user"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn admin_create_user_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("vigil.db").display());
    let pw = "correct horse battery";
    let out = create_user(
        &db,
        &[
            "--email",
            "ada@example.com",
            "--org",
            "Acme Exports",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{pw}\n"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Created ada@example.com"), "{stdout}");
    assert!(stdout.contains("admin of Acme Exports"), "{stdout}");
    assert!(!stdout.contains(pw));

    let store = Store::open(&db).unwrap();
    let LoginOutcome::Success { user, .. } = store.login("ada@example.com", pw, None).unwrap()
    else {
        panic!("cannot sign in");
    };
    let orgs = store.memberships_of(&user.id).unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].0.name, "Acme Exports");
    assert_eq!(orgs[0].1.as_str(), "admin");
    drop(store);

    // A second user joins the same organisation by name; a short password and a taken e-mail
    // are input errors (exit 2) that write nothing.
    let out = create_user(
        &db,
        &[
            "--email",
            "bob@example.com",
            "--org",
            "Acme Exports",
            "--role",
            "auditor",
            "--password-stdin",
        ],
        "another long password\n",
    );
    assert!(out.status.success());
    let out = create_user(
        &db,
        &[
            "--email",
            "carol@example.com",
            "--org",
            "Acme Exports",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
    let out = create_user(
        &db,
        &[
            "--email",
            "ADA@example.com",
            "--org",
            "Other",
            "--password-stdin",
        ],
        &format!("{pw}\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = create_user(
        &db,
        &[
            "--email",
            "dan@example.com",
            "--org",
            "Acme Exports",
            "--role",
            "boss",
            "--password-stdin",
        ],
        &format!("{pw}\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    let store = Store::open(&db).unwrap();
    assert_eq!(store.user_count().unwrap(), 2);
    assert!(store.verify_audit(vigil_store::SYSTEM_ORG).unwrap().is_ok());
}

#[test]
fn the_password_is_never_an_argument() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["admin", "create-user", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--password-stdin"));
    assert!(!help.contains("--password <"), "{help}");
}
