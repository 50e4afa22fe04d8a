//! Live peer scorers: rapidfuzz `token_sort_ratio` and `WRatio`, run by `bench/peers.sh` in a
//! Python venv it creates from PyPI (under the cargo target dir) when missing.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Scores of one pair by the rapidfuzz peers, in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PeerScore {
    pub token_sort: f64,
    pub wratio: f64,
}

/// A successful peer run.
#[derive(Debug, Clone)]
pub(crate) struct PeerRun {
    pub scores: Vec<PeerScore>,
    pub version: String,
    pub us_per_pair: f64,
}

/// How long the helper may take, venv creation and `pip install` included.
const TIMEOUT: Duration = Duration::from_secs(600);

/// The helper script shipped with the crate.
pub(crate) fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/peers.sh")
}

/// Scores `pairs` with rapidfuzz. `Err` says why the peer could not run (the bench reports
/// "not run: <why>" rather than failing).
pub(crate) fn rapidfuzz(pairs: &[(&str, &str)]) -> Result<PeerRun, String> {
    if std::env::var_os("VIGIL_BENCH_NO_PEERS").is_some() {
        return Err("VIGIL_BENCH_NO_PEERS is set".into());
    }
    let script = script();
    if !script.exists() {
        return Err(format!("{} not found", script.display()));
    }
    let mut input = Vec::new();
    for (a, b) in pairs {
        let line = serde_json::json!({ "a": a, "b": b });
        input.extend(line.to_string().into_bytes());
        input.push(b'\n');
    }
    let mut child = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start bash: {e}"))?;
    // Feed stdin from a thread so a full stdout pipe cannot deadlock us.
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} s", TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for the helper: {e}")),
        }
    };
    let _ = feeder.join();
    let out = reader
        .join()
        .map_err(|_| "reader thread panicked".to_owned())?
        .map_err(|e| format!("reading helper output: {e}"))?;
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let why = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(format!("helper exited with {status}: {why}"));
    }
    parse_output(&out, pairs.len())
}

fn parse_output(out: &str, expected: usize) -> Result<PeerRun, String> {
    let mut scores = Vec::with_capacity(expected);
    let mut version = String::new();
    let mut us_per_pair = f64::NAN;
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("bad helper output {line:?}: {e}"))?;
        if v.get("done").is_some() {
            version = v["version"].as_str().unwrap_or("?").to_owned();
            us_per_pair = v["us_per_pair"].as_f64().unwrap_or(f64::NAN);
        } else {
            scores.push(PeerScore {
                token_sort: v["token_sort_ratio"].as_f64().unwrap_or(0.0),
                wratio: v["wratio"].as_f64().unwrap_or(0.0),
            });
        }
    }
    if scores.len() != expected {
        return Err(format!(
            "helper returned {} scores for {expected} pairs",
            scores.len()
        ));
    }
    Ok(PeerRun {
        scores,
        version,
        us_per_pair,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_output_is_parsed_and_counted() {
        let out = "{\"token_sort_ratio\": 1.0, \"wratio\": 0.95}\n{\"done\": 1, \"version\": \"3.1\", \"us_per_pair\": 2.5}\n";
        let run = parse_output(out, 1).ok();
        assert_eq!(run.as_ref().map(|r| r.scores.len()), Some(1));
        assert_eq!(run.map(|r| r.version), Some("3.1".to_owned()));
        assert!(parse_output(out, 2).is_err());
    }
}
