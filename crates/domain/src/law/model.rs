//! The checked law model: what the decision logic reads. Built from the raw files by
//! [`super::load`], which guarantees that every cross-reference resolves.

use std::collections::BTreeSet;

use serde::Serialize;
use time::Date;

use super::code::ControlCode;

/// A legal source: an act (by id, e.g. `2021/821`) and a provision within it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cite {
    /// Act id as in `law/acts.toml` (`2021/821`, `833/2014` …).
    pub act: String,
    /// `Art. 5(2)`, `Annex II Section A`, `Annex I 5A001.j` …
    pub provision: String,
}

impl Cite {
    /// A citation of `provision` in act `act`.
    #[must_use]
    pub fn new(act: &str, provision: &str) -> Cite {
        Cite {
            act: act.to_owned(),
            provision: provision.to_owned(),
        }
    }
}

/// The period in which a record is in force (both ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce {
    /// First day in force.
    pub from: Date,
    /// Last day in force, if it has ended.
    pub until: Option<Date>,
}

impl InForce {
    /// True when the record applies on `date`.
    #[must_use]
    pub fn contains(&self, date: Date) -> bool {
        date >= self.from && self.until.is_none_or(|u| date <= u)
    }
}

/// An act that Vigil cites.
#[derive(Debug, Clone)]
pub struct Act {
    /// `2021/821`.
    pub id: String,
    /// `regulation`, `delegated_regulation`, `recommendation` …
    pub kind: String,
    /// `Regulation (EU) 2021/821`.
    pub short: String,
    /// Full title.
    pub title: String,
    /// Official address.
    pub url: String,
    /// Period in force.
    pub in_force: InForce,
    /// Read in the primary text.
    pub verified: bool,
}

/// The type of value a fact takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactType {
    /// true / false.
    Bool,
    /// A number (with a unit).
    Number,
    /// Free text.
    Text,
}

/// A fact a product sheet or an operation can state, with the question that asks for it.
#[derive(Debug, Clone)]
pub struct FactDef {
    /// Snake-case id.
    pub id: String,
    /// Its type.
    pub kind: FactType,
    /// Unit of a number.
    pub unit: Option<String>,
    /// The question in English.
    pub question: String,
    /// The question in French.
    pub question_fr: Option<String>,
    /// Words in a product description that suggest the fact is true (boolean facts only);
    /// classification treats them as a hint to confirm, never as an answer.
    pub indicators: Phrases,
}

/// How a criterion tests its fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The fact must be true.
    IsTrue,
    /// The number must compare with the threshold.
    Compare {
        /// Comparison.
        op: CmpOp,
        /// Threshold.
        value: f64,
        /// Unit, for display.
        unit: Option<String>,
    },
}

/// A numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `=`
    Eq,
}

impl CmpOp {
    /// Parses `>`, `>=`, `<`, `<=`, `=`.
    #[must_use]
    pub fn parse(s: &str) -> Option<CmpOp> {
        Some(match s {
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            "=" | "==" => CmpOp::Eq,
            _ => return None,
        })
    }

    /// Applies the comparison.
    #[must_use]
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Eq => (left - right).abs() < f64::EPSILON,
        }
    }
}

/// One technical criterion of an entry.
#[derive(Debug, Clone)]
pub struct Criterion {
    /// Fact id.
    pub fact: String,
    /// Own-words description.
    pub text: String,
    /// How the fact is tested.
    pub test: Test,
}

/// A note that takes an item out of an entry when its fact is true.
#[derive(Debug, Clone)]
pub struct Release {
    /// Fact id.
    pub fact: String,
    /// `note`, `decontrol`, `cryptography_note` …
    pub kind: String,
    /// Own-words description.
    pub text: String,
    /// Where it is written (`Annex I 5A001.j Note`).
    pub provision: String,
}

/// An Annex I entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its code.
    pub code: ControlCode,
    /// Short heading.
    pub title: String,
    /// Own-words summary (empty for headings-only entries).
    pub summary: String,
    /// A listed cyber-surveillance item (our reading of Art. 2(20)).
    pub cyber_surveillance: bool,
    /// Read in the primary text.
    pub verified: bool,
    /// Period in force.
    pub in_force: InForce,
    /// Where it is written.
    pub cite: Cite,
    /// Criteria combine with AND (true) or OR (false).
    pub match_all: bool,
    /// Technical criteria.
    pub criteria: Vec<Criterion>,
    /// Notes that release an item.
    pub releases: Vec<Release>,
    /// Trade vocabulary pointing to this entry.
    pub vocabulary: Vec<String>,
    /// Related entries.
    pub see_also: Vec<ControlCode>,
    /// False for headings-only entries (categories 0–3, 6–9).
    pub detailed: bool,
}

