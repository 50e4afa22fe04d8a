//! Name vocabularies, read from the data files embedded in the crate.
//!
//! - `data/honorifics.txt`, `data/particles.txt`, `data/stopwords.txt`: one folded word per line;
//! - `data/legal_forms.txt`, `data/romanisations.txt`: `canonical = variant, variant, ...`.
//!
//! Lines starting with `#` are comments. The files are parsed once, on first use.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::normalise::fold;

/// The parsed vocabularies.
#[derive(Debug)]
pub(crate) struct Vocab {
    pub honorifics: HashSet<String>,
    pub particles: HashSet<String>,
    pub stopwords: HashSet<String>,
    /// Folded phrase → canonical legal form.
    pub legal_forms: HashMap<String, String>,
    /// Folded phrase → canonical romanisation.
    pub romanisations: HashMap<String, String>,
    /// Longest phrase (in tokens) in either map.
    pub max_phrase: usize,
    /// Folded number word → its value (`data/numbers.txt`).
    pub numbers: HashMap<String, u64>,
}

pub(crate) static VOCAB: LazyLock<Vocab> = LazyLock::new(|| {
    let (legal_forms, l1) = equivalences(include_str!("../data/legal_forms.txt"));
    let (romanisations, l2) = equivalences(include_str!("../data/romanisations.txt"));
    Vocab {
        honorifics: words(include_str!("../data/honorifics.txt")),
        particles: words(include_str!("../data/particles.txt")),
        stopwords: words(include_str!("../data/stopwords.txt")),
        legal_forms,
        romanisations,
        max_phrase: l1.max(l2).max(1),
        numbers: numbers(include_str!("../data/numbers.txt")),
    }
});

fn content_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn numbers(text: &str) -> HashMap<String, u64> {
    let mut map = HashMap::new();
    for line in content_lines(text) {
        let Some((value, words)) = line.split_once('=') else {
            continue;
        };
        let Ok(value) = value.trim().parse::<u64>() else {
            continue;
        };
        for w in words.split(',').map(fold).filter(|w| !w.is_empty()) {
            map.insert(w, value);
        }
    }
    map
}

fn words(text: &str) -> HashSet<String> {
    content_lines(text)
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Parses `canonical = variant, variant` lines into variant → canonical (the canonical maps to
/// itself too). Returns the map and the longest phrase length in tokens.
fn equivalences(text: &str) -> (HashMap<String, String>, usize) {
    let mut map = HashMap::new();
    let mut longest = 1;
    for line in content_lines(text) {
        let Some((canonical, variants)) = line.split_once('=') else {
            continue;
        };
        let canonical = fold(canonical).replace(' ', "");
        if canonical.is_empty() {
            continue;
        }
        for v in variants.split(',').map(fold).chain([canonical.clone()]) {
            if v.is_empty() {
                continue;
            }
            longest = longest.max(v.split(' ').count());
            map.entry(v).or_insert_with(|| canonical.clone());
        }
    }
    (map, longest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_line_parses() {
        for text in [
            include_str!("../data/legal_forms.txt"),
            include_str!("../data/romanisations.txt"),
        ] {
            for line in content_lines(text) {
                let (c, v) = line
                    .split_once('=')
                    .unwrap_or_else(|| panic!("no '=' in {line}"));
                assert!(
                    !fold(c).is_empty() && !fold(v).is_empty(),
                    "empty side in {line}"
                );
            }
        }
        assert!(VOCAB.honorifics.contains("sheikh"));
        assert!(VOCAB.particles.contains("al"));
        assert_eq!(
            VOCAB.legal_forms.get("ooo").map(String::as_str),
            Some("llc")
        );
        assert_eq!(
            VOCAB.romanisations.get("mohammed").map(String::as_str),
            Some("muhammad")
        );
        assert_eq!(
            VOCAB.romanisations.get("abd al").map(String::as_str),
            Some("abdul")
        );
        assert!(VOCAB.max_phrase >= 4);
    }

    #[test]
    fn a_variant_is_never_given_two_canonicals() {
        let mut seen: HashMap<String, String> = HashMap::new();
        for text in [
            include_str!("../data/legal_forms.txt"),
            include_str!("../data/romanisations.txt"),
        ] {
            for line in content_lines(text) {
                let Some((c, vs)) = line.split_once('=') else {
                    continue;
                };
                for v in vs.split(',').map(fold) {
                    if let Some(prev) = seen.insert(v.clone(), fold(c)) {
                        assert_eq!(prev, fold(c), "{v} listed under {prev} and {c}");
                    }
                }
            }
        }
    }
}
