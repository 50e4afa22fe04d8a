//! `vigil fdi` on the real binary: the answer, its citations flagged UNVERIFIED, exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::PathBuf;
use std::process::Command;

fn vigil(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("vigil starts")
}

#[test]
fn fdi_answers_in_text_and_json() {
    let out = vigil(&["fdi", "examples/fdi/us-fund-crypto-startup.json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("PRIOR AUTHORISATION REQUIRED"), "{text}");
    assert!(text.contains("Art. R. 151-2, 3° [UNVERIFIED]"), "{text}");
    let out = vigil(&[
        "--format",
        "json",
        "fdi",
        "examples/fdi/us-fund-crypto-startup.json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "authorisation_required");
    assert_eq!(v["deadlines"][0]["days"], 30);
}

#[test]
fn fdi_bad_input_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.json");
    std::fs::write(
        &path,
        r#"{"target_kind": "french_entity", "chain": [{"name": "X", "kind": "entity", "country": "US"}], "voting_rights_after": -5}"#,
    )
    .unwrap();
    let out = vigil(&["fdi", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("voting_rights_after"), "{err}");
    std::fs::write(
        &path,
        r#"{"target_kind": "french_entity", "chain": [], "surprise": 1}"#,
    )
    .unwrap();
    let out = vigil(&["fdi", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("surprise"));
}