/// A note of Annex I Part I.
#[derive(Debug, Clone)]
pub struct Note {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Own-words summary.
    pub summary: String,
    /// Where it is written.
    pub cite: Cite,
    /// Entries it applies to.
    pub applies_to: Vec<ControlCode>,
    /// Read in the primary text.
    pub verified: bool,
}

/// A defined term of Annex I.
#[derive(Debug, Clone)]
pub struct Term {
    /// Id.
    pub id: String,
    /// The term.
    pub term: String,
    /// Own-words summary.
    pub summary: String,
    /// Categories using it.
    pub categories: Vec<u8>,
    /// Where it is defined.
    pub cite: Cite,
    /// Read in the primary text.
    pub verified: bool,
}

/// The kinds of operation of the assessment contract.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OperationType {
    /// Permanent export (Art. 2(2)(a)).
    Export,
    /// Temporary export, e.g. a demonstration or a trade fair.
    TemporaryExport,
    /// Re-export (Art. 2(2)(b)).
    ReExport,
    /// Sending software or technology electronically, or making it available online (Art. 2(2)(d)).
    ElectronicTransmission,
    /// Transfer within the Union (Art. 11).
    IntraEuTransfer,
    /// Brokering services (Art. 2(7), Art. 6).
    Brokering,
    /// Technical assistance (Art. 2(9), Art. 8).
    TechnicalAssistance,
    /// Transit of non-Union items (Art. 2(10), Art. 7).
    Transit,
}

impl OperationType {
    /// Every operation type, in contract order.
    pub const ALL: [OperationType; 8] = [
        OperationType::Export,
        OperationType::TemporaryExport,
        OperationType::ReExport,
        OperationType::ElectronicTransmission,
        OperationType::IntraEuTransfer,
        OperationType::Brokering,
        OperationType::TechnicalAssistance,
        OperationType::Transit,
    ];

    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OperationType::Export => "export",
            OperationType::TemporaryExport => "temporary_export",
            OperationType::ReExport => "re_export",
            OperationType::ElectronicTransmission => "electronic_transmission",
            OperationType::IntraEuTransfer => "intra_eu_transfer",
            OperationType::Brokering => "brokering",
            OperationType::TechnicalAssistance => "technical_assistance",
            OperationType::Transit => "transit",
        }
    }

    /// Parses the contract's name.
    #[must_use]
    pub fn parse(s: &str) -> Option<OperationType> {
        OperationType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// An export in the sense of Art. 2(2) (the types a UGEA or Art. 5 can apply to).
    #[must_use]
    pub fn is_export(self) -> bool {
        matches!(
            self,
            OperationType::Export
                | OperationType::TemporaryExport
                | OperationType::ReExport
                | OperationType::ElectronicTransmission
        )
    }
}

/// The concerns of Arts 4 and 5 that an exporter may be informed or aware of.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Concern {
    /// Art. 4(1)(a): weapons of mass destruction and their delivery.
    Wmd,
    /// Art. 4(1)(b): military end use in an arms-embargoed destination.
    MilitaryEmbargo,
    /// Art. 4(1)(c): parts of military items exported illegally.
    IllegalMilitaryParts,
    /// Art. 5(1): internal repression or serious violations of human rights and IHL.
    InternalRepression,
}

impl Concern {
    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Concern::Wmd => "wmd",
            Concern::MilitaryEmbargo => "military_embargo",
            Concern::IllegalMilitaryParts => "illegal_military_parts",
            Concern::InternalRepression => "internal_repression",
        }
    }

    /// Parses the contract's name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Concern> {
        [
            Concern::Wmd,
            Concern::MilitaryEmbargo,
            Concern::IllegalMilitaryParts,
            Concern::InternalRepression,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// End-user types of the assessment contract.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EndUserType {
    /// A business.
    Commercial,
    /// Police, intelligence, security services of a state.
    GovernmentSecurity,
    /// Armed forces, paramilitary.
    Military,
    /// University or research body.
    Research,
    /// A private person.
    Individual,
}

