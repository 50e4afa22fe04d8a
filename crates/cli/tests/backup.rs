//! `vigil backup FILE` on the real binary and a temporary SQLite database: the backup is a
//! database that `vigil --db BACKUP lists status` reads (the imported list is in it), a second
//! backup to the same file is refused (exit 2, the file unchanged), and a PostgreSQL URL is
//! answered with the pg_dump advice (exit 2, nothing contacted).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;
use std::process::{Command, Output};

fn vigil(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("VIGIL_DB")
        .output()
        .expect("vigil starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(out: &Output, expected: i32) -> (String, String) {
    assert_eq!(
        out.status.code(),
        Some(expected),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_backup_opens_as_a_database_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let names = dir.path().join("names.csv");
    std::fs::write(&names, "name\nJohn Doe\nJane Roe\n").unwrap();
    code(
        &vigil(s(&db), &["lists", "import", s(&names), "--source", "csv"]),
        0,
    );

    let backup = dir.path().join("backup.db");
    let (out, _) = code(&vigil(s(&db), &["backup", s(&backup)]), 0);
    assert!(out.contains("backed up"), "{out}");
    assert!(backup.is_file());

    // The copy is a database with the list in it.
    let (out, _) = code(
        &vigil(s(&backup), &["--format", "json", "lists", "status"]),
        0,
    );
    assert!(out.contains("\"csv\""), "{out}");
    assert!(out.contains("\"entries\": 2"), "{out}");
    let (out, _) = code(&vigil(s(&backup), &["audit", "verify"]), 0);
    assert!(out.contains("1 record verified"), "{out}");

    // Never over an existing file.
    let before = std::fs::read(&backup).unwrap();
    let (_, err) = code(&vigil(s(&db), &["backup", s(&backup)]), 2);
    assert!(err.contains("exists"), "{err}");
    assert_eq!(std::fs::read(&backup).unwrap(), before);
}

#[test]
fn postgres_is_pointed_to_pg_dump() {
    let (_, err) = code(
        &vigil(
            "postgres://vigil:secret@127.0.0.1:1/vigil",
            &["backup", "/nonexistent/vigil.dump"],
        ),
        2,
    );
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!err.contains("secret"), "{err}");
}
