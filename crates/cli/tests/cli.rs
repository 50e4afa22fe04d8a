//! Drives the real `vigil` binary: exit codes, JSON output, error messages that name the field.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vigil(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigil starts");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn assess_prints_the_decision_as_json_and_exits_0() {
    let out = vigil(
        &[
            "--format",
            "json",
            "assess",
            "examples/operations/imsi-catcher-to-uae-police.json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "licence_required");
    assert_eq!(v["screening"], serde_json::json!([]));
    assert!(
        v["law_version"]
            .as_str()
            .unwrap()
            .starts_with("annex-i-2025-2003")
    );
}

#[test]
fn assess_reads_stdin_and_prints_text() {
    let op = std::fs::read_to_string(root().join("examples/operations/vpn-appliance-to-us.json"))
        .unwrap();
    let out = vigil(&["assess", "-"], Some(&op));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("DECISION: GENERAL_AUTHORISATION") && s.contains("EU001"),
        "{s}"
    );
    assert!(
        s.contains("Regulation (EU) 2021/821 Annex II Section A"),
        "{s}"
    );
}

#[test]
fn invalid_json_exits_2_naming_the_input() {
    let out = vigil(&["assess", "-"], Some("{\"type\": \"export\","));
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("<stdin>") && e.contains("invalid input"), "{e}");
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_country_exits_2_naming_the_json_path() {
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/operations/vpn-appliance-to-us.json"))
            .unwrap(),
    )
    .unwrap();
    v["destination"] = serde_json::json!("QQ");
    let out = vigil(&["assess", "-"], Some(&v.to_string()));
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("at destination") && e.contains("QQ"), "{e}");
}

#[test]
fn unknown_export_type_exits_2_naming_the_field() {
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/operations/vpn-appliance-to-us.json"))
            .unwrap(),
    )
    .unwrap();
    v["type"] = serde_json::json!("teleport");
    let out = vigil(&["assess", "-"], Some(&v.to_string()));
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("at type") && e.contains("teleport"), "{e}");
}

#[test]
fn missing_file_exits_2() {
    let out = vigil(&["assess", "no/such/operation.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/operation.json"));
}

#[test]
fn classify_asks_in_french_for_a_french_sheet() {
    let out = vigil(
        &[
            "--format",
            "json",
            "classify",
            "examples/items/reconnaissance-faciale.json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cyber_surveillance"], "yes");
    let q = v["questions"][0]["text"].as_str().unwrap();
    assert!(
        q.contains("Le produit") || q.contains("Permet") || q.contains("Surveille"),
        "{q}"
    );
}

#[test]
fn law_show_resolves_codes_and_suggests_near_ones() {
    let out = vigil(&["law", "show", "5A004.b"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("5A004.b"));
    let out = vigil(&["law", "show", "5A004.x"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nearest entries"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn law_check_accepts_the_repository_law_and_rejects_a_broken_copy() {
    let out = vigil(&["law", "check", "law"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("law");
    copy_dir(&root().join("law"), &copy);
    let sanctions = copy.join("sanctions.toml");
    let broken = std::fs::read_to_string(&sanctions).unwrap().replacen(
        "countries = [\"RU\"]",
        "countries = [\"R1\"]",
        1,
    );
    std::fs::write(&sanctions, broken).unwrap();
    let out = vigil(&["law", "check", copy.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("law/sanctions.toml") && e.contains("country `R1` is not defined"),
        "{e}"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn bench_screening_refuses_a_folder_that_is_not_the_shared_data() {
    let out = vigil(&["bench", "screening", "--data", "examples"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not the shared data folder"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn law_ugea_and_sanctions_list_the_law_with_its_sources() {
    let out = vigil(&["law", "ugea", "eu007"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("EU007") && s.contains("Annex II Section G") && s.contains("30 days before"),
        "{s}"
    );
    let out = vigil(&["law", "ugea", "EU099"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = vigil(&["law", "sanctions"], None);
    assert!(text(&out.stdout).contains("833/2014 Art. 2(1)"));
}