impl EndUserType {
    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EndUserType::Commercial => "commercial",
            EndUserType::GovernmentSecurity => "government_security",
            EndUserType::Military => "military",
            EndUserType::Research => "research",
            EndUserType::Individual => "individual",
        }
    }

    /// Parses the contract's name.
    #[must_use]
    pub fn parse(s: &str) -> Option<EndUserType> {
        [
            EndUserType::Commercial,
            EndUserType::GovernmentSecurity,
            EndUserType::Military,
            EndUserType::Research,
            EndUserType::Individual,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A code that a UGEA covers only when an operation fact holds.
#[derive(Debug, Clone)]
pub struct ItemCondition {
    /// The code (and its sub-items).
    pub code: ControlCode,
    /// Operation fact id.
    pub fact: String,
    /// Own-words condition.
    pub text: String,
}

/// A fact that must hold (or must not hold) for a UGEA to be usable.
#[derive(Debug, Clone)]
pub struct FactCondition {
    /// Operation fact id.
    pub fact: String,
    /// Own-words condition.
    pub text: String,
}

/// A duty that comes with an authorisation.
#[derive(Debug, Clone)]
pub struct Duty {
    /// `declare`, `notify_first_use`, `register`, `report`, `icp`, `technical_data`, `other`.
    pub kind: String,
    /// Own-words duty.
    pub text: String,
    /// Where it is written.
    pub provision: Option<String>,
    /// Day count, if any.
    pub days: Option<u32>,
    /// `before` / `after` the first export.
    pub timing: Option<String>,
    /// Reporting period.
    pub period: Option<String>,
}

/// A Union general export authorisation (Annex II).
#[derive(Debug, Clone)]
pub struct Ugea {
    /// `EU001` … `EU008`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Own-words summary.
    pub summary: String,
    /// Where it is written.
    pub cite: Cite,
    /// Read in the primary text.
    pub verified: bool,
    /// Period in force.
    pub in_force: InForce,
    /// Operation types that may use it.
    pub export_types: BTreeSet<OperationType>,
    /// `None` = all Annex I items; else the codes covered.
    pub items: Option<Vec<ControlCode>>,
    /// Only these product groups (empty = all).
    pub item_groups: Vec<super::code::Group>,
    /// Codes not covered.
    pub exclude_items: Vec<ControlCode>,
    /// Product groups not covered.
    pub exclude_groups: Vec<super::code::Group>,
    /// Section I items are not covered.
    pub exclude_section_i: bool,
    /// Software and technology related to these entries are not covered.
    pub exclude_related_to: Vec<ControlCode>,
    /// Software and technology are covered only when related to these entries (empty = any).
    pub related_only_to: Vec<ControlCode>,
    /// Codes covered only when an operation fact holds.
    pub item_conditions: Vec<ItemCondition>,
    /// Country groups consulted for destinations that are not verified (their ids).
    pub unverified_groups: Vec<String>,
    /// Countries excluded from the destinations only through unverified groups (a country also
    /// excluded by name or by a verified group is not here).
    pub excluded_only_unverified: BTreeSet<String>,
    /// The inclusion list (`destinations`) rests on an unverified group.
    pub inclusion_unverified: bool,
    /// Destinations (ISO codes, groups expanded); empty = all.
    pub destinations: BTreeSet<String>,
    /// Destinations excluded.
    pub destinations_except: BTreeSet<String>,
    /// Concerns (informed or aware) that bar use.
    pub barred_concerns: Vec<Concern>,
    /// End-user types that bar use.
    pub barred_end_user_types: Vec<EndUserType>,
    /// Facts that must be true.
    pub required_facts: Vec<FactCondition>,
    /// Facts that must not be true.
    pub barring_facts: Vec<FactCondition>,
    /// Maximum days before return (EU004).
    pub max_return_days: Option<u32>,
    /// Duties.
    pub duties: Vec<Duty>,
}

/// Annex II Section I.
#[derive(Debug, Clone)]
pub struct SectionI {
    /// Own-words summary.
    pub summary: String,
    /// Where it is written.
    pub cite: Cite,
    /// Every Annex IV item is in Section I.
    pub includes_annex_iv: bool,
    /// The other entries listed.
    pub entries: Vec<ControlCode>,
    /// Read in the primary text.
    pub verified: bool,
}

/// An Annex IV item.
#[derive(Debug, Clone)]
pub struct AnnexIvItem {
    /// Code.
    pub code: ControlCode,
    /// `I` or `II`.
    pub part: String,
    /// Block heading.
    pub block: String,
    /// Restriction of scope.
    pub scope: Option<String>,
    /// Where it is written.
    pub cite: Cite,
    /// Read in the primary text.
    pub verified: bool,
}

/// A country.
#[derive(Debug, Clone)]
pub struct Country {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    /// English name.
    pub name: String,
}

/// A country group.
#[derive(Debug, Clone)]
pub struct CountryGroup {
    /// Id (`eu`, `eu001` …).
    pub id: String,
    /// Title.
    pub title: String,
    /// ISO codes.
    pub members: BTreeSet<String>,
    /// Where it is written.
    pub cite: Cite,
    /// Read in the primary text.
    pub verified: bool,
}

/// An arms embargo on a destination.
#[derive(Debug, Clone)]
pub struct ArmsEmbargo {
    /// ISO code.
    pub country: String,
    /// Legal basis in words.
    pub basis: String,
    /// Acts.
    pub acts: Vec<String>,
    /// `full`, `partial`, `non_state_actors`, `political_declaration`.
    pub scope: String,
    /// Confirmed in a primary source.
    pub verified: bool,
}

/// Kind of a sanctions regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegimeKind {
    /// The export is prohibited.
    Ban,
    /// The export needs the regime's prior authorisation.
    Authorisation,
    /// The regime may reach the operation but Vigil does not encode enough of it: hold for review.
    Review,
}

/// Items a sanctions regime reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegimeScope {
    /// Every Annex I item.
    AnnexI,
    /// Monitoring and interception equipment, software and technology.
    MonitoringEquipment,
}

