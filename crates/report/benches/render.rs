//! Time to render a dossier of 100 operations (`cargo bench -p vigil-report`).

#[path = "../tests/fixture/mod.rs"]
mod fixture;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5)]
fn dossier_100_operations(bencher: divan::Bencher) {
    let d = fixture::dossier(100);
    bencher.bench(|| vigil_report::render_dossier(divan::black_box(&d)));
}

#[divan::bench(sample_count = 5)]
fn letter(bencher: divan::Bencher) {
    let l = vigil_report::Letter {
        subject: "Notification under Art. 5(2)".into(),
        paragraphs: vec![
            "We are aware that the items may be intended for a use referred to in Art. 5(1)."
                .into(),
        ],
        ..Default::default()
    };
    bencher.bench(|| vigil_report::render_letter(divan::black_box(&l)));
}
