//! `vigil bench screening`: one table of quality and speed, Vigil beside its peers, measured in
//! the same run on the same data (`shared/data`, see its README).
//!
//! Unlike the rest of the crate this module does IO, reads the clock, spawns threads and runs
//! the peer helper `bench/peers.sh` (rapidfuzz from PyPI in a venv under the cargo target dir):
//! it is the measurement harness, not part of screening itself.
//!
//! What is measured (every row names its data set):
//! - ROC-AUC and P/R/F1 on the 826 nomenklatura labelled pairs (name against name, uniform token
//!   rarity), also split into a *dev* half (the pairs looked at while tuning) and a *held-out*
//!   half (never looked at), by a fixed hash of the pair; peers: the frozen logic-v2 scores and
//!   the watchman anchor run from the same folder, rapidfuzz `token_sort_ratio` / `WRatio` live;
//! - recall@1 of the 677 perturbed UN queries against the full UN list (name; name + DOB);
//! - per-variation recall of the 21,737-case ssb set: each query is screened against the OFAC
//!   SDN 2021 list it was generated from (8,976 entries) and counts as found when its entity
//!   alerts (score ≥ [`ALERT_THRESHOLD`]); for the near-miss negative classes the row is the share
//!   of queries for which the source entity alerts (a false alert);
//! - the cross-script pairs (pair score ≥ threshold) and the 80 spellings of Putin (screened
//!   against all lists: does one of his entries alert?);
//! - false alerts of the 100,000 synthetic innocents screened against all lists, at the threshold
//!   that keeps recall ≥ 99 % of the yente benchmark's positives (the 677 perturbed UN queries,
//!   screened against all lists), the same with the ssb positives added to the recall pool, at
//!   [`ALERT_THRESHOLD`], and a calibration curve over thresholds 0.70–0.85;
//! - load time (parse + index) for all lists, µs per scored pair (best of 5 rounds), query
//!   latency p50/p99 on 2 busy threads (best of 3 runs per query, 20,000 innocents), queries/s
//!   on 2 threads (the innocents run), resident memory with all lists indexed.

mod peers;
mod sets;
pub mod sys;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::eval::{Scored, best_f1, prf, read_name_bench_cases, roc_auc};
use crate::loaders::csv::ColumnMapping;
use crate::loaders::{bis, csv as csv_loader, ofac, un};
use crate::normalise::fold;
use crate::score::{ALERT_THRESHOLD, PreparedName, compare, score_names};
use crate::{BirthDate, Hit, Index, LoadError, LoadedList, NameQuery};

pub use sys::Machine;

/// Why the bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A data file is missing or unreadable.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A list file did not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// An evaluation file is not in the expected format.
    #[error("{what}: {message}")]
    Format {
        /// Which file.
        what: String,
        /// What is wrong.
        message: String,
    },
}

impl BenchError {
    fn format(what: &str, e: impl fmt::Display) -> Self {
        BenchError::Format {
            what: what.to_owned(),
            message: e.to_string(),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// What is measured, on which data.
    pub measure: String,
    /// Vigil's value.
    pub vigil: String,
    /// The peers' values, measured in the same run or read from the anchor runs.
    pub peers: String,
    /// The target, or "—".
    pub target: String,
    /// Whether Vigil meets the target (`None` without a target).
    pub met: Option<bool>,
}

/// The result of a bench run: one table and its notes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    /// Where and when it ran.
    pub machine: Machine,
    /// The alert threshold in force.
    pub threshold: f64,
    /// The rows, in print order.
    pub rows: Vec<Row>,
    /// Definitions and caveats printed under the table.
    pub notes: Vec<String>,
}

impl BenchReport {
    /// Rows whose target is not met.
    pub fn unmet(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.met == Some(false))
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Machine: {} CPUs ({}), {}; alert threshold {:.2}",
            self.machine.cpus, self.machine.cpu_model, self.machine.date, self.threshold
        )?;
        writeln!(f)?;
        writeln!(f, "| measure | Vigil | peer(s) | target | met? |")?;
        writeln!(f, "|---|---|---|---|---|")?;
        for r in &self.rows {
            let met = match r.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            };
            writeln!(
                f,
                "| {} | {} | {} | {} | {} |",
                r.measure, r.vigil, r.peers, r.target, met
            )?;
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            for n in &self.notes {
                writeln!(f, "- {n}")?;
            }
        }
        Ok(())
    }
}

fn row(measure: impl Into<String>, vigil: impl Into<String>, peers: impl Into<String>) -> Row {
    Row {
        measure: measure.into(),
        vigil: vigil.into(),
        peers: peers.into(),
        target: "—".into(),
        met: None,
    }
}

