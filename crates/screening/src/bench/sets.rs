//! Readers for the evaluation files of `shared/data/eval` and the anchor runs beside them.
//!
//! Each reader takes bytes (the bench does the IO) and returns plain rows.

use std::collections::HashMap;

use serde::Deserialize;

use super::BenchError;

fn csv_reader(bytes: &[u8], comments: bool) -> csv::Reader<&[u8]> {
    let mut b = csv::ReaderBuilder::new();
    b.flexible(true);
    if comments {
        b.comment(Some(b'#'));
    }
    b.from_reader(bytes)
}

/// Rows of a CSV file as maps column → value.
pub(crate) fn csv_rows(
    what: &str,
    bytes: &[u8],
    comments: bool,
) -> Result<Vec<HashMap<String, String>>, BenchError> {
    let mut r = csv_reader(bytes, comments);
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| BenchError::format(what, e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| BenchError::format(what, e))?;
        out.push(
            headers
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect(),
        );
    }
    Ok(out)
}

/// One perturbed UN query with its expected UN reference number.
#[derive(Debug, Clone)]
pub(crate) struct UnQuery {
    pub name: String,
    pub dob: String,
    pub expected: String,
}

pub(crate) fn un_queries(bytes: &[u8]) -> Result<Vec<UnQuery>, BenchError> {
    Ok(csv_rows("UN positives CSV", bytes, false)?
        .into_iter()
        .map(|mut r| UnQuery {
            name: r.remove("query_name").unwrap_or_default(),
            dob: r.remove("query_date_of_birth").unwrap_or_default(),
            expected: r.remove("expected_un_reference").unwrap_or_default(),
        })
        .collect())
}

/// The ssb file: cases and the source entities' names.
#[derive(Debug, Deserialize)]
pub(crate) struct Ssb {
    pub candidates: HashMap<String, Vec<String>>,
    pub cases: Vec<SsbCase>,
}

/// One ssb case.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SsbCase {
    pub query: String,
    pub expected_entity_id: Option<String>,
    pub perturbation: String,
    pub family: String,
    pub source_name: String,
}

pub(crate) fn ssb(bytes: &[u8]) -> Result<Ssb, BenchError> {
    serde_json::from_slice(bytes).map_err(|e| BenchError::format("ssb JSON", e))
}

/// A cross-script pair: query, expected Latin name.
pub(crate) fn cross_script(bytes: &[u8]) -> Result<Vec<(String, String)>, BenchError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| BenchError::format("cross-script CSV", e))?;
        if let (Some(q), Some(e)) = (rec.get(0), rec.get(1))
            && !q.trim().is_empty()
        {
            out.push((q.trim().to_owned(), e.trim().to_owned()));
        }
    }
    Ok(out)
}

/// Non-empty lines.
pub(crate) fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An innocent party: name, date of birth, nationality.
#[derive(Debug, Clone)]
pub(crate) struct Innocent {
    pub name: String,
}

pub(crate) fn innocents(bytes: &[u8]) -> Result<Vec<Innocent>, BenchError> {
    Ok(csv_rows("yente negatives CSV", bytes, false)?
        .into_iter()
        .map(|mut r| Innocent {
            name: r.remove("full_name").unwrap_or_default(),
        })
        .filter(|i| !i.name.trim().is_empty())
        .collect())
}

/// A labelled pair with an anchor score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnchorScore {
    pub score: f64,
    pub is_match: bool,
}

/// Rows of an anchor CSV with an `is_match` column and a score column.
pub(crate) fn anchor_scores(
    what: &str,
    bytes: &[u8],
    score_col: &str,
) -> Result<Vec<AnchorScore>, BenchError> {
    Ok(csv_rows(what, bytes, false)?
        .into_iter()
        .filter_map(|r| {
            let score = r.get(score_col)?.parse().ok()?;
            let is_match = r.get("is_match")?.eq_ignore_ascii_case("true");
            Some(AnchorScore { score, is_match })
        })
        .collect())
}

/// The first number after `marker` on the first line of `text` containing both `line_has` and
/// `marker`.
pub(crate) fn number_after(text: &str, line_has: &str, marker: &str) -> Option<f64> {
    text.lines().filter(|l| l.contains(line_has)).find_map(|l| {
        let rest = &l[l.find(marker)? + marker.len()..];
        let num: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        num.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_found_after_markers() {
        let t =
            "a b\nUN positives (UN corpus 1,003): name R@1 0.994, name+dob R@1 0.996; p50 18 ms\n";
        assert_eq!(number_after(t, "UN corpus 1,003", "name R@1"), Some(0.994));
        assert_eq!(number_after(t, "UN corpus 1,003", "p50"), Some(18.0));
        assert_eq!(number_after(t, "nothing", "p50"), None);
    }

    #[test]
    fn cross_script_pairs_skip_comments() {
        let t = "# c\n\nВладимир Путин,Vladimir Putin,0.95,x\n";
        assert_eq!(
            cross_script(t.as_bytes()).ok(),
            Some(vec![("Владимир Путин".into(), "Vladimir Putin".into())])
        );
    }
}
