//! Property tests: normalisation, self-match and order stability.

use proptest::prelude::*;
use vigil_screening::entry::{EntityKind, ListEntry, ListSource, LoadedList, NameQuality};
use vigil_screening::normalise::fold;
use vigil_screening::score::{MAX_ORDER_EFFECT, score_names};
use vigil_screening::{Index, NameQuery};

fn name_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-zÀ-ÿА-Яа-я]{2,10}", 1..5).prop_map(|t| t.join(" "))
}

fn index_of(names: &[String]) -> Index {
    let entries = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut e = ListEntry::new(ListSource::Csv, format!("E{i}"), EntityKind::Person);
            e.push_name(n, NameQuality::Primary);
            e
        })
        .collect();
    Index::build([LoadedList::new(ListSource::Csv, b"", None, None, entries)])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fold_is_idempotent(s in "\\PC{0,40}") {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn a_name_matches_itself_at_the_top_with_score_one(names in prop::collection::vec(name_strategy(), 1..20), pick in any::<prop::sample::Index>()) {
        let idx = index_of(&names);
        let i = pick.index(names.len());
        prop_assume!(!fold(&names[i]).is_empty());
        let hits = idx.search(&NameQuery::name(names[i].clone()), 3, 0.0);
        prop_assert!(!hits.is_empty());
        prop_assert_eq!(hits[0].score, 1.0);
        // Another listed name may be identical after normalisation; then it ties at 1.0.
        let top_name = &idx.entries()[hits[0].entry_index].names[0].full;
        prop_assert_eq!(fold(top_name), fold(&names[i]));
    }

    #[test]
    fn token_order_changes_the_score_by_at_most_the_documented_amount(
        tokens in prop::collection::vec("[a-z]{2,9}", 2..5),
        listed in name_strategy(),
        seed in any::<u64>(),
    ) {
        let query = tokens.join(" ");
        let mut shuffled = tokens.clone();
        let n = shuffled.len();
        shuffled.swap((seed % n as u64) as usize, ((seed / 7) % n as u64) as usize);
        shuffled.rotate_left((seed % 3) as usize % n);
        let a = score_names(&query, &listed);
        let b = score_names(&shuffled.join(" "), &listed);
        prop_assert!((a - b).abs() <= MAX_ORDER_EFFECT + 1e-9, "{} vs {}: {} / {}", query, shuffled.join(" "), a, b);
        let c = score_names(&query, &query);
        let d = score_names(&shuffled.join(" "), &query);
        prop_assert!((c - d).abs() <= MAX_ORDER_EFFECT + 1e-9);
    }

    #[test]
    fn scores_stay_within_zero_and_one(a in "\\PC{0,30}", b in "\\PC{0,30}") {
        let s = score_names(&a, &b);
        prop_assert!((0.0..=1.0).contains(&s));
    }

    #[test]
    fn loaders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        use vigil_screening::loaders::*;
        let _ = un::parse(&bytes);
        let _ = eu::parse_xml(&bytes);
        let _ = eu::parse_csv(&bytes);
        let _ = ofac::parse_xml(&bytes);
        let _ = ofac::parse_sdn_csv(ofac::SdnCsvFiles { sdn: &bytes, alt: Some(&bytes), add: Some(&bytes), comments: Some(&bytes) });
        let _ = uk::parse(&bytes);
        let _ = bis::parse(&bytes);
        let _ = ftm::parse(&bytes);
        let _ = csv::parse(&bytes, &csv::ColumnMapping::name_only("Name"));
    }
}
