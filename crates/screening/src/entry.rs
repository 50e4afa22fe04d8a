//! Typed list entries: what every loader produces and the index consumes.

use serde::{Deserialize, Serialize};

use crate::date::BirthDate;

/// The list format (and so the authority) an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ListSource {
    /// UN Security Council consolidated list (XML).
    Un,
    /// EU Financial Sanctions Files, XML 1.1.
    Eu,
    /// EU Financial Sanctions Files, CSV 1.1.
    EuCsv,
    /// OFAC SDN / consolidated non-SDN (XML).
    Ofac,
    /// OFAC legacy SDN CSV set (sdn/add/alt/comments).
    OfacCsv,
    /// UK (OFSI consolidated list CSV).
    Uk,
    /// US BIS Denied Persons List.
    BisDpl,
    /// FollowTheMoney JSON lines (OpenSanctions).
    Ftm,
    /// A plain CSV with a column mapping (a firm's own watch list).
    Csv,
}

impl ListSource {
    /// The short name used on the command line (`--source`).
    pub fn as_str(self) -> &'static str {
        match self {
            ListSource::Un => "un",
            ListSource::Eu => "eu",
            ListSource::EuCsv => "eu-csv",
            ListSource::Ofac => "ofac",
            ListSource::OfacCsv => "ofac-csv",
            ListSource::Uk => "uk",
            ListSource::BisDpl => "bis-dpl",
            ListSource::Ftm => "ftm",
            ListSource::Csv => "csv",
        }
    }
}

impl std::fmt::Display for ListSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of party an entry designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EntityKind {
    /// A natural person.
    Person,
    /// A company, organisation, group or other legal entity.
    Organisation,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
    /// The list does not say.
    Unknown,
}

impl EntityKind {
    /// Reads the kind from the many spellings lists use ("Individual", "person", "-0- ", "Entity"...).
    pub fn from_label(label: &str) -> EntityKind {
        let l = label.trim().to_ascii_lowercase();
        match l.as_str() {
            "individual" | "person" | "p" | "natural person" => EntityKind::Person,
            "entity" | "enterprise" | "organisation" | "organization" | "company" | "e"
            | "legalentity" | "legal entity" | "publicbody" | "-0-" => EntityKind::Organisation,
            "vessel" | "ship" => EntityKind::Vessel,
            "aircraft" | "airplane" => EntityKind::Aircraft,
            _ => EntityKind::Unknown,
        }
    }
}

/// How reliable a name is, as the list itself grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NameQuality {
    /// The entry's main name.
    Primary,
    /// A strong / good-quality alias (UN "Good", OFAC "strong", EU `strong="true"`).
    Strong,
    /// A weak / low-quality alias (UN "Low", OFAC "weak", EU `strong="false"`): likely to match
    /// innocent parties, so it scores slightly lower.
    Weak,
    /// A former name (f.k.a.).
    Former,
    /// The name in its original script (UN `NAME_ORIGINAL_SCRIPT`).
    OriginalScript,
    /// An alias the list does not grade.
    Alias,
}

/// One name of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListName {
    /// The name as the list writes it.
    pub full: String,
    /// How the list grades it.
    pub quality: NameQuality,
}

/// An identifying document or number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    /// The type, as the list writes it ("Passport", "National Identification Number"...).
    pub kind: String,
    /// The number as written.
    pub value: String,
    /// Issuing country, if given.
    pub country: Option<String>,
}

/// One listed party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// The list it came from.
    pub list: ListSource,
    /// The list's own identifier (UN reference number, EU logicalId, OFAC uid/ent_num...).
    pub entry_id: String,
    /// Person, organisation, vessel...
    pub kind: EntityKind,
    /// Names; the first is the primary name.
    pub names: Vec<ListName>,
    /// Dates of birth (exact, year-only or ranges).
    pub dates_of_birth: Vec<BirthDate>,
    /// Countries linked to the entry (nationality, citizenship, address), as written.
    pub countries: Vec<String>,
    /// Identity documents and numbers.
    pub identifiers: Vec<Identifier>,
    /// Sanctions programmes or regimes, as written.
    pub programmes: Vec<String>,
}

impl ListEntry {
    /// A new entry with no names or details yet.
    pub fn new(list: ListSource, entry_id: impl Into<String>, kind: EntityKind) -> Self {
        ListEntry {
            list,
            entry_id: entry_id.into(),
            kind,
            names: Vec::new(),
            dates_of_birth: Vec::new(),
            countries: Vec::new(),
            identifiers: Vec::new(),
            programmes: Vec::new(),
        }
    }

    /// The primary name (the first), or "" for an entry without names.
    pub fn primary_name(&self) -> &str {
        self.names.first().map(|n| n.full.as_str()).unwrap_or("")
    }

    /// Number of names besides the primary.
    pub fn alias_count(&self) -> usize {
        self.names.len().saturating_sub(1)
    }

    /// Adds a name unless it is blank or an exact duplicate of one already present.
    pub fn push_name(&mut self, full: &str, quality: NameQuality) {
        let full = collapse_spaces(full);
        if full.is_empty() || self.names.iter().any(|n| n.full == full) {
            return;
        }
        self.names.push(ListName { full, quality });
    }

    /// Adds a country unless it is blank or already present.
    pub fn push_country(&mut self, country: &str) {
        let c = collapse_spaces(country);
        if !c.is_empty() && !self.countries.contains(&c) {
            self.countries.push(c);
        }
    }
}

/// Trims and collapses runs of white space to one space.
pub(crate) fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// What the file says about itself, plus what we computed while reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMeta {
    /// The format / authority.
    pub source: ListSource,
    /// Publication date or generation timestamp as the file gives it, if it does.
    pub published: Option<String>,
    /// A version or file id, if the file gives one (EU `globalFileId`...).
    pub version: Option<String>,
    /// SHA-256 of the raw input bytes, lower-case hex.
    pub content_sha256: String,
    /// Number of entries loaded.
    pub entry_count: usize,
    /// Number of names beyond each entry's primary name.
    pub alias_count: usize,
}

/// A fully loaded list: metadata and entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedList {
    /// File metadata.
    pub meta: ListMeta,
    /// The entries, in file order.
    pub entries: Vec<ListEntry>,
}

impl LoadedList {
    /// Builds the list and its counts from the entries; `raw` is hashed for the content hash.
    pub fn new(
        source: ListSource,
        raw: &[u8],
        published: Option<String>,
        version: Option<String>,
        entries: Vec<ListEntry>,
    ) -> Self {
        let alias_count = entries.iter().map(ListEntry::alias_count).sum();
        LoadedList {
            meta: ListMeta {
                source,
                published,
                version,
                content_sha256: crate::loaders::sha256_hex(raw),
                entry_count: entries.len(),
                alias_count,
            },
            entries,
        }
    }
}
