//! Speed of the scorer and of whole queries against the full UN + EU + OFAC lists.
//!
//! Run: `CARGO_TARGET_DIR=/work/target-screening cargo bench -p vigil-screening --bench screening`
//! Needs `../shared/data` next to the repository (the same files the loader tests read).
//! Lists indexed: UN XML, OFAC consolidated XML, OFAC SDN CSV set (2021), EU names export (mapped
//! CSV; the full FSF XML is not in the shared data).

// Setup code outside the measured closures may unwrap: a missing file should stop the bench.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::LazyLock;

use divan::{Bencher, black_box};
use vigil_screening::loaders::csv::ColumnMapping;
use vigil_screening::loaders::{csv, ofac, un};
use vigil_screening::score::{PreparedName, compare};
use vigil_screening::{Index, LoadedList, NameQuery};

fn main() {
    divan::main();
}

fn data(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn all_lists() -> Vec<LoadedList> {
    let sdn = data("sanctions/ofac_sdn_csv_2021-07/sdn.csv");
    let alt = data("sanctions/ofac_sdn_csv_2021-07/alt.csv");
    let mut eu_mapping = ColumnMapping::name_only("Name");
    eu_mapping.aliases = Some("Alias".into());
    eu_mapping.alias_separator = ", ".into();
    vec![
        un::parse(&data("sanctions/un_sc_consolidated_2026-02-27.xml")).unwrap(),
        ofac::parse_xml(&data("sanctions/ofac_consolidated_nonsdn_2026-01-08.xml")).unwrap(),
        ofac::parse_sdn_csv(ofac::SdnCsvFiles {
            sdn: &sdn,
            alt: Some(&alt),
            add: None,
            comments: None,
        })
        .unwrap(),
        csv::parse(&data("sanctions/eu_fsf_names_2025.csv"), &eu_mapping).unwrap(),
    ]
}

static INDEX: LazyLock<Index> = LazyLock::new(|| Index::build(all_lists()));

/// The perturbed UN queries (name column only), as realistic query text.
static QUERIES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let bytes = data("eval/un_positives_labeled_2026-02-27.csv");
    let mut r = ::csv::Reader::from_reader(bytes.as_slice());
    r.records()
        .filter_map(Result::ok)
        .filter_map(|r| r.get(0).map(str::to_owned))
        .collect()
});

#[divan::bench]
fn score_one_pair(bencher: Bencher) {
    let q = PreparedName::new("Abdul Rahman Hussein al-Tikriti");
    let l = PreparedName::new("HUSSEIN AL TIKRITI, Abd al-Rahman");
    bencher.bench(|| compare(black_box(&q), black_box(&l)).score);
}

#[divan::bench]
fn normalise_and_score_one_pair(bencher: Bencher) {
    bencher.bench(|| {
        let q = PreparedName::new(black_box("Abdul Rahman Hussein al-Tikriti"));
        let l = PreparedName::new(black_box("HUSSEIN AL TIKRITI, Abd al-Rahman"));
        compare(&q, &l).score
    });
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn build_index_un_eu_ofac() -> usize {
    Index::build(all_lists()).name_count()
}

#[divan::bench(sample_count = 2000)]
fn query_all_lists(bencher: Bencher) {
    let index = &*INDEX;
    let queries = &*QUERIES;
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % queries.len();
        index
            .search(&NameQuery::name(queries[i].as_str()), 10, 0.5)
            .len()
    });
}
