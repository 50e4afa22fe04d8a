//! Quality measures on labelled evaluation sets: ROC-AUC, precision / recall / F1 at a threshold,
//! recall@1, and readers for the evaluation files in `shared/data/eval` (see its README).
//!
//! Pure functions over scores and bytes, so that `vigil bench screening` (and the tests) can print
//! the same table from the same code.

use crate::error::LoadError;

/// One scored, labelled example.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The score given by a matcher.
    pub score: f64,
    /// Whether the pair truly matches.
    pub is_match: bool,
}

/// Area under the ROC curve (Mann-Whitney U; ties count one half). `None` without both classes.
pub fn roc_auc(examples: &[Scored]) -> Option<f64> {
    let mut sorted: Vec<&Scored> = examples.iter().collect();
    sorted.sort_by(|a, b| a.score.total_cmp(&b.score));
    let positives = examples.iter().filter(|e| e.is_match).count();
    let negatives = examples.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Sum of positive ranks, with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].score == sorted[i].score {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += avg_rank * sorted[i..=j].iter().filter(|e| e.is_match).count() as f64;
        i = j + 1;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Confusion counts and derived measures at one threshold (`score >= threshold` predicts a match).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prf {
    /// The threshold.
    pub threshold: f64,
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
    /// True negatives.
    pub tn: usize,
    /// tp / (tp + fp), 0 when nothing is predicted.
    pub precision: f64,
    /// tp / (tp + fn), 0 without positives.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Precision, recall and F1 at `threshold`.
pub fn prf(examples: &[Scored], threshold: f64) -> Prf {
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    for e in examples {
        match (e.score >= threshold, e.is_match) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    let ratio = |a: usize, b: usize| {
        if a + b == 0 {
            0.0
        } else {
            a as f64 / (a + b) as f64
        }
    };
    let (precision, recall) = (ratio(tp, fp), ratio(tp, fn_));
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Prf {
        threshold,
        tp,
        fp,
        fn_,
        tn,
        precision,
        recall,
        f1,
    }
}

/// The threshold (among the observed scores) with the best F1.
pub fn best_f1(examples: &[Scored]) -> Option<Prf> {
    let mut thresholds: Vec<f64> = examples.iter().map(|e| e.score).collect();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    thresholds
        .into_iter()
        .map(|t| prf(examples, t))
        .max_by(|a, b| a.f1.total_cmp(&b.f1))
}

/// A labelled name pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledPair {
    /// Free-text group or category of the case.
    pub group: String,
    /// The query name.
    pub query: String,
    /// The candidate name.
    pub candidate: String,
    /// Whether they designate the same party.
    pub is_match: bool,
}

/// Reads the nomenklatura `name_bench_cases.csv` (columns `case_group, schema, name1, name2,
/// is_match, ...`).
pub fn read_name_bench_cases(bytes: &[u8]) -> Result<Vec<LabelledPair>, LoadError> {
    const FORMAT: &str = "nomenklatura name bench CSV";
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|source| LoadError::Csv {
            format: FORMAT,
            line: 1,
            source,
        })?
        .clone();
    let col = |n: &'static str| {
        headers
            .iter()
            .position(|h| h == n)
            .ok_or_else(|| LoadError::WrongFormat {
                format: FORMAT,
                message: format!("no {n} column"),
            })
    };
    let (g, a, b, m) = (
        col("case_group")?,
        col("name1")?,
        col("name2")?,
        col("is_match")?,
    );
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|source| LoadError::Csv {
            format: FORMAT,
            line: i as u64 + 2,
            source,
        })?;
        let field = |c: usize| rec.get(c).unwrap_or("").to_owned();
        out.push(LabelledPair {
            group: field(g),
            query: field(a),
            candidate: field(b),
            is_match: field(m).eq_ignore_ascii_case("true"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(score: f64, is_match: bool) -> Scored {
        Scored { score, is_match }
    }

    #[test]
    fn auc_is_one_for_perfect_separation_and_half_for_ties() {
        assert_eq!(roc_auc(&[s(0.9, true), s(0.1, false)]), Some(1.0));
        assert_eq!(roc_auc(&[s(0.5, true), s(0.5, false)]), Some(0.5));
        assert_eq!(roc_auc(&[s(0.1, true), s(0.9, false)]), Some(0.0));
        assert_eq!(roc_auc(&[s(0.1, true)]), None);
    }

    #[test]
    fn prf_counts_at_the_threshold() {
        let ex = [s(0.9, true), s(0.8, false), s(0.3, true), s(0.1, false)];
        let p = prf(&ex, 0.5);
        assert_eq!((p.tp, p.fp, p.fn_, p.tn), (1, 1, 1, 1));
        assert!((p.f1 - 0.5).abs() < 1e-12);
        assert_eq!(best_f1(&ex).map(|p| p.threshold), Some(0.3));
    }

    #[test]
    fn name_bench_csv_is_read() {
        let csv = "case_group,schema,name1,name2,is_match,quality\ng,Person,A B,A C,true,STRONG\ng,Person,X,Y,false,\n";
        let pairs = read_name_bench_cases(csv.as_bytes()).unwrap();
        assert_eq!(pairs.len(), 2);
        assert!(pairs[0].is_match && !pairs[1].is_match);
    }
}
