//! The schema of the files in `law/`, exactly as written there (see `law/README.md`).
//!
//! Every struct denies unknown keys, so a typo in a data file is a load error rather than a
//! silently ignored rule. These types are turned into the checked model of [`super::model`] by
//! [`super::load`].

use serde::Deserialize;
use toml::value::Datetime;

/// `cite = { act = "2021/821", provision = "Art. 5(2)" }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCite {
    pub act: String,
    pub provision: String,
}

/// `in_force = { from = 2025-11-15, until = … }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInForce {
    pub from: Datetime,
    #[serde(default)]
    pub until: Option<Datetime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActsFile {
    #[serde(default)]
    pub act: Vec<RawAct>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAct {
    pub id: String,
    pub kind: String,
    pub short: String,
    pub title: String,
    pub url: String,
    pub in_force: RawInForce,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactsFile {
    #[serde(default)]
    pub fact: Vec<RawFact>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFact {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub unit: Option<String>,
    pub question: String,
    #[serde(default)]
    pub question_fr: Option<String>,
    #[serde(default)]
    pub indicators: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartIFile {
    #[serde(default)]
    pub note: Vec<RawNote>,
    #[serde(default)]
    pub term: Vec<RawTerm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNote {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub cite: RawCite,
    #[serde(default)]
    pub applies_to: Vec<String>,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTerm {
    pub id: String,
    pub term: String,
    pub summary: String,
    #[serde(default)]
    pub categories: Vec<u8>,
    pub cite: RawCite,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryFile {
    #[serde(default)]
    pub entry: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub cyber_surveillance: bool,
    #[serde(default = "yes")]
    pub verified: bool,
    #[serde(default)]
    pub in_force: Option<RawInForce>,
    #[serde(default)]
    pub cite: Option<RawCite>,
    #[serde(default, rename = "match")]
    pub match_mode: Option<String>,
    #[serde(default)]
    pub criteria: Vec<RawCriterion>,
    #[serde(default)]
    pub releases: Vec<RawRelease>,
    #[serde(default)]
    pub vocabulary: Vec<String>,
    #[serde(default)]
    pub see_also: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCriterion {
    pub fact: String,
    pub text: String,
    #[serde(default)]
    pub op: Option<String>,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelease {
    pub fact: String,
    pub kind: String,
    pub text: String,
    #[serde(default)]
    pub provision: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnexIiFile {
    pub section_i: RawSectionI,
    #[serde(default)]
    pub authorisation: Vec<RawUgea>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSectionI {
    pub summary: String,
    pub cite: RawCite,
    pub includes_annex_iv: bool,
    pub entries: Vec<String>,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUgea {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub cite: RawCite,
    pub verified: bool,
    #[serde(default)]
    pub in_force: Option<RawInForce>,
    pub export_types: Vec<String>,
    pub items: Vec<String>,
    #[serde(default)]
    pub item_groups: Vec<String>,
    #[serde(default)]
    pub exclude_items: Vec<String>,
    #[serde(default)]
    pub exclude_groups: Vec<String>,
    #[serde(default)]
    pub exclude_section_i: bool,
    #[serde(default)]
    pub exclude_related_to: Vec<String>,
    #[serde(default)]
    pub related_only_to: Vec<String>,
    #[serde(default)]
    pub item_conditions: Vec<RawItemCondition>,
    #[serde(default)]
    pub destinations: Vec<String>,
    #[serde(default)]
    pub destinations_except: Vec<String>,
    #[serde(default)]
    pub barred_concerns: Vec<String>,
    #[serde(default)]
    pub barred_end_user_types: Vec<String>,
    #[serde(default)]
    pub required_facts: Vec<RawFactCondition>,
    #[serde(default)]
    pub barring_facts: Vec<RawFactCondition>,
    #[serde(default)]
    pub max_return_days: Option<u32>,
    #[serde(default)]
    pub duties: Vec<RawDuty>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItemCondition {
    pub code: String,
    pub fact: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFactCondition {
    pub fact: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDuty {
    pub kind: String,
    pub text: String,
    #[serde(default)]
    pub provision: Option<String>,
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub timing: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnexIvFile {
    #[serde(default)]
    pub item: Vec<RawAnnexIvItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnnexIvItem {
    pub code: String,
    pub part: String,
    pub block: String,
    #[serde(default)]
    pub scope: Option<String>,
    pub cite: RawCite,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountriesFile {
    #[serde(default)]
    pub country: Vec<RawCountry>,
    #[serde(default)]
    pub group: Vec<RawGroup>,
    #[serde(default)]
    pub arms_embargo: Vec<RawEmbargo>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCountry {
    pub code: String,
    pub name: String,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by people reviewing the data, not by the rules"
    )]
    pub name_fr: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub id: String,
    pub title: String,
    pub members: Vec<String>,
    pub cite: RawCite,
    pub verified: bool,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by people reviewing the data, not by the rules"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmbargo {
    pub country: String,
    pub basis: String,
    #[serde(default)]
    pub acts: Vec<String>,
    pub scope: String,
    pub verified: bool,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by people reviewing the data, not by the rules"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanctionsFile {
    #[serde(default)]
    pub regime: Vec<RawRegime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegime {
    pub id: String,
    pub title: String,
    pub countries: Vec<String>,
    pub kind: String,
    pub scope: String,
    #[serde(default)]
    pub indicative_entries: Vec<String>,
    #[serde(default)]
    pub end_user_types: Vec<String>,
    #[serde(default)]
    pub refuse_for_end_user_types: Vec<String>,
    #[serde(default)]
    pub review_end_user_types: Vec<String>,
    pub operation_types: Vec<String>,
    pub cite: RawCite,
    pub summary: String,
    #[serde(default)]
    pub refusal: Option<String>,
    pub verified: bool,
    #[serde(default)]
    pub in_force: Option<RawInForce>,
    #[serde(default)]
    pub exceptions: Vec<RawException>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawException {
    pub id: String,
    pub provision: String,
    pub text: String,
    #[serde(default)]
    pub non_military_only: bool,
    #[serde(default)]
    pub duty: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    #[serde(default)]
    pub rule: Vec<RawRule>,
    #[serde(default)]
    pub art_2_20: Vec<RawArt220Criterion>,
    #[serde(default)]
    pub authority: Vec<RawAuthority>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub cite: RawCite,
    pub verified: bool,
}

/// One element of the Art. 2(20) definition, with the words in a product description that
/// suggest it is met or not met.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArt220Criterion {
    pub id: String,
    pub fact: String,
    pub text: String,
    #[serde(default)]
    pub indicators: Vec<String>,
    #[serde(default)]
    pub counter_indicators: Vec<String>,
    pub cite: RawCite,
    pub verified: bool,
}

/// A Member State's competent authority (Art. 5(2) notifications, licence applications).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuthority {
    pub country: String,
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    pub verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedFlagsFile {
    #[serde(default)]
    pub red_flag: Vec<RawRedFlag>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedFlag {
    pub code: String,
    pub text: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub source: RawCite,
    pub verified: bool,
}
