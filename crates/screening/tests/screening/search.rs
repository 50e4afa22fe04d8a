//! Screening against the real UN list.

use std::sync::LazyLock;

use vigil_screening::loaders::un;
use vigil_screening::score::ALERT_THRESHOLD;
use vigil_screening::{BirthDate, Index, MatchKind, NameQuery};

use crate::data;

static UN: LazyLock<Index> = LazyLock::new(|| {
    Index::build([un::parse(&data("sanctions/un_sc_consolidated_2026-02-27.xml")).unwrap()])
});

fn top(q: &NameQuery) -> Option<(String, f64)> {
    UN.search(q, 5, 0.0)
        .into_iter()
        .next()
        .map(|h| (h.entry_id, h.score))
}

#[test]
fn listed_primary_name_is_found_with_score_one() {
    assert_eq!(
        top(&NameQuery::name("ERIC BADEGE")),
        Some(("CDi.001".into(), 1.0))
    );
}

#[test]
fn misspelt_reordered_name_is_found_above_threshold() {
    let (id, score) = top(&NameQuery::name("Badegge Erik")).unwrap();
    assert_eq!(id, "CDi.001");
    assert!(score >= ALERT_THRESHOLD, "{score}");
}

#[test]
fn arabic_original_script_alias_matches_the_arabic_query() {
    let hits = UN.search(&NameQuery::name("صدام حسين التكريتي"), 3, 0.0);
    assert!(!hits.is_empty());
    assert!(hits[0].score > 0.95, "{:?}", hits[0]);
}

#[test]
fn explanation_names_alias_tokens_and_adjustments() {
    let mut q = NameQuery::name("Erik Badege");
    q.dob = Some(BirthDate::year(1971));
    let hit = UN.search(&q, 1, 0.0).into_iter().next().unwrap();
    let why = hit.explanation.to_string();
    assert_eq!(hit.explanation.matched_alias, "ERIC BADEGE");
    assert!(
        hit.explanation
            .tokens
            .iter()
            .any(|t| matches!(t.kind, MatchKind::Typo | MatchKind::Variant) && t.query == "erik")
    );
    assert!(
        why.contains("date of birth 1971 same year as listed 1971"),
        "{why}"
    );
}

#[test]
fn innocent_common_name_does_not_alert() {
    let hits = UN.search(&NameQuery::name("Jennifer Lopez"), 5, ALERT_THRESHOLD);
    assert!(hits.is_empty(), "{hits:?}");
}
