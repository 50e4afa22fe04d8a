//! The dossier and the letter as PDF: realistic data, the text an inspector reads (extracted with
//! Debian's `pdftotext`), every page rasterised (`pdftoppm`), and markup injection.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod fixture;

use std::path::Path;
use std::process::Command;

use vigil_report::{
    Letter, ReportError, escape, render_dossier, render_dossier_archival, render_letter,
};

/// The text of a PDF, whitespace removed (typst may break a reference at a hyphen).
fn text_of(pdf: &[u8], dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    squeeze(&String::from_utf8_lossy(&out.stdout))
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Rasterises every page at 50 dpi; returns the number of pages.
fn rasterise(pdf: &[u8], dir: &Path, name: &str) -> usize {
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    let prefix = dir.join(format!("{name}-page"));
    let out = Command::new("pdftoppm")
        .args(["-r", "50", "-png"])
        .arg(&path)
        .arg(&prefix)
        .output()
        .expect("pdftoppm (Debian poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "pdftoppm warned: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref().is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{name}-page"))
            })
        })
        .count()
}

#[test]
fn a_realistic_dossier_names_operations_citations_and_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let dossier = fixture::dossier(24);
    let pdf = render_dossier(&dossier).unwrap();
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    // `VIGIL_REPORT_KEEP=FILE.pdf` keeps the dossier to look at.
    if let Ok(keep) = std::env::var("VIGIL_REPORT_KEEP") {
        std::fs::write(keep, &pdf).unwrap();
    }
    let text = text_of(&pdf, dir.path(), "dossier.pdf");
    for op in &dossier.operations {
        assert!(
            text.contains(&squeeze(&op.reference)),
            "{} missing",
            op.reference
        );
    }
    for needle in [
        "Audit chain verified: 412 rows, intact",
        "Regulation (EU) 2021/821 Art. 3(1)",
        "Annex I 5A001.f.2",
        "Recommendation (EU) 2019/1318",
        "Top-level management commitment to compliance",
        "Physical and information security",
        "Export control commitment statement",
        "Dual-use awareness training 2026",
        "Claire Officer",
        "DE-2026-0042",
        "Due-diligence files: not recorded in Vigil",
        "Vigil is a tool, not legal advice",
        "Contents",
        "2031-12-31",
        "GULF TELECOM SERVICES",
        "Operations per month by decision",
    ] {
        assert!(
            text.contains(&squeeze(needle)),
            "{needle:?} missing from the dossier"
        );
    }
    let pages = rasterise(&pdf, dir.path(), "dossier.pdf");
    assert!(pages >= 5, "{pages} pages");
}

#[test]
fn the_dossier_is_pdf_a_2b() {
    let pdf = render_dossier_archival(&fixture::dossier(6)).unwrap();
    let head = String::from_utf8_lossy(&pdf);
    assert!(
        head.contains("pdfaid:part") || head.contains("pdfaid"),
        "no PDF/A identification"
    );
}

#[test]
fn a_broken_chain_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut dossier = fixture::dossier(2);
    dossier.audit.chain = vigil_report::ChainStatus::Broken {
        seq: 17,
        reason: "its content does not match its hash (it was edited)".into(),
    };
    let text = text_of(&render_dossier(&dossier).unwrap(), dir.path(), "broken.pdf");
    assert!(text.contains(&squeeze(
        "Audit chain BROKEN at row 17: its content does not match its hash"
    )));
}

#[test]
fn markup_in_names_cannot_inject_markup() {
    let dir = tempfile::tempdir().unwrap();
    let evil = [
        "#set page(fill: red) ]",
        "*bold* _emph_ `raw` $x^2$ <label> @ref",
        "= Heading\n- list\n+ enum // comment /* block",
        "#include \"/etc/passwd\" #read(\"/etc/passwd\")",
        "\\ backslash [ ] { } ~ -- ... 'quoted' \"double\"",
    ];
    let mut dossier = fixture::dossier(3);
    dossier.organisation = evil[0].into();
    for (i, op) in dossier.operations.iter_mut().enumerate() {
        op.reference = evil[i + 1].into();
        op.parties[0].name = evil[4].into();
    }
    dossier.icp[0].title = evil[3].into();
    dossier.icp[0].details = evil[2].into();
    let pdf = render_dossier(&dossier).unwrap();
    let text = text_of(&pdf, dir.path(), "evil.pdf");
    for e in evil {
        // The literal text is there, so it was neither evaluated nor interpreted as markup.
        let want = squeeze(e);
        assert!(text.contains(&want), "{e:?} not printed literally");
    }
    // And the escaped text never starts a call, comment or content block.
    for e in evil {
        let escaped = escape(e);
        assert!(!escaped.contains(" #") && !escaped.starts_with('#') || escaped.contains("\\#"));
        assert!(!escaped.contains("//"));
    }
}

#[test]
fn a_name_in_a_script_no_font_has_still_renders() {
    let mut dossier = fixture::dossier(2);
    dossier.operations[0].parties[0].name = "深圳市某某科技有限公司".into();
    let pdf = render_dossier(&dossier).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
}

#[test]
fn a_period_ending_before_it_starts_is_refused() {
    let mut dossier = fixture::dossier(1);
    std::mem::swap(&mut dossier.from, &mut dossier.to);
    assert!(matches!(
        render_dossier(&dossier),
        Err(ReportError::Invalid(_))
    ));
}

#[test]
fn the_notification_letter() {
    let dir = tempfile::tempdir().unwrap();
    let letter = Letter {
        sender: vec!["Acme Surveillance Technologies SAS".into(), "1 rue de la Paix".into(), "75002 Paris".into()],
        addressee: vec![
            "Service des biens à double usage (SBDU)".into(),
            "67 rue Barbès".into(),
            "94200 Ivry-sur-Seine".into(),
        ],
        place_date: "Paris, 26 November 2026".into(),
        reference: "EXP-2026-0007".into(),
        subject: "Notification under Article 5(2) of Regulation (EU) 2021/821".into(),
        salutation: "Dear Sir or Madam,".into(),
        paragraphs: vec![
            "We are aware, within the meaning of Article 5(2), that the non-listed cyber-surveillance items described below may be intended for use in connection with internal repression.".into(),
            "We will not export them until you have decided.".into(),
        ],
        closing: "Yours faithfully,".into(),
        signatory: "Claire Officer".into(),
        signatory_role: "Head of trade compliance".into(),
    };
    let pdf = render_letter(&letter).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = text_of(&pdf, dir.path(), "letter.pdf");
    assert!(text.contains(&squeeze(
        "Notification under Article 5(2) of Regulation (EU) 2021/821"
    )));
    assert!(text.contains(&squeeze("Service des biens à double usage (SBDU)")));
    assert!(text.contains("ClaireOfficer"));
    assert_eq!(rasterise(&pdf, dir.path(), "letter.pdf"), 1);
    assert!(matches!(
        render_letter(&Letter::default()),
        Err(ReportError::Invalid(_))
    ));
}
