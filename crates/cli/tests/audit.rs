//! `vigil audit verify|list` on the real binary and a temporary SQLite database: list imports
//! (good and failed) are recorded, the chain verifies, and a row changed directly in the database
//! (triggers dropped, as someone with write access to the file could) makes `verify` exit 1 naming
//! the organisation and the row.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::connection::SimpleConnection as _;
use diesel::{Connection as _, SqliteConnection};
use serde_json::Value;

fn vigil(db: &Path, args: &[&str]) -> Output {
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

fn code(out: &Output, expected: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(expected),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn sql(db: &Path, sql: &str) -> diesel::QueryResult<()> {
    let mut c = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    c.batch_execute(sql)
}

#[test]
fn imports_are_audited_and_a_tampered_row_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.db");
    let good = write(dir.path(), "names.csv", "name\nJohn Doe\nJane Roe\n");
    let empty = write(dir.path(), "empty.csv", "name\n");

    code(
        &vigil(
            &db,
            &["lists", "import", good.to_str().unwrap(), "--source", "csv"],
        ),
        0,
    );
    code(
        &vigil(
            &db,
            &[
                "lists",
                "import",
                empty.to_str().unwrap(),
                "--source",
                "csv",
            ],
        ),
        2,
    );

    // Intact.
    let out = code(&vigil(&db, &["audit", "verify"]), 0);
    assert!(
        out.contains("organisation system: 2 records verified"),
        "{out}"
    );
    let out = code(&vigil(&db, &["audit", "verify", "--org", "nobody"]), 0);
    assert!(out.contains("0 records verified"), "{out}");

    // Newest first, as JSON.
    let v: Value = serde_json::from_str(&code(
        &vigil(&db, &["--format", "json", "audit", "list"]),
        0,
    ))
    .unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v:#}");
    assert_eq!(rows[0]["seq"], 2);
    assert_eq!(rows[0]["action"], "list.import_failed");
    assert_eq!(rows[1]["action"], "list.imported");
    assert_eq!(rows[1]["actor"], "cli");
    assert_eq!(rows[1]["org_id"], "system");
    assert_eq!(rows[1]["detail"]["entries"], 2);
    let out = code(&vigil(&db, &["audit", "list", "--limit", "1"]), 0);
    assert!(
        out.contains("list.import_failed") && !out.contains("list.imported"),
        "{out}"
    );

    // CSV export, in chain order.
    let csv = dir.path().join("audit.csv");
    let out = code(
        &vigil(&db, &["audit", "list", "--csv", csv.to_str().unwrap()]),
        0,
    );
    assert!(out.contains("wrote 2 audit records"), "{out}");
    let exported = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 3, "{exported}");
    assert!(
        lines[0].starts_with("org_id,seq,at,actor,action"),
        "{exported}"
    );
    assert!(lines[1].starts_with("system,1,") && lines[1].contains("list.imported"));

    // The triggers refuse changes through SQL.
    let e = sql(&db, "UPDATE audit_log SET actor = 'intruder' WHERE seq = 1").unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    code(&vigil(&db, &["audit", "verify"]), 0);

    // Someone with write access to the file drops them and edits a row.
    sql(
        &db,
        "DROP TRIGGER audit_log_no_update; \
         UPDATE audit_log SET actor = 'intruder' WHERE org_id = 'system' AND seq = 1;",
    )
    .unwrap();
    let out = vigil(&db, &["audit", "verify"]);
    code(&out, 1);
    let err = text(&out.stderr);
    assert!(
        err.contains("audit chain of organisation system broken at record 1")
            && err.contains("edited"),
        "{err}"
    );
    assert!(text(&out.stdout).contains("BROKEN at record 1"));
    let out = vigil(&db, &["--format", "json", "audit", "verify"]);
    let v: Value = serde_json::from_str(&code(&out, 1)).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["organisations"][0]["org"], "system");
    assert_eq!(v["organisations"][0]["broken_at"], 1);

    // A removed row is named too: the one after the gap.
    sql(
        &db,
        "UPDATE audit_log SET actor = 'cli' WHERE seq = 1; \
         DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 1;",
    )
    .unwrap();
    let out = vigil(&db, &["audit", "verify", "--org", "system"]);
    code(&out, 1);
    let err = text(&out.stderr);
    assert!(
        err.contains("broken at record 2") && err.contains("removed"),
        "{err}"
    );
}
