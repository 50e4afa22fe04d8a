//! What a dossier and a letter say: plain data, filled by the callers (the server and the CLI
//! gather it from the store). Every text here is the user's or the law's and is escaped before it
//! reaches the typst markup.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// The seven elements of an internal compliance programme (Recommendation (EU) 2019/1318,
/// section 2), by number 1–7.
pub const ELEMENTS: [&str; 7] = [
    "Top-level management commitment to compliance",
    "Organisation structure, responsibilities and resources",
    "Training and awareness raising",
    "Transaction screening process and procedures",
    "Performance review, audits, reporting and corrective actions",
    "Recordkeeping and documentation",
    "Physical and information security",
];

/// The inspection dossier of an organisation for a period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dossier {
    /// The organisation's name.
    pub organisation: String,
    /// First day of the period (inclusive).
    pub from: Date,
    /// Last day of the period (inclusive).
    pub to: Date,
    /// When the dossier was generated.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// Who generated it (name or e-mail).
    pub generated_by: String,
    /// The version of the law data the decisions were taken on (Vigil's `law/`).
    pub law_version: String,
    /// The records of the programme (every element).
    pub icp: Vec<IcpEntry>,
    /// The organisation's members and their roles in Vigil (element 2).
    pub members: Vec<MemberLine>,
    /// Items and their classification records (element 4.1).
    pub items: Vec<ItemLine>,
    /// Every operation of the period (element 4.2/4.3).
    pub operations: Vec<OperationLine>,
    /// The sanctions lists served when the dossier was generated (element 4.2).
    pub lists: Vec<ListLine>,
    /// Individual and global licences with their use (element 4.3/4.4); `None` when Vigil does
    /// not record them for this organisation (the section then says so).
    pub licences: Option<Vec<LicenceLine>>,
    /// Union general authorisations used in the period (element 4.3); `None` when not recorded.
    pub general_authorisations: Option<Vec<GeneralAuthorisationLine>>,
    /// End-user due-diligence files (element 4.2); `None` when not recorded in Vigil.
    pub due_diligence: Option<Vec<DueDiligenceLine>>,
    /// The audit log of the organisation (elements 5 and 6).
    pub audit: AuditSummary,
}

/// One record of the programme.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IcpEntry {
    /// The element (1–7) of Recommendation (EU) 2019/1318.
    pub element: u8,
    /// `policy`, `responsible_person`, `training`, `audit` or `other`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// The person concerned (responsible person, trainer or trainee, auditor), if any.
    pub person_name: String,
    /// Their role or function.
    pub person_role: String,
    /// The date of the record (adopted, held, carried out).
    pub date: Option<Date>,
    /// Details (free text; line breaks are kept).
    pub details: String,
    /// The name of an attached document, if any.
    pub attachment: Option<String>,
    /// Who recorded it, and when (`YYYY-MM-DD`).
    pub recorded_by: String,
}

/// A member of the organisation in Vigil.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemberLine {
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Role in Vigil (`admin`, `officer`, `operator`, `auditor`).
    pub role: String,
}

/// An item and its classification records.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemLine {
    /// Name.
    pub name: String,
    /// `hardware`, `software` or `technology`.
    pub kind: String,
    /// Its classification records, newest first.
    pub classifications: Vec<ClassificationLine>,
}

/// One classification record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClassificationLine {
    /// Version or release label.
    pub version: String,
    /// Annex I entries chosen (empty: not listed).
    pub entries: Vec<String>,
    /// The Art. 2(20) reading: a cyber-surveillance item.
    pub cyber_surveillance: bool,
    /// Law version.
    pub law_version: String,
    /// Who classified.
    pub by: String,
    /// When (`YYYY-MM-DD`).
    pub at: String,
}

/// An operation of the period with its decision and everything that followed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OperationLine {
    /// The exporter's reference (or Vigil's id when empty).
    pub reference: String,
    /// The day it was assessed.
    pub date: Option<Date>,
    /// Kind of operation (`export`, `download`, …).
    pub export_type: String,
    /// Destination country (ISO code).
    pub destination: String,
    /// The items (names or Annex I entries), as one line.
    pub items: String,
    /// Decision (contract name: `no_licence_required`, `licence_required`, …).
    pub decision: String,
    /// Status (`decided`, `blocked`, `completed`).
    pub status: String,
    /// Every provision the decision cites.
    pub citations: Vec<String>,
    /// The parties named.
    pub parties: Vec<PartyLine>,
    /// The screening hits on its parties and their review.
    pub hits: Vec<HitLine>,
    /// The lists (source and version) its parties were screened against.
    pub lists_screened: Vec<String>,
    /// The holds put on it and who released them.
    pub holds: Vec<HoldLine>,
    /// The licence or general authorisation drawn on, where recorded.
    pub licence_use: Vec<String>,
    /// Keep until (Art. 27), `YYYY-MM-DD`.
    pub retain_until: Option<String>,
    /// When the export was carried out (`YYYY-MM-DD`), if recorded.
    pub completed_on: Option<String>,
}

