//! Vigil's documents as PDF: the inspection dossier of an organisation for a period, arranged by
//! the seven elements of an internal compliance programme (Recommendation (EU) 2019/1318), and
//! the Art. 5(2) notification letter. Pure rendering: the callers gather the data.
//!
//! **How**: the model ([`Dossier`], [`Letter`]) is turned into typst markup (every user text goes
//! through [`escape`], so a name cannot inject markup), which typst — used as a library, with a
//! minimal in-memory [`typst::World`]: one main source, the fonts bundled by `typst-assets`, no
//! file access, no packages — lays out, and `typst-pdf` writes as **PDF/A-2b**.
//!
//! **PDF/A-2b**: asked of `typst-pdf` through its `PdfStandards`. Its validator refuses a
//! document that uses a character no embedded font has (e.g. a party name in Chinese or Arabic
//! script: the bundled Libertinus Serif covers Latin, Greek and Cyrillic); [`render_dossier`] and
//! [`render_letter`] then fall back to a plain PDF 1.7 with the same content, so that a dossier is
//! never withheld for a glyph. [`render_dossier_archival`] returns the error instead.
//!
//! **What it must never do**: read files or the network, or decide anything.

mod charts;
mod markup;
mod model;
mod world;

pub use markup::{dossier_markup, escape, escape_str, letter_markup};
pub use model::*;

use thiserror::Error;
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

/// Errors of rendering.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The model cannot be rendered (e.g. a period that ends before it starts).
    #[error("invalid document: {0}")]
    Invalid(String),
    /// Typst refused the generated markup (a bug of this crate: the markup is generated).
    #[error("typst could not lay out the document: {0}")]
    Layout(String),
    /// The PDF could not be written (with PDF/A-2b: the validator's reasons).
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// Which PDF to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conformance {
    /// PDF/A-2b, or an error.
    Archival,
    /// PDF/A-2b when it validates, else a plain PDF.
    ArchivalOrPlain,
}

/// Renders the inspection dossier as PDF (PDF/A-2b when it validates, see the crate docs).
///
/// # Errors
/// [`ReportError::Invalid`] for a period that ends before it starts; [`ReportError::Layout`] or
/// [`ReportError::Pdf`] if typst fails.
pub fn render_dossier(dossier: &Dossier) -> Result<Vec<u8>, ReportError> {
    render_dossier_as(dossier, Conformance::ArchivalOrPlain)
}

/// Renders the inspection dossier as PDF/A-2b, or fails with the validator's reasons.
///
/// # Errors
/// As [`render_dossier`], and [`ReportError::Pdf`] when the document cannot be PDF/A-2b.
pub fn render_dossier_archival(dossier: &Dossier) -> Result<Vec<u8>, ReportError> {
    render_dossier_as(dossier, Conformance::Archival)
}

fn render_dossier_as(dossier: &Dossier, conformance: Conformance) -> Result<Vec<u8>, ReportError> {
    if dossier.to < dossier.from {
        return Err(ReportError::Invalid(format!(
            "the period ends ({}) before it starts ({})",
            dossier.to, dossier.from
        )));
    }
    let markup = dossier_markup(dossier);
    compile(
        &markup,
        dossier.generated_at,
        &format!("vigil-dossier-{}-{}", dossier.organisation, dossier.to),
        conformance,
    )
}

/// Renders the Art. 5(2) notification letter as PDF (PDF/A-2b when it validates).
///
/// # Errors
/// [`ReportError::Invalid`] for a letter without subject or body; [`ReportError::Layout`] or
/// [`ReportError::Pdf`] if typst fails.
pub fn render_letter(letter: &Letter) -> Result<Vec<u8>, ReportError> {
    if letter.subject.trim().is_empty() {
        return Err(ReportError::Invalid("the letter has no subject".to_owned()));
    }
    if letter.paragraphs.iter().all(|p| p.trim().is_empty()) {
        return Err(ReportError::Invalid("the letter has no body".to_owned()));
    }
    let markup = letter_markup(letter);
    compile(
        &markup,
        time::OffsetDateTime::now_utc(),
        &format!("vigil-letter-{}", letter.subject),
        Conformance::ArchivalOrPlain,
    )
}

/// Lays out `markup` and writes the PDF.
///
/// typst memoises (comemo) in a process-wide cache: a server rendering many different dossiers
/// would grow it without bound, so it is emptied after each document.
fn compile(
    markup: &str,
    at: time::OffsetDateTime,
    ident: &str,
    conformance: Conformance,
) -> Result<Vec<u8>, ReportError> {
    let pdf = compile_uncached(markup, at, ident, conformance);
    typst::comemo::evict(0);
    pdf
}

fn compile_uncached(
    markup: &str,
    at: time::OffsetDateTime,
    ident: &str,
    conformance: Conformance,
) -> Result<Vec<u8>, ReportError> {
    let at = at.to_offset(time::UtcOffset::UTC);
    let world = world::MemoryWorld::new(markup, at.date());
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|diags| ReportError::Layout(messages(diags.iter().map(|d| &d.message))))?;
    let timestamp = Datetime::from_ymd_hms(
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
    )
    .map(Timestamp::new_utc);
    let archival = PdfStandards::new(&[PdfStandard::A_2b])
        .map_err(|e| ReportError::Pdf(e.message().to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_owned()),
        timestamp,
        standards: archival,
        ..PdfOptions::default()
    };
    match typst_pdf::pdf(&document, &options) {
        Ok(pdf) => Ok(pdf),
        Err(diags) if conformance == Conformance::ArchivalOrPlain => {
            let plain = PdfOptions {
                standards: PdfStandards::default(),
                ..options
            };
            typst_pdf::pdf(&document, &plain)
                .map_err(|_| ReportError::Pdf(messages(diags.iter().map(|d| &d.message))))
        }
        Err(diags) => Err(ReportError::Pdf(messages(diags.iter().map(|d| &d.message)))),
    }
}

fn messages<'a>(it: impl Iterator<Item = &'a typst::ecow::EcoString>) -> String {
    let all: Vec<&str> = it.map(|m| m.as_str()).collect();
    if all.is_empty() {
        "unknown error".to_owned()
    } else {
        all.join("; ")
    }
}
