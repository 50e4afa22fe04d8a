//! Benchmarks of the two decisions, each beside a peer measured in the same run:
//!
//! - `assess`: the decision for one checked operation, beside `serde_json` merely parsing the
//!   same operation text into a `Value` (the cheapest thing any tool must do with the input), and
//!   `assess_json` (parse + check + decide) end to end;
//! - `classify`: ranking the whole of Annex I for one product sheet, beside a brute-force peer
//!   that scores every entry's text by shared words (what a tool without an index does).
//!
//! Run: `cargo bench -p vigil-domain --bench decide`.

use std::path::PathBuf;
use std::sync::LazyLock;

use divan::{Bencher, black_box};
use time::macros::date;
use vigil_domain::assess::{Operation, parse_operation_json};
use vigil_domain::classify::{ItemSheet, parse_item_json};
use vigil_domain::{Law, assess, assess_json, classify};

fn main() {
    divan::main();
}

static LAW: LazyLock<Law> = LazyLock::new(|| match Law::embedded() {
    Ok(l) => l,
    Err(e) => panic!("{e}"),
});

fn read_dir(sub: &str) -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(sub);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

static OP_TEXTS: LazyLock<Vec<String>> = LazyLock::new(|| read_dir("operations"));
static OPS: LazyLock<Vec<Operation>> = LazyLock::new(|| {
    OP_TEXTS
        .iter()
        .filter_map(|t| parse_operation_json(t).ok())
        .filter_map(|i| i.check(&LAW, date!(2026 - 06 - 01)).ok())
        .collect()
});
static SHEETS: LazyLock<Vec<ItemSheet>> = LazyLock::new(|| {
    read_dir("items")
        .iter()
        .filter_map(|t| parse_item_json(t).ok())
        .collect()
});

/// One decision per iteration, cycling over the example operations.
#[divan::bench]
fn assess_checked_operation(b: Bencher<'_, '_>) {
    let ops = &*OPS;
    assert!(!ops.is_empty());
    let mut i = 0;
    b.bench_local(|| {
        i = (i + 1) % ops.len();
        black_box(assess(&LAW, &ops[i]))
    });
}

/// End to end: parse the JSON, check it against the law, decide.
#[divan::bench]
fn assess_json_end_to_end(b: Bencher<'_, '_>) {
    let texts = &*OP_TEXTS;
    let mut i = 0;
    b.bench_local(|| {
        i = (i + 1) % texts.len();
        black_box(assess_json(&LAW, &texts[i], date!(2026 - 06 - 01)).is_ok())
    });
}

/// Peer: only parsing the same JSON into a `serde_json::Value`.
#[divan::bench]
fn peer_parse_json_only(b: Bencher<'_, '_>) {
    let texts = &*OP_TEXTS;
    let mut i = 0;
    b.bench_local(|| {
        i = (i + 1) % texts.len();
        black_box(serde_json::from_str::<serde_json::Value>(&texts[i]).is_ok())
    });
}

/// Ranking the whole of Annex I for one product sheet.
#[divan::bench]
fn classify_product_sheet(b: Bencher<'_, '_>) {
    let sheets = &*SHEETS;
    assert!(!sheets.is_empty());
    let mut i = 0;
    b.bench_local(|| {
        i = (i + 1) % sheets.len();
        black_box(classify(&LAW, &sheets[i]).is_ok())
    });
}

/// Peer: brute force, scoring every entry's text by the description words it contains.
#[divan::bench]
fn peer_classify_brute_force_scan(b: Bencher<'_, '_>) {
    let sheets = &*SHEETS;
    let docs: Vec<(String, String)> = LAW
        .entries()
        .map(|e| {
            let text =
                format!("{} {} {}", e.title, e.summary, e.vocabulary.join(" ")).to_lowercase();
            (e.code.to_string(), text)
        })
        .collect();
    let mut i = 0;
    b.bench_local(|| {
        i = (i + 1) % sheets.len();
        let words: Vec<String> = sheets[i]
            .description
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_owned)
            .collect();
        let mut best: Vec<(usize, &str)> = docs
            .iter()
            .map(|(code, text)| {
                (
                    words.iter().filter(|w| text.contains(w.as_str())).count(),
                    code.as_str(),
                )
            })
            .collect();
        best.sort_unstable_by(|a, b| b.cmp(a));
        black_box(best.first().map(|b| b.0))
    });
}
