//! `vigil records export` on the real binary and a temporary SQLite database: the records of a
//! period as a ZIP (written whole, through a temporary file), with its manifest and index; a bad
//! date or an unknown organisation is exit 2 and writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn vigil(db: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("VIGIL_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigil starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn code(out: &Output, expected: i32) -> String {
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(expected),
        "stdout: {o}\nstderr: {e}"
    );
    format!("{o}{e}")
}

#[test]
fn the_records_of_a_period_export_as_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    code(
        &vigil(
            &db,
            &[
                "admin",
                "create-user",
                "--email",
                "anna@records.example",
                "--org",
                "Records GmbH",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "correct horse battery staple\n",
        ),
        0,
    );
    let out = dir.path().join("records.zip");
    let o = out.to_str().unwrap();
    let text = code(
        &vigil(
            &db,
            &[
                "records",
                "export",
                "--org",
                "Records GmbH",
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
                "--out",
                o,
            ],
            "",
        ),
        0,
    );
    assert!(text.contains("records of Records GmbH"), "{text}");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PK"), "a ZIP");
    for name in ["operations.csv", "manifest.json"] {
        assert!(
            bytes.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} in the archive"
        );
    }
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Bad input: exit 2, nothing written.
    let other = dir.path().join("other.zip");
    let p = other.to_str().unwrap();
    for (args, says) in [
        (
            vec![
                "records",
                "export",
                "--org",
                "Records GmbH",
                "--from",
                "2026-13-01",
                "--to",
                "2026-12-31",
                "--out",
                p,
            ],
            "--from",
        ),
        (
            vec![
                "records",
                "export",
                "--org",
                "Nobody",
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
                "--out",
                p,
            ],
            "--org",
        ),
        (
            vec![
                "records",
                "export",
                "--org",
                "Records GmbH",
                "--from",
                "2026-12-31",
                "--to",
                "2026-01-01",
                "--out",
                p,
            ],
            "before",
        ),
    ] {
        let text = code(&vigil(&db, &args, ""), 2);
        assert!(text.contains(says), "{text}");
        assert!(!other.exists());
    }
}
