//! Drives the real `vigil` binary on a temporary SQLite database: list imports (the real UN
//! consolidated list from `../shared/data/sanctions`), status, re-import, a failed import, party
//! screening (single and batch) and the screening step of `assess`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn un_xml() -> PathBuf {
    root().join("../shared/data/sanctions/un_sc_consolidated_2026-02-27.xml")
}

fn vigil(db: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(root())
        .env_remove("VIGIL_DB")
        .output()
        .expect("vigil starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// A database with the UN list imported, shared by the tests that only read it.
fn un_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("vigil.db");
        let out = vigil(
            &db,
            &[
                "lists",
                "import",
                un_xml().to_str().unwrap(),
                "--source",
                "un",
            ],
        );
        ok(&out);
        (dir, db)
    });
    path
}

#[test]
fn import_status_reimport_and_a_failed_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lists.db");
    let un = un_xml();
    let un = un.to_str().unwrap();

    let out = vigil(
        &db,
        &["--format", "json", "lists", "import", un, "--source", "un"],
    );
    let v = json(&out);
    assert_eq!(v["status"], "imported");
    assert_eq!(v["import"]["source"], "un");
    assert_eq!(v["import"]["entries"], 1003);
    assert_eq!(v["import"]["version"], "2026-02-27T00:00:09.554Z");
    let hash = v["import"]["sha256"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);

    // Status: source, version, entries, imported_at, hash.
    let s = ok(&vigil(&db, &["lists", "status"]));
    assert!(
        s.contains("un") && s.contains("2026-02-27") && s.contains("1003"),
        "{s}"
    );
    assert!(s.contains(&hash[..12]), "{s}");
    let st = json(&vigil(&db, &["--format", "json", "lists", "status"]));
    assert_eq!(st["lists"].as_array().unwrap().len(), 1);
    assert_eq!(st["lists"][0]["import"], 1);
    assert_eq!(st["lists"][0]["sha256"], hash.as_str());
    assert!(
        st["lists"][0]["imported_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // Re-importing the same file is a no-op that says so.
    let again = ok(&vigil(&db, &["lists", "import", un, "--source", "un"]));
    assert!(
        again.contains("already imported") && again.contains("nothing changed"),
        "{again}"
    );
    let st = json(&vigil(
        &db,
        &["--format", "json", "lists", "status", "--history"],
    ));
    assert_eq!(st["history"].as_array().unwrap().len(), 1);

    // A truncated file: exit 2 naming the file; the previous list is still served.
    let full = std::fs::read(un_xml()).unwrap();
    let truncated = dir.path().join("un-truncated.xml");
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    let out = vigil(
        &db,
        &[
            "lists",
            "import",
            truncated.to_str().unwrap(),
            "--source",
            "un",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert!(
        e.contains("un-truncated.xml") && e.contains("UN consolidated XML"),
        "{e}"
    );
    assert!(e.contains("nothing imported"), "{e}");
    let st = json(&vigil(
        &db,
        &["--format", "json", "lists", "status", "--history"],
    ));
    assert_eq!(
        st["lists"][0]["import"], 1,
        "the good import is still served"
    );
    assert_eq!(st["lists"][0]["entries"], 1003);
    let history = st["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["status"], "failed");
    assert!(
        history[0]["error"]
            .as_str()
            .unwrap()
            .contains("un-truncated.xml")
    );
    let hits = json(&vigil(
        &db,
        &["--format", "json", "screen", "ERIC BADEGE", "--limit", "1"],
    ));
    assert_eq!(hits["hits"][0]["entry_id"], "CDi.001");
}

#[test]
fn bad_import_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let out = vigil(
        &db,
        &["lists", "import", "no/such/file.xml", "--source", "un"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/file.xml"));
    // A file of another format.
    let out = vigil(
        &db,
        &[
            "lists",
            "import",
            un_xml().to_str().unwrap(),
            "--source",
            "uk",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing imported"));
    // A plain CSV watch list with a mapping, then a row that breaks it.
    let csv = dir.path().join("watch.csv");
    std::fs::write(&csv, "Ref,Full name\nW1,Jane Roe\nW2,Acme Spyware SARL\n").unwrap();
    let out = vigil(
        &db,
        &[
            "--format",
            "json",
            "lists",
            "import",
            csv.to_str().unwrap(),
            "--source",
            "csv",
            "--mapping",
            "name = Full name; id = Ref",
        ],
    );
    assert_eq!(json(&out)["import"]["entries"], 2);
    let out = vigil(
        &db,
        &["lists", "import", csv.to_str().unwrap(), "--source", "csv"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = vigil("mysql://h/db", &["lists", "status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn screening_a_listed_name_returns_it_first_with_score_and_why() {
    let db = un_db();
    let v = json(&vigil(
        db,
        &[
            "--format",
            "json",
            "screen",
            "Tosong Technology Trading Corp",
            "--country",
            "KP",
        ],
    ));
    let top = &v["hits"][0];
    assert_eq!(top["list"], "un");
    assert_eq!(top["entry_id"], "KPe.015");
    assert_eq!(top["name"], "TOSONG TECHNOLOGY TRADING CORPORATION");
    assert_eq!(
        top["matched_alias"],
        "TOSONG TECHNOLOGY TRADING CORPORATION"
    );
    assert!(top["score"].as_f64().unwrap() >= 0.9, "{top}");
    assert_eq!(top["alert"], true);
    let why = top["why"].as_str().unwrap();
    assert!(why.contains("tosong=tosong exact"), "{why}");
    assert_eq!(v["threshold"], 0.8);
    assert_eq!(v["lists"][0]["source"], "un");
    assert_eq!(v["lists"][0]["version"], "2026-02-27T00:00:09.554Z");
    assert_eq!(v["lists"][0]["entries"], 1003);
    assert!(v["lists"][0]["imported_at"].is_string());

    let t = ok(&vigil(db, &["screen", "Eric Badege", "--dob", "1971"]));
    assert!(t.contains("ALERT") && t.contains("CDi.001"), "{t}");
    let out = vigil(db, &["screen", "Eric Badege", "--dob", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--dob"));
}

#[test]
fn batch_screening_writes_one_json_line_per_party_and_a_csv() {
    let db = un_db();
    let dir = tempfile::tempdir().unwrap();
    let parties = dir.path().join("parties.csv");
    std::fs::write(
        &parties,
        "name,dob,country\n\
         Tosong Technology Trading Corporation,,KP\n\
         Acme Networks Inc,,US\n\
         \"BADEGE, Eric\",1971,CD\n",
    )
    .unwrap();
    let out_csv = dir.path().join("results.csv");
    let out = vigil(
        db,
        &[
            "--format",
            "json",
            "screen",
            "--batch",
            parties.to_str().unwrap(),
            "--out",
            out_csv.to_str().unwrap(),
        ],
    );
    let lines: Vec<Value> = ok(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["row"], 1);
    assert_eq!(lines[0]["hits"][0]["entry_id"], "KPe.015");
    assert_eq!(lines[0]["alert"], true);
    assert_eq!(lines[1]["row"], 2);
    assert_eq!(lines[1]["alert"], false);
    assert_eq!(lines[2]["row"], 3);
    assert_eq!(lines[2]["line"], 4);
    assert_eq!(lines[2]["hits"][0]["entry_id"], "CDi.001");
    assert!(text(&out.stderr).contains("screened 3 parties"));

    let csv = std::fs::read_to_string(&out_csv).unwrap();
    let first = csv.lines().next().unwrap();
    assert!(first.starts_with("row,name,dob,country,rank,score,alert,list,version,entry_id"));
    assert!(csv.contains("KPe.015") && csv.contains("CDi.001"), "{csv}");

    // A bad date names the file and line.
    std::fs::write(&parties, "name,dob\nJohn Doe,1970\nJane Roe,31/31/31x\n").unwrap();
    let out = vigil(db, &["screen", "--batch", parties.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("parties.csv line 3") && e.contains("dob"), "{e}");
}

#[test]
fn assess_holds_an_operation_with_a_listed_party() {
    let db = un_db();
    let dir = tempfile::tempdir().unwrap();
    let mut op: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/operations/vpn-appliance-to-us.json"))
            .unwrap(),
    )
    .unwrap();
    op["parties"] = serde_json::json!([
        {"role": "consignee", "name": "Tosong Technology Trading Corporation", "country": "US"},
        {"role": "end_user", "name": "Acme Networks Inc", "country": "US"}
    ]);
    let file = dir.path().join("op.json");
    std::fs::write(&file, op.to_string()).unwrap();
    let v = json(&vigil(
        db,
        &["--format", "json", "assess", file.to_str().unwrap()],
    ));
    assert_eq!(v["decision"], "hold", "{v:#}");
    let hit = &v["screening"][0];
    assert_eq!(hit["role"], "consignee");
    assert_eq!(hit["party"], "Tosong Technology Trading Corporation");
    assert_eq!(hit["entry_id"], "KPe.015");
    assert!(hit["list"].as_str().unwrap().starts_with("un "));
    assert!(hit["score"].as_f64().unwrap() >= 0.8);
    assert_eq!(hit["cleared"], false);
    assert_eq!(v["lists_screened"][0]["source"], "un");

    let t = ok(&vigil(db, &["assess", file.to_str().unwrap()]));
    assert!(
        t.contains("Lists screened: un 2026-02-27T00:00:09.554Z"),
        "{t}"
    );

    // The unchanged example clears screening and keeps its decision.
    let v = json(&vigil(
        db,
        &[
            "--format",
            "json",
            "assess",
            "examples/operations/vpn-appliance-to-us.json",
        ],
    ));
    assert_eq!(v["decision"], "general_authorisation", "{v:#}");
}
