//! Quality on the labelled evaluation sets (numbers, never timings). The floors are set just
//! below today's measured values so that a regression fails the build; the full table is printed
//! by `cargo test -p vigil-screening --test screening eval -- --nocapture`.

use vigil_screening::eval::{Scored, best_f1, prf, read_name_bench_cases, roc_auc};
use vigil_screening::score::{ALERT_THRESHOLD, score_names};

use crate::data;

#[test]
fn nomenklatura_826_pairs_auc_and_f1() {
    let pairs = read_name_bench_cases(&data("eval/nomenklatura/name_bench_cases.csv")).unwrap();
    assert_eq!(pairs.len(), 826);
    let scored: Vec<Scored> = pairs
        .iter()
        .map(|p| Scored {
            score: score_names(&p.query, &p.candidate),
            is_match: p.is_match,
        })
        .collect();
    let auc = roc_auc(&scored).unwrap();
    let at = prf(&scored, ALERT_THRESHOLD);
    let best = best_f1(&scored).unwrap();
    println!(
        "nomenklatura 826 pairs: ROC-AUC {auc:.3}; at {ALERT_THRESHOLD}: P {:.3} R {:.3} F1 {:.3}; best F1 {:.3} at {:.3}",
        at.precision, at.recall, at.f1, best.f1, best.threshold
    );
    assert!(auc >= FLOOR_AUC, "ROC-AUC {auc}");
}

/// Measured 0.882 (2026-11-25, after the bench-driven changes; 0.845 before), 0.903 on the dev
/// half and 0.866 on the held-out half (see `vigil_screening::bench::held_out`); the issue's
/// target is 0.88, logic-v2 scores 0.862 on its 812 rows.
const FLOOR_AUC: f64 = 0.875;

#[test]
#[ignore = "diagnostic listing"]
fn print_worst_pairs() {
    let pairs = read_name_bench_cases(&data("eval/nomenklatura/name_bench_cases.csv")).unwrap();
    let mut v: Vec<(f64, &vigil_screening::eval::LabelledPair)> = pairs
        .iter()
        .map(|p| (score_names(&p.query, &p.candidate), p))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (s, p) in v.iter().filter(|x| x.1.is_match).take(40) {
        println!("FN {s:.3} {} | {} | {}", p.group, p.query, p.candidate);
    }
    for (s, p) in v.iter().rev().filter(|x| !x.1.is_match).take(40) {
        println!("FP {s:.3} {} | {} | {}", p.group, p.query, p.candidate);
    }
}

/// Recall@1 of the 677 perturbed UN queries against the UN list (name only, and name + date of
/// birth). Slow in debug builds (a few seconds), so run on demand:
/// `cargo test -p vigil-screening --test screening un_perturbed -- --ignored --nocapture`.
#[test]
#[ignore = "measurement, prints recall@1"]
fn un_perturbed_queries_recall_at_1() {
    use vigil_screening::loaders::un;
    use vigil_screening::{BirthDate, Index, NameQuery};
    let index =
        Index::build([un::parse(&data("sanctions/un_sc_consolidated_2026-02-27.xml")).unwrap()]);
    let bytes = data("eval/un_positives_labeled_2026-02-27.csv");
    let mut reader = ::csv::Reader::from_reader(bytes.as_slice());
    let (mut n, mut hit_name, mut hit_dob, mut alert) = (0, 0, 0, 0);
    for rec in reader.records() {
        let rec = rec.unwrap();
        let (name, dob, expected) = (&rec[0], &rec[1], &rec[9]);
        n += 1;
        let mut q = NameQuery::name(name);
        let top = index.search(&q, 1, 0.0);
        if top.first().is_some_and(|h| h.entry_id == expected) {
            hit_name += 1;
            if top[0].alert {
                alert += 1;
            }
        } else {
            println!(
                "miss: {name} -> {:?} (expected {expected})",
                top.first().map(|h| (&h.name, h.score))
            );
        }
        q.dob = BirthDate::parse(dob);
        if index
            .search(&q, 1, 0.0)
            .first()
            .is_some_and(|h| h.entry_id == expected)
        {
            hit_dob += 1;
        }
    }
    println!(
        "UN perturbed queries n={n}: recall@1 name {:.4}, name+dob {:.4}; top-1 correct and alerting {:.4}",
        f64::from(hit_name) / f64::from(n),
        f64::from(hit_dob) / f64::from(n),
        f64::from(alert) / f64::from(n)
    );
}