/// A party of an operation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartyLine {
    /// Contract role.
    pub role: String,
    /// Name.
    pub name: String,
    /// ISO country.
    pub country: String,
}

/// A screening hit on a party and its review.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HitLine {
    /// The party screened.
    pub party: String,
    /// List source and version.
    pub list: String,
    /// Entry id on the list.
    pub entry_id: String,
    /// The listed name.
    pub listed_name: String,
    /// Score (0–1).
    pub score: f64,
    /// `open`, `cleared` (false positive) or `confirmed`.
    pub status: String,
    /// Who reviewed it and why, if reviewed.
    pub reviewed_by: String,
}

/// A hold on an operation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HoldLine {
    /// Cause (`decision`, `screening`, `reclassification`, `due_diligence`).
    pub cause: String,
    /// Why.
    pub reason: String,
    /// Opened (`YYYY-MM-DD`).
    pub opened_on: String,
    /// Who released it (empty while open).
    pub released_by: String,
    /// Released (`YYYY-MM-DD`), if released.
    pub released_on: Option<String>,
    /// How and why it was released.
    pub release_note: String,
}

/// A sanctions list served.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ListLine {
    /// Source (`un`, `eu`, `ofac`, …).
    pub source: String,
    /// Version.
    pub version: String,
    /// Imported (`YYYY-MM-DD HH:MM UTC`).
    pub imported_at: String,
    /// Number of entries.
    pub entries: i64,
}

/// A licence and its use.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LicenceLine {
    /// The authority's reference.
    pub reference: String,
    /// Kind (`individual`, `global`, …).
    pub kind: String,
    /// Issuing authority.
    pub authority: String,
    /// Valid until (`YYYY-MM-DD`).
    pub valid_until: String,
    /// Quantity or value authorised, if limited.
    pub quota: Option<f64>,
    /// Used so far.
    pub used: f64,
    /// Unit of the quota (`EUR`, `pieces`, …).
    pub unit: String,
    /// The draw-downs in the period, one line each.
    pub drawdowns: Vec<String>,
}

/// A use of a Union general export authorisation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GeneralAuthorisationLine {
    /// EU001 … EU008.
    pub code: String,
    /// The operation's reference.
    pub operation: String,
    /// When used (`YYYY-MM-DD`).
    pub on: String,
    /// Notes (registration, first-use notification).
    pub note: String,
}

/// An end-user due-diligence file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DueDiligenceLine {
    /// The party or operation it is about.
    pub subject: String,
    /// Its status or conclusion.
    pub status: String,
    /// Opened or concluded (`YYYY-MM-DD`).
    pub on: String,
    /// Summary.
    pub summary: String,
}

/// The organisation's audit log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditSummary {
    /// The result of verifying the whole chain.
    pub chain: ChainStatus,
    /// Audit records in the period, per action (`operation.assessed` → 12).
    pub actions_in_period: Vec<(String, u64)>,
}

/// The result of verifying an audit chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChainStatus {
    /// Every row recomputes.
    Intact {
        /// Rows verified.
        rows: u64,
    },
    /// The first broken row.
    Broken {
        /// Its sequence number.
        seq: i64,
        /// Why.
        reason: String,
    },
    /// Not verified.
    #[default]
    NotVerified,
}

impl ChainStatus {
    /// The line the dossier prints: `Audit chain verified: N rows, intact`, or the first broken
    /// row.
    #[must_use]
    pub fn line(&self) -> String {
        match self {
            ChainStatus::Intact { rows } => format!("Audit chain verified: {rows} rows, intact"),
            ChainStatus::Broken { seq, reason } => {
                format!("Audit chain BROKEN at row {seq}: {reason}")
            }
            ChainStatus::NotVerified => "Audit chain not verified".to_owned(),
        }
    }
}

/// The Art. 5(2) notification letter (or any letter to the competent authority).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Letter {
    /// The sender's address block, one line each (organisation first).
    pub sender: Vec<String>,
    /// The addressee's address block, one line each.
    pub addressee: Vec<String>,
    /// Place and date line (`Paris, 26 November 2026`).
    pub place_date: String,
    /// Our reference, if any.
    pub reference: String,
    /// Subject.
    pub subject: String,
    /// Salutation (`Dear Sir or Madam,`).
    pub salutation: String,
    /// Body paragraphs.
    pub paragraphs: Vec<String>,
    /// Closing (`Yours faithfully,`).
    pub closing: String,
    /// The signatory's name.
    pub signatory: String,
    /// The signatory's function.
    pub signatory_role: String,
}