impl Row {
    fn target(mut self, target: impl Into<String>, met: bool) -> Row {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else {
        format!("{:.2} %", 100.0 * x)
    }
}

fn opt<T>(x: Option<T>, f: impl Fn(T) -> String) -> String {
    x.map_or_else(|| "—".into(), f)
}

struct Data<'a> {
    dir: &'a Path,
}

impl Data<'_> {
    fn read(&self, rel: &str) -> Result<Vec<u8>, BenchError> {
        let path = self.dir.join(rel);
        std::fs::read(&path).map_err(|source| BenchError::Io { path, source })
    }

    /// Optional files (anchor runs): missing means "—" in the table.
    fn text(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(rel)).ok()
    }
}

/// Runs `f` over `items` on `threads` scoped threads; results in input order, each with the time
/// it took.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<(R, Duration)> {
    let threads = threads.max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                s.spawn(move || {
                    part.iter()
                        .map(|x| {
                            let t = Instant::now();
                            let r = f(x);
                            (r, t.elapsed())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Thresholds of the calibration row.
const CALIBRATION: [f64; 6] = [0.70, 0.75, 0.78, 0.80, 0.82, 0.85];

/// Queries in the latency sample.
const LATENCY_SAMPLE: usize = 20_000;

/// Threads used for the throughput measures ("2 cores").
const THREADS: usize = 2;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// The highest threshold at which at least `recall` of the positive scores reach it.
pub fn threshold_for_recall(positive_scores: &[f64], recall: f64) -> f64 {
    let mut s = positive_scores.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    if s.is_empty() {
        return 0.0;
    }
    let k = ((recall * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
    s[k]
}

/// Whether a nomenklatura pair belongs to the held-out half (never looked at while tuning).
pub fn held_out(query: &str, candidate: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in query.bytes().chain([b'|']).chain(candidate.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 2 == 1
}

/// Labels of the lists returned by [`all_lists`], in order.
const ALL_LISTS: [&str; 6] = [
    "UN XML",
    "EU names CSV",
    "OFAC SDN names CSV",
    "OFAC non-SDN XML",
    "UK names CSV",
    "BIS DPL",
];

/// All lists of `shared/data/sanctions` that a firm would screen against: UN, EU, OFAC (SDN and
/// non-SDN), UK and BIS. Returns the lists and the seconds spent reading and parsing.
fn all_lists(d: &Data<'_>) -> Result<Vec<LoadedList>, BenchError> {
    let names_csv = |file: &str| -> Result<LoadedList, BenchError> {
        let mut m = ColumnMapping::name_only("Name");
        m.aliases = Some("Alias".into());
        m.alias_separator = ", ".into();
        m.country = Some("Nationality".into());
        m.country_separator = ", ".into();
        m.kind = Some("Designation".into());
        Ok(csv_loader::parse(
            &d.read(&format!("sanctions/{file}"))?,
            &m,
        )?)
    };
    Ok(vec![
        un::parse(&d.read("sanctions/un_sc_consolidated_2026-02-27.xml")?)?,
        names_csv("eu_fsf_names_2025.csv")?,
        names_csv("ofac_sdn_names_2025.csv")?,
        ofac::parse_xml(&d.read("sanctions/ofac_consolidated_nonsdn_2026-01-08.xml")?)?,
        names_csv("uk_sanctions_list_names_2025.csv")?,
        bis::parse(&d.read("sanctions/us_bis_denied_persons_list_2021.txt")?)?,
    ])
}

fn ofac_2021(d: &Data<'_>) -> Result<LoadedList, BenchError> {
    let (sdn, alt, add, comments) = (
        d.read("sanctions/ofac_sdn_csv_2021-07/sdn.csv")?,
        d.read("sanctions/ofac_sdn_csv_2021-07/alt.csv")?,
        d.read("sanctions/ofac_sdn_csv_2021-07/add.csv")?,
        d.read("sanctions/ofac_sdn_csv_2021-07/sdn_comments.csv")?,
    );
    Ok(ofac::parse_sdn_csv(ofac::SdnCsvFiles {
        sdn: &sdn,
        alt: Some(&alt),
        add: Some(&add),
        comments: Some(&comments),
    })?)
}

/// Score of the first hit satisfying `is_expected`, 0 when it was not retrieved.
fn expected_score(hits: &[Hit], is_expected: impl Fn(&Hit) -> bool) -> f64 {
    hits.iter()
        .find(|h| is_expected(h))
        .map_or(0.0, |h| h.score)
}

/// How many hits are looked at for the expected entity: every alerting hit matters to an
/// officer, not just the first.
const DEPTH: usize = 50;

/// Runs the whole bench on `data_dir` (the `shared/data` folder), reporting each step to
/// `progress`.
pub fn run(data_dir: &Path, progress: &dyn Fn(&str)) -> Result<BenchReport, BenchError> {
    let d = Data { dir: data_dir };
    let machine = Machine::current();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let anchor = d
        .text("eval/anchor_runs/anchor_summary.txt")
        .unwrap_or_default();
    let num = |line: &str, marker: &str| sets::number_after(&anchor, line, marker);

    // --- Lists: load time and memory --------------------------------------------------------
    progress("loading and indexing all lists");
    let rss_before = sys::resident_mib();
    let t = Instant::now();
    let lists = all_lists(&d)?;
    let parsed = t.elapsed();
    let list_summary: Vec<String> = ALL_LISTS
        .iter()
        .zip(&lists)
        .map(|(label, l)| format!("{label} {}", l.meta.entry_count))
        .collect();
    let all = Index::build(lists);
    let load = t.elapsed();
    let rss = sys::resident_mib();
    let entries = all.entries().len();
    rows.push(
        row(
            format!(
                "load all lists ({entries} entries, {} names): parse + index",
                all.name_count()
            ),
            format!(
                "{:.2} s ({:.2} s parse)",
                load.as_secs_f64(),
                parsed.as_secs_f64()
            ),
            "—",
        )
        .target("≤ 3 s", load.as_secs_f64() <= 3.0),
    );
    notes.push(format!(
        "All lists = {} (entries). EU, OFAC SDN and UK are the 2025 names exports loaded with the \
         mapped-CSV loader (the full FSF / sdn.xml / UK XML are not in shared/data). Loaded from \
         files, not from a database.",
        list_summary.join(", ")
    ));
    rows.push(
        row(
            "resident memory with all lists indexed (VmRSS)",
            opt(rss, |m| {
                format!(
                    "{m:.0} MiB ({} MiB before loading)",
                    opt(rss_before, |b| format!("{b:.0}"))
                )
            }),
            "—",
        )
        .target("≤ 300 MB", rss.is_some_and(|m| m * 1.048_576 <= 300.0)),
    );

    // --- Nomenklatura pairs ------------------------------------------------------------------
    progress("nomenklatura 826 pairs");
    let pairs = read_name_bench_cases(&d.read("eval/nomenklatura/name_bench_cases.csv")?)?;
    let vigil: Vec<Scored> = pairs
        .iter()
        .map(|p| Scored {
            score: score_names(&p.query, &p.candidate),
            is_match: p.is_match,
        })
        .collect();
    let split = |want_held_out: bool| -> Vec<Scored> {
        pairs
            .iter()
            .zip(&vigil)
            .filter(|(p, _)| held_out(&p.query, &p.candidate) == want_held_out)
            .map(|(_, s)| *s)
            .collect()
    };
    let (dev, held) = (split(false), split(true));
    let auc = roc_auc(&vigil).unwrap_or(f64::NAN);

    let logic = d
        .read("eval/nomenklatura/name_bench_logicv2_frozen.csv")
        .ok()
        .and_then(|b| sets::anchor_scores("logic-v2 frozen", &b, "score").ok());
    let watchman = d
        .text("eval/anchor_runs/watchman_name_bench_scores.csv")
        .and_then(|t| {
            sets::anchor_scores("watchman name bench", t.as_bytes(), "watchman_score").ok()
        });
    let to_scored = |v: &[sets::AnchorScore]| -> Vec<Scored> {
        v.iter()
            .map(|a| Scored {
                score: a.score,
                is_match: a.is_match,
            })
            .collect()
    };
    let logic = logic.map(|v| to_scored(&v));
    let watchman = watchman.map(|v| to_scored(&v));

    // Live peers on the nomenklatura pairs, the cross-script pairs and the Putin spellings.
    let cross = sets::cross_script(&d.read("eval/watchman_cross_script_pairs.csv")?)?;
    let putin = sets::lines(&d.read("eval/rigour_putin_names.txt")?);
    const PUTIN_FULL: &str = "Vladimir Vladimirovich Putin";
    progress("rapidfuzz peers (creates a Python venv on first run)");
    let mut peer_pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|p| (p.query.as_str(), p.candidate.as_str()))
        .collect();
    peer_pairs.extend(cross.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    peer_pairs.extend(putin.iter().map(|a| (a.as_str(), PUTIN_FULL)));
    let rapid = peers::rapidfuzz(&peer_pairs);
    let rapid_scores = |pick: fn(&peers::PeerScore) -> f64| -> Option<Vec<f64>> {
        rapid
            .as_ref()
            .ok()
            .map(|r| r.scores.iter().map(pick).collect())
    };
    let token_sort = rapid_scores(|s| s.token_sort);
    let wratio = rapid_scores(|s| s.wratio);
    let labelled = |scores: &[f64]| -> Vec<Scored> {
        pairs
            .iter()
            .zip(scores)
            .map(|(p, &score)| Scored {
                score,
                is_match: p.is_match,
            })
            .collect()
    };
    let not_run = |e: &String| format!("rapidfuzz not run: {e}");
    let fmt_auc = |name: &str, s: &Option<Vec<Scored>>| -> String {
        opt(s.as_ref().and_then(|v| roc_auc(v)), |a| {
            format!("{name} {a:.3}")
        })
    };
    let ts_nk = token_sort.as_ref().map(|v| labelled(v));
    let wr_nk = wratio.as_ref().map(|v| labelled(v));
    let mut auc_peers = vec![fmt_auc("logic-v2", &logic), fmt_auc("watchman", &watchman)];
    match &rapid {
        Ok(r) => {
            auc_peers.push(fmt_auc("rapidfuzz token_sort", &ts_nk));
            auc_peers.push(fmt_auc("WRatio", &wr_nk));
            notes.push(format!(
                "rapidfuzz {} run live from PyPI in a venv (bench/peers.sh), names lower-cased \
                 and stripped of punctuation by its default_process.",
                r.version
            ));
        }
        Err(e) => auc_peers.push(not_run(e)),
    }
    rows.push(
        row(
            format!("ROC-AUC, nomenklatura {} labelled pairs", pairs.len()),
            format!("{auc:.3}"),
            auc_peers.join("; "),
        )
        .target("≥ 0.88", auc >= 0.88),
    );
    rows.push(row(
        "ROC-AUC, dev half / held-out half (split by pair hash)",
        format!(
            "{} ({}) / {} ({})",
            opt(roc_auc(&dev), |a| format!("{a:.3}")),
            dev.len(),
            opt(roc_auc(&held), |a| format!("{a:.3}")),
            held.len()
        ),
        "—",
    ));
    let fmt_prf = |p: crate::eval::Prf| {
        format!(
            "P {:.3} R {:.3} F1 {:.3} @{:.2}",
            p.precision, p.recall, p.f1, p.threshold
        )
    };
    let at = prf(&vigil, ALERT_THRESHOLD);
    let mut prf_peers = Vec::new();
    if let Some(l) = &logic {
        prf_peers.push(format!("logic-v2 {}", fmt_prf(prf(l, 0.7))));
    }
    if let Some(w) = &watchman {
        prf_peers.push(format!("watchman {}", fmt_prf(prf(w, 0.7))));
    }
    rows.push(row(
        "P / R / F1 at the alert threshold, nomenklatura pairs",
        fmt_prf(at),
        prf_peers.join("; "),
    ));
    let mut best_peers = Vec::new();
    for (name, s) in [
        ("logic-v2", &logic),
        ("watchman", &watchman),
        ("token_sort", &ts_nk),
        ("WRatio", &wr_nk),
    ] {
        if let Some(b) = s.as_ref().and_then(|v| best_f1(v)) {
            best_peers.push(format!("{name} {}", fmt_prf(b)));
        }
    }
    rows.push(row(
        "P / R / F1 at each matcher's best-F1 threshold (oracle), nomenklatura pairs",
        opt(best_f1(&vigil), fmt_prf),
        best_peers.join("; "),
    ));
    // Thresholds at which the rapidfuzz peers are judged on the other pair sets: their best F1
    // on the nomenklatura pairs (the most favourable calibration they can get).
    let peer_threshold =
        |s: &Option<Vec<Scored>>| s.as_ref().and_then(|v| best_f1(v)).map(|p| p.threshold);
    let (ts_t, wr_t) = (peer_threshold(&ts_nk), peer_threshold(&wr_nk));
    let n_nk = pairs.len();
    let pass_rate = |scores: &Option<Vec<f64>>, range: std::ops::Range<usize>, t: Option<f64>| {
        match (scores, t) {
            (Some(s), Some(t)) => {
                let part = &s[range];
                Some(part.iter().filter(|&&x| x >= t).count() as f64 / part.len().max(1) as f64)
            }
            _ => None,
        }
    };

    // --- Speed of the scorer ----------------------------------------------------------------
    progress("µs per scored pair");
    let prepared: Vec<(PreparedName, PreparedName)> = pairs
        .iter()
        .map(|p| (PreparedName::new(&p.query), PreparedName::new(&p.candidate)))
        .collect();
    // Best of five rounds of ~150 ms each, so that other processes on a shared machine do not
    // pass for the scorer's cost.
    let mut sink = 0.0;
    let best_round = |f: &mut dyn FnMut() -> usize| {
        (0..5)
            .map(|_| {
                let (mut n, t) = (0usize, Instant::now());
                while t.elapsed() < Duration::from_millis(150) {
                    n += f();
                }
                t.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64
            })
            .fold(f64::INFINITY, f64::min)
    };
    let us_pair = best_round(&mut || {
        for (a, b) in &prepared {
            sink += compare(a, b).score;
        }
        prepared.len()
    });
    let us_full = best_round(&mut || {
        for p in &pairs {
            sink += score_names(&p.query, &p.candidate);
        }
        pairs.len()
    });
    std::hint::black_box(sink);
    let mut speed_peers = vec![
        opt(num("name_bench mean Similarity()", "Similarity()"), |x| {
            format!("watchman {x} µs (anchor)")
        }),
        opt(num("ssb logic-v2 mean compare", "compare"), |x| {
            format!("logic-v2 {x} µs (anchor)")
        }),
    ];
    match &rapid {
        Ok(r) => speed_peers.push(format!(
            "rapidfuzz token_sort + WRatio {:.1} µs (live, Python loop)",
            r.us_per_pair
        )),
        Err(e) => speed_peers.push(not_run(e)),
    }
    rows.push(
        row(
            "µs per scored pair, 826 nomenklatura pairs (prepared names; incl. normalising \
             both), best of 5 rounds",
            format!("{us_pair:.2} µs ({us_full:.1} µs)"),
            speed_peers.join("; "),
        )
        .target("≤ 5 µs", us_pair <= 5.0),
    );

    // --- UN perturbed queries ----------------------------------------------------------------
    progress("UN perturbed queries");
    let un_list = un::parse(&d.read("sanctions/un_sc_consolidated_2026-02-27.xml")?)?;
    let un_index = Index::build([un_list]);
    let un_queries = sets::un_queries(&d.read("eval/un_positives_labeled_2026-02-27.csv")?)?;
    let top1 = |q: &NameQuery, expected: &str| {
        un_index
            .search(q, 1, 0.0)
            .first()
            .is_some_and(|h| h.entry_id == expected)
    };
    let (mut r_name, mut r_dob) = (0usize, 0usize);
    for q in &un_queries {
        let mut query = NameQuery::name(q.name.clone());
        r_name += usize::from(top1(&query, &q.expected));
        query.dob = BirthDate::parse(&q.dob);
        r_dob += usize::from(top1(&query, &q.expected));
    }
    let n_un = un_queries.len().max(1) as f64;
    let (r_name, r_dob) = (r_name as f64 / n_un, r_dob as f64 / n_un);
    let wm_un = d
        .text("eval/anchor_runs/watchman_un_positives_results_un_only_corpus.csv")
        .and_then(|t| sets::csv_rows("watchman UN", t.as_bytes(), false).ok())
        .map(|rows| {
            let rate = |mode: &str| {
                let m: Vec<_> = rows
                    .iter()
                    .filter(|r| r.get("mode").is_some_and(|x| x == mode))
                    .collect();
                m.iter()
                    .filter(|r| r.get("expected_rank").is_some_and(|x| x == "1"))
                    .count() as f64
                    / m.len().max(1) as f64
            };
            (rate("name"), rate("name+dob"))
        });
    let mut un_peers = Vec::new();
    if let Some((a, b)) = wm_un {
        un_peers.push(format!("watchman {} / {} (anchor)", pct(a), pct(b)));
    }
    if let (Some(a), Some(b)) = (
        num("logic-v2 mode=name n=677", "corpus 730)="),
        num("logic-v2 mode=name+dob n=677", "corpus 730)="),
    ) {
        un_peers.push(format!("logic-v2 {} / {} (anchor)", pct(a), pct(b)));
    }
    rows.push(
        row(
            format!(
                "recall@1, {} perturbed UN queries vs UN list (name / name+DOB)",
                un_queries.len()
            ),
            format!("{} / {}", pct(r_name), pct(r_dob)),
            un_peers.join("; "),
        )
        .target("≥ 99.5 %", r_name >= 0.995),
    );

    // --- ssb per-variation recall ------------------------------------------------------------
    progress("ssb 21,737 cases vs OFAC SDN 2021");
    let ofac_index = Index::build([ofac_2021(&d)?]);
    let ssb = sets::ssb(&d.read("eval/ssb_ofac_sdn_2021_individuals_seed0.json")?)?;
    let mut source_id: HashMap<&str, &str> = HashMap::new();
    for (id, names) in &ssb.candidates {
        for n in names {
            source_id.insert(n.as_str(), id.as_str());
        }
    }
    let ssb_scores: Vec<f64> = parallel(&ssb.cases, THREADS, |c| {
        let expected = c
            .expected_entity_id
            .as_deref()
            .or_else(|| source_id.get(c.source_name.as_str()).copied());
        let Some(expected) = expected else {
            return 0.0;
        };
        let hits = ofac_index.search(&NameQuery::name(c.query.clone()), DEPTH, 0.0);
        expected_score(&hits, |h| h.entry_id == expected)
    })
    .into_iter()
    .map(|(s, _)| s)
    .collect();
    let wm_ssb: HashMap<String, Vec<f64>> = d
        .text("eval/anchor_runs/watchman_ssb_pair_scores.csv")
        .and_then(|t| sets::csv_rows("watchman ssb", t.as_bytes(), false).ok())
        .map(|rows| {
            let mut m: HashMap<String, Vec<f64>> = HashMap::new();
            for r in rows {
                if let (Some(p), Some(s)) = (r.get("perturbation"), r.get("watchman_score")) {
                    m.entry(p.clone())
                        .or_default()
                        .push(s.parse().unwrap_or(0.0));
                }
            }
            m
        })
        .unwrap_or_default();
    let mut classes: Vec<(&str, &str)> = ssb
        .cases
        .iter()
        .map(|c| (c.family.as_str(), c.perturbation.as_str()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    classes.sort_by_key(|(f, p)| (*f == "negative", *p));
    let mut positives_pool: Vec<f64> = Vec::new();
    let (mut all_pos, mut all_found) = (0usize, 0usize);
    for (family, class) in classes {
        let scores: Vec<f64> = ssb
            .cases
            .iter()
            .zip(&ssb_scores)
            .filter(|(c, _)| c.perturbation == class)
            .map(|(_, &s)| s)
            .collect();
        let n = scores.len();
        let rate =
            scores.iter().filter(|&&s| s >= ALERT_THRESHOLD).count() as f64 / n.max(1) as f64;
        let negative = family == "negative";
        if !negative {
            positives_pool.extend(&scores);
            all_pos += n;
            all_found += scores.iter().filter(|&&s| s >= ALERT_THRESHOLD).count();
        }
        let mut peers = Vec::new();
        if let Some(x) = num(&format!(" {class} "), "pass@0.7=") {
            peers.push(format!("logic-v2 {}", pct(x)));
        }
        if let Some(w) = wm_ssb.get(class) {
            let x = w.iter().filter(|&&s| s >= 0.7).count() as f64 / w.len().max(1) as f64;
            peers.push(format!("watchman {}", pct(x)));
        }
        let measure = if negative {
            format!("ssb {family}/{class} (n={n}): source entity alerts (false alert)")
        } else {
            format!("ssb {family}/{class} (n={n}): recall")
        };
        let r = row(measure, pct(rate), peers.join("; "));
        rows.push(if negative {
            r
        } else if class == "homoglyph" {
            r.target("≥ 97 % (Cyrillic look-alikes)", rate >= 0.97)
        } else {
            r.target("≥ 95 %", rate >= 0.95)
        });
    }
    rows.push(row(
        format!("ssb all positive classes (n={all_pos}): recall"),
        pct(all_found as f64 / all_pos.max(1) as f64),
        "",
    ));
    notes.push(
        "ssb: Vigil screens each query against the whole OFAC SDN 2021 list and counts the \
         expected entity when it alerts; the peers' numbers are pair scores (query vs its source \
         name, no retrieval) ≥ 0.7 from the anchor runs, an easier test."
            .into(),
    );

    // --- Cross-script pairs and Putin spellings -----------------------------------------------
    progress("cross-script pairs and Putin spellings");
    let cross_scores: Vec<f64> = cross.iter().map(|(a, b)| score_names(a, b)).collect();
    let cross_rate = cross_scores
        .iter()
        .filter(|&&s| s >= ALERT_THRESHOLD)
        .count() as f64
        / cross.len().max(1) as f64;
    let cross_range = n_nk..n_nk + cross.len();
    let putin_range = n_nk + cross.len()..n_nk + cross.len() + putin.len();
    let rapid_rates = |range: std::ops::Range<usize>| -> String {
        match &rapid {
            Ok(_) => format!(
                "token_sort {}; WRatio {} (at their best-F1 thresholds)",
                opt(pass_rate(&token_sort, range.clone(), ts_t), pct),
                opt(pass_rate(&wratio, range, wr_t), pct)
            ),
            Err(e) => not_run(e),
        }
    };
    rows.push(
        row(
            format!(
                "cross-script pairs (n={}): pair score ≥ threshold",
                cross.len()
            ),
            pct(cross_rate),
            format!("watchman 0 % (issue); {}", rapid_rates(cross_range)),
        )
        .target("≥ 90 %", cross_rate >= 0.90),
    );
    let putin_entries: HashSet<usize> = all
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.names.iter().any(|n| {
                let f = fold(&n.full);
                let toks: Vec<&str> = f.split(' ').collect();
                toks.contains(&"putin") && toks.contains(&"vladimir")
            })
        })
        .map(|(i, _)| i)
        .collect();
    let putin_found = putin
        .iter()
        .filter(|name| {
            all.search(&NameQuery::name(name.as_str()), DEPTH, ALERT_THRESHOLD)
                .iter()
                .any(|h| putin_entries.contains(&h.entry_index))
        })
        .count();
    let putin_rate = putin_found as f64 / putin.len().max(1) as f64;
    rows.push(row(
        format!(
            "{} spellings of Vladimir Putin screened vs all lists: his entry alerts",
            putin.len()
        ),
        pct(putin_rate),
        format!("pair vs \"{PUTIN_FULL}\": {}", rapid_rates(putin_range)),
    ));

    // --- Innocents, recall trade-off, latency and throughput ---------------------------------
    progress("UN perturbed queries vs all lists");
    let un_all: Vec<f64> = parallel(&un_queries, THREADS, |q| {
        let hits = all.search(&NameQuery::name(q.name.clone()), DEPTH, 0.0);
        expected_score(&hits, |h| {
            h.list == crate::ListSource::Un && h.entry_id == q.expected
        })
    })
    .into_iter()
    .map(|(s, _)| s)
    .collect();
    let t99 = threshold_for_recall(&un_all, 0.99);
    positives_pool.extend(&un_all);
    let t99_all = threshold_for_recall(&positives_pool, 0.99);
    let recall_at = |pool: &[f64]| {
        pool.iter().filter(|&&s| s >= ALERT_THRESHOLD).count() as f64 / pool.len().max(1) as f64
    };
    let (recall_un, recall_all) = (recall_at(&un_all), recall_at(&positives_pool));

    progress("100,000 synthetic innocents vs all lists (2 threads)");
    let mut innocents =
        sets::innocents(&d.read("eval/yente_candidate_generation/negatives_global.csv")?)?;
    innocents.extend(sets::innocents(
        &d.read("eval/yente_candidate_generation/negatives_us.csv")?,
    )?);
    let t = Instant::now();
    let runs = parallel(&innocents, THREADS, |i| {
        all.search(&NameQuery::name(i.name.clone()), 1, 0.0)
            .first()
            .map_or(0.0, |h| h.score)
    });
    let wall = t.elapsed().as_secs_f64();
    let n_inn = innocents.len().max(1) as f64;
    let fa = |t: f64| runs.iter().filter(|(s, _)| *s >= t).count() as f64 / n_inn;
    let (fa99, fa99_all, fa_alert) = (fa(t99), fa(t99_all), fa(ALERT_THRESHOLD));
    // Latency: the first LATENCY_SAMPLE innocents again, each timed three times on 2 threads and
    // its fastest run kept, so that other processes on a shared machine do not pass for
    // the engine's tail.
    progress("latency sample (2 threads, best of 3 per query)");
    let sample = &innocents[..innocents.len().min(LATENCY_SAMPLE)];
    let timed = parallel(sample, THREADS, |i| {
        let q = NameQuery::name(i.name.clone());
        (0..3)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(all.search(&q, 1, 0.0));
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    });
    let mut lat: Vec<f64> = timed.iter().map(|(d, _)| d.as_secs_f64() * 1e3).collect();
    lat.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
    let qps = innocents.len() as f64 / wall;

    let wm_neg = (
        num("watchman negatives", "@0.70 global"),
        num("watchman negatives", "/ us"),
    );
    rows.push(
        row(
            format!(
                "false alerts, {} innocents vs all lists, at recall ≥ 99 % of the UN perturbed \
                 queries (threshold {t99:.3})",
                innocents.len()
            ),
            pct(fa99),
            match wm_neg {
                (Some(g), Some(u)) => format!(
                    "watchman {} global / {} US at 0.70, far lower recall (anchor, 2×1,000 names)",
                    pct(g),
                    pct(u)
                ),
                _ => "—".into(),
            },
        )
        .target("≤ 0.5 %", fa99 <= 0.005),
    );
    rows.push(row(
        format!(
            "false alerts of the innocents when recall ≥ 99 % includes the ssb positives \
             ({} positives; threshold {t99_all:.3})",
            positives_pool.len()
        ),
        pct(fa99_all),
        "—",
    ));
    rows.push(row(
        format!(
            "at the alert threshold {ALERT_THRESHOLD:.2}: innocents' false alerts / recall of \
             UN perturbed / of UN + ssb positives"
        ),
        format!(
            "{} / {} / {}",
            pct(fa_alert),
            pct(recall_un),
            pct(recall_all)
        ),
        "—",
    ));
    let curve: Vec<String> = CALIBRATION
        .iter()
        .map(|&t| {
            let r = |pool: &[f64]| {
                pool.iter().filter(|&&s| s >= t).count() as f64 / pool.len().max(1) as f64
            };
            format!(
                "{t:.2}: {} / {} / {}",
                pct(fa(t)),
                pct(r(&un_all)),
                pct(r(&positives_pool))
            )
        })
        .collect();
    rows.push(row(
        "calibration: threshold → innocents' false alerts / recall UN perturbed / recall UN + ssb",
        curve.join("; "),
        "—",
    ));
    notes.push(
        "Recall ≥ 99 %: the innocents are the negatives of the yente candidate-generation \
         benchmark, whose positives are the perturbed UN queries; the threshold is the highest at \
         which 99 % of those queries (screened against all lists) still score their UN entry at \
         or above it. The next row adds the 18,753 ssb positives (screened against OFAC 2021) to \
         the recall pool."
            .into(),
    );
    rows.push(
        row(
            format!(
                "query latency vs all lists ({entries} entries), p50 / p99, {THREADS} threads \
                 busy, best of 3 per query ({LATENCY_SAMPLE} innocents)"
            ),
            format!("{p50:.3} ms / {p99:.3} ms"),
            match (
                num("UN positives (OFAC2021+UN corpus 9,979)", "p50"),
                num("UN positives (OFAC2021+UN corpus 9,979)", "p99"),
            ) {
                (Some(a), Some(b)) => format!("watchman {a} ms / {b} ms (anchor, 9,979 entries)"),
                _ => "—".into(),
            },
        )
        .target("p50 ≤ 1 ms, p99 ≤ 10 ms", p50 <= 1.0 && p99 <= 10.0),
    );
    rows.push(row(
        format!("queries/s on {THREADS} threads (the innocents run)"),
        format!("{qps:.0}"),
        opt(num("throughput 1000 queries", "(1 worker),"), |x| {
            format!("watchman {x} q/s (anchor, 2 workers, 9,979 entries)")
        }),
    ));
    if let Some(load) = sys::load_average() {
        notes.push(format!(
            "Load average at the end of the run: {load} (other processes share the machine; \
             timings are noisy when it exceeds the core count)."
        ));
    }
    Ok(BenchReport {
        machine,
        threshold: ALERT_THRESHOLD,
        rows,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_for_recall_keeps_the_share() {
        let s: Vec<f64> = (1..=100).map(|i| f64::from(i) / 100.0).collect();
        assert_eq!(threshold_for_recall(&s, 0.99), 0.02);
        assert_eq!(threshold_for_recall(&s, 1.0), 0.01);
        assert_eq!(threshold_for_recall(&[], 0.99), 0.0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&s, 0.5), 2.0);
        assert_eq!(percentile(&s, 0.99), 4.0);
    }

    #[test]
    fn parallel_keeps_input_order() {
        let v: Vec<u32> = (0..101).collect();
        let out: Vec<u32> = parallel(&v, 2, |x| x * 2)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(out, v.iter().map(|x| x * 2).collect::<Vec<_>>());
    }

    #[test]
    fn the_report_renders_one_markdown_table() {
        let r = BenchReport {
            machine: Machine {
                cpus: 2,
                cpu_model: "x".into(),
                date: "d".into(),
            },
            threshold: 0.8,
            rows: vec![row("m", "1", "2").target("t", false)],
            notes: vec!["n".into()],
        };
        let s = r.to_string();
        assert!(s.contains("| m | 1 | 2 | t | **no** |"), "{s}");
        assert_eq!(r.unmet().count(), 1);
    }
}