/// An exception to a ban, declared by the exporter.
#[derive(Debug, Clone)]
pub struct RegimeException {
    /// Id used in the operation's `sanctions_exception` fact.
    pub id: String,
    /// Provision.
    pub provision: String,
    /// Own words.
    pub text: String,
    /// Only for non-military use and end users.
    pub non_military_only: bool,
    /// Duty that comes with it.
    pub duty: Option<String>,
}

/// A sanctions overlay.
#[derive(Debug, Clone)]
pub struct Regime {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// ISO codes.
    pub countries: BTreeSet<String>,
    /// Ban or authorisation.
    pub kind: RegimeKind,
    /// Items reached.
    pub scope: RegimeScope,
    /// Annex I entries treated as in the regime's monitoring annex.
    pub indicative_entries: Vec<ControlCode>,
    /// Only for these end-user types (empty = all).
    pub end_user_types: Vec<EndUserType>,
    /// Authorisation regimes: the authority must refuse for these end-user types.
    pub refuse_for_end_user_types: Vec<EndUserType>,
    /// These end-user types need a person's review (e.g. a police body that may be one the ban names).
    pub review_end_user_types: Vec<EndUserType>,
    /// Operation types reached.
    pub operation_types: BTreeSet<OperationType>,
    /// Where it is written.
    pub cite: Cite,
    /// Own-words summary.
    pub summary: String,
    /// When the authority must refuse.
    pub refusal: Option<String>,
    /// Read in the primary text.
    pub verified: bool,
    /// Period in force.
    pub in_force: InForce,
    /// Exceptions.
    pub exceptions: Vec<RegimeException>,
}

/// A rule of the regulation, applied in code and described here.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Id used by the code.
    pub id: String,
    /// Title.
    pub title: String,
    /// Own-words summary.
    pub summary: String,
    /// Where it is written.
    pub cite: Cite,
    /// Read in the primary text.
    pub verified: bool,
}

/// One element of Art. 2(20).
#[derive(Debug, Clone)]
pub struct Art220Criterion {
    /// Contract key (`specially_designed` …).
    pub id: String,
    /// Fact id answering it.
    pub fact: String,
    /// Own words.
    pub text: String,
    /// Words suggesting it is met.
    pub indicators: Phrases,
    /// Words suggesting it is not met.
    pub counter_indicators: Phrases,
    /// Where it is written.
    pub cite: Cite,
    /// Read in the primary text.
    pub verified: bool,
}

/// A competent authority.
#[derive(Debug, Clone)]
pub struct Authority {
    /// ISO code of the Member State.
    pub country: String,
    /// Name.
    pub name: String,
    /// Web address.
    pub url: Option<String>,
    /// The language it is written to (`fr`, `de`, `en` …; `en` when the data says none).
    pub language: String,
    /// Confirmed in a primary source.
    pub verified: bool,
}

/// A red flag's wording.
#[derive(Debug, Clone)]
pub struct RedFlagDef {
    /// Code.
    pub code: String,
    /// Text.
    pub text: String,
    /// Words that raise it when found in descriptions or the end use.
    pub keywords: Phrases,
    /// Source.
    pub source: Cite,
    /// Read in the primary text.
    pub verified: bool,
}

/// A list of phrases of the law files, with their folded forms computed once at load so that
/// matching them against a text does not fold them again on every call.
#[derive(Debug, Clone, Default)]
pub struct Phrases {
    list: Vec<String>,
    folded: Vec<String>,
}

impl Phrases {
    /// Folds every phrase once.
    #[must_use]
    pub fn new(list: Vec<String>) -> Phrases {
        let folded = list.iter().map(|p| crate::text::fold(p)).collect();
        Phrases { list, folded }
    }

    /// The phrases as written.
    #[must_use]
    pub fn as_slice(&self) -> &[String] {
        &self.list
    }

    /// True when there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The phrases (as written) found as whole words in `text_folded` (from
    /// [`fold`](crate::text::fold)); a phrase also matches with a plural `s` on its last word.
    #[must_use]
    pub fn found_in(&self, text_folded: &str) -> Vec<&str> {
        self.list
            .iter()
            .zip(&self.folded)
            .filter(|(_, f)| crate::text::contains_phrase(text_folded, f))
            .map(|(p, _)| p.as_str())
            .collect()
    }
}
