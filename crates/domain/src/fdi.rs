//! French foreign direct investment screening (investissements étrangers en France): does an
//! investment in a French company need the prior authorisation of the Minister of the Economy?
//!
//! The rules are data (`law/fr-fdi.toml`): who is a foreign investor, which transactions are
//! covered (control, a branch of activity, a French branch of a foreign entity, voting-rights
//! thresholds of 25 % and 10 % for listed companies, the latter two only for investors from
//! outside the EU/EEA), which activities of the target are sensitive, and the procedure's time
//! limits. This module checks a questionnaire against them and explains the answer, citing each
//! provision; every record of the fact sheet (§8) rests on secondary sources, so every answer
//! says that its legal references are UNVERIFIED.
//!
//! The questionnaire is about the investment, not an export: Vigil's users are often the target
//! (an EU cyber-security or AI company raising money abroad).

use serde::{Deserialize, Serialize};

use crate::assess::{FieldError, InputError};
use crate::law::{Cite, Law};

// ---------------------------------------------------------------------------------------------
// The data, as read from `law/fr-fdi.toml`.

/// `law/fr-fdi.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFdi {
    eea_extra: Vec<String>,
    foreign_investor: Vec<RawRecord>,
    transaction: Vec<RawTransaction>,
    activity: Vec<RawActivity>,
    deadline: Vec<RawDeadline>,
    consequence: Vec<RawRecord>,
}

/// A cited record.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCite {
    pub act: String,
    pub provision: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    #[serde(default)]
    id: String,
    text: String,
    cite: RawCite,
    source: String,
    verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransaction {
    id: String,
    kind: String,
    #[serde(default)]
    percent: Option<u32>,
    #[serde(default)]
    non_eu_eea_only: bool,
    #[serde(default)]
    listed_only: bool,
    #[serde(default)]
    procedure: Option<String>,
    text: String,
    cite: RawCite,
    source: String,
    verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    id: String,
    text: String,
    text_fr: String,
    cite: RawCite,
    source: String,
    verified: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    id: String,
    procedure: String,
    days: u32,
    day_kind: String,
    text: String,
    cite: RawCite,
    source: String,
    verified: bool,
}

// ---------------------------------------------------------------------------------------------
// The checked rules.

/// A rule record: what it says, its provision, the source it was read from, verified or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FdiRecord {
    /// Id in the data (empty for consequences).
    pub id: String,
    /// In our words.
    pub text: String,
    /// The act (`CMF`, `2023-1293` …, see `law/acts.toml`).
    pub act: String,
    /// The provision.
    pub provision: String,
    /// Where the fact sheet read it.
    pub source: String,
    /// Read in the primary text (false everywhere today).
    pub verified: bool,
}

/// Kinds of covered transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// Acquiring control of a French entity.
    Control,
    /// Acquiring all or part of a branch of activity.
    BranchOfActivity,
    /// Acquiring control of a French branch of a foreign entity.
    FrenchBranch,
    /// Crossing a voting-rights threshold.
    VotingRights,
}

/// A covered transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransactionRule {
    /// The record.
    pub record: FdiRecord,
    /// Kind.
    pub kind: TransactionKind,
    /// Threshold in percent of the voting rights (voting-rights kind).
    pub percent: Option<u32>,
    /// Only for investors from outside the EU/EEA.
    pub non_eu_eea_only: bool,
    /// Only for listed companies.
    pub listed_only: bool,
    /// `authorisation` (default) or `notification` (the accelerated procedure).
    pub procedure: Procedure,
}

/// The procedure a covered investment follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// Prior notification; the Minister may require a full authorisation.
    Notification,
    /// Prior authorisation of the Minister of the Economy.
    Authorisation,
}

impl Procedure {
    fn parse(s: Option<&str>) -> Option<Procedure> {
        match s {
            None | Some("authorisation") => Some(Procedure::Authorisation),
            Some("notification") => Some(Procedure::Notification),
            Some(_) => None,
        }
    }

    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::Notification => "notification",
            Procedure::Authorisation => "authorisation",
        }
    }
}

/// A sensitive activity of the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityRule {
    /// The record (English text).
    pub record: FdiRecord,
    /// French text.
    pub text_fr: String,
}

/// A time limit of the procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineRule {
    /// The record.
    pub record: FdiRecord,
    /// The procedure it belongs to.
    pub procedure: Procedure,
    /// Number of days.
    pub days: u32,
    /// `calendar`, `working` or `unverified`.
    pub day_kind: String,
}

/// The French FDI rules, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FdiRules {
    /// EEA states outside the EU.
    pub eea_extra: Vec<String>,
    /// Who is a foreign investor.
    pub foreign_investor: Vec<FdiRecord>,
    /// Covered transactions.
    pub transactions: Vec<TransactionRule>,
    /// Sensitive activities.
    pub activities: Vec<ActivityRule>,
    /// Time limits.
    pub deadlines: Vec<DeadlineRule>,
    /// Consequences of investing without a required authorisation.
    pub consequences: Vec<FdiRecord>,
}

/// Checks the raw data: every problem as (where, what); `cite` checks a citation (the loader's).
pub(crate) fn build(
    raw: RawFdi,
    known_country: &dyn Fn(&str) -> bool,
    cite: &mut dyn FnMut(&str, &RawCite),
) -> Result<FdiRules, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let mut record = |at: String, id: String, r: RawCite, text: String, source, verified| {
        cite(&at, &r);
        if text.trim().is_empty() {
            problems.push((at.clone(), "empty text".to_owned()));
        }
        FdiRecord {
            id,
            text,
            act: r.act,
            provision: r.provision,
            source,
            verified,
        }
    };
    let foreign_investor = raw
        .foreign_investor
        .into_iter()
        .map(|r| {
            record(
                format!("foreign_investor {}", r.id),
                r.id,
                r.cite,
                r.text,
                r.source,
                r.verified,
            )
        })
        .collect();
    let consequences = raw
        .consequence
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            record(
                format!("consequence {}", i + 1),
                r.id,
                r.cite,
                r.text,
                r.source,
                r.verified,
            )
        })
        .collect();
    let mut transactions = Vec::new();
    let mut bad = Vec::new();
    for t in raw.transaction {
        let at = format!("transaction {}", t.id);
        let kind = match t.kind.as_str() {
            "control" => Some(TransactionKind::Control),
            "branch_of_activity" => Some(TransactionKind::BranchOfActivity),
            "french_branch" => Some(TransactionKind::FrenchBranch),
            "voting_rights" => Some(TransactionKind::VotingRights),
            _ => None,
        };
        let procedure = Procedure::parse(t.procedure.as_deref());
        let rec = record(at.clone(), t.id, t.cite, t.text, t.source, t.verified);
        match (kind, procedure) {
            (Some(kind), Some(procedure)) => {
                if (kind == TransactionKind::VotingRights)
                    != t.percent.is_some_and(|p| (1..=100).contains(&p))
                {
                    bad.push((
                        at,
                        "percent (1 to 100) is required for, and only for, kind voting_rights"
                            .to_owned(),
                    ));
                }
                transactions.push(TransactionRule {
                    record: rec,
                    kind,
                    percent: t.percent,
                    non_eu_eea_only: t.non_eu_eea_only,
                    listed_only: t.listed_only,
                    procedure,
                });
            }
            _ => bad.push((
                at,
                format!(
                    "kind `{}` / procedure `{}`: expected control, branch_of_activity, french_branch or voting_rights / authorisation or notification",
                    t.kind,
                    t.procedure.as_deref().unwrap_or("authorisation")
                ),
            )),
        }
    }
    let activities = raw
        .activity
        .into_iter()
        .map(|a| ActivityRule {
            record: record(
                format!("activity {}", a.id),
                a.id,
                a.cite,
                a.text,
                a.source,
                a.verified,
            ),
            text_fr: a.text_fr,
        })
        .collect();
    let mut deadlines = Vec::new();
    for d in raw.deadline {
        let at = format!("deadline {}", d.id);
        let procedure = Procedure::parse(Some(&d.procedure));
        if !["calendar", "working", "unverified"].contains(&d.day_kind.as_str()) {
            bad.push((
                at.clone(),
                format!(
                    "day_kind `{}`: expected calendar, working or unverified",
                    d.day_kind
                ),
            ));
        }
        let rec = record(at.clone(), d.id, d.cite, d.text, d.source, d.verified);
        match procedure {
            Some(procedure) => deadlines.push(DeadlineRule {
                record: rec,
                procedure,
                days: d.days,
                day_kind: d.day_kind,
            }),
            None => bad.push((at, format!("procedure `{}`", d.procedure))),
        }
    }
    problems.extend(bad);
    for c in &raw.eea_extra {
        if !known_country(c) {
            problems.push(("eea_extra".to_owned(), format!("`{c}` is not a country")));
        }
    }
    if problems.is_empty() {
        Ok(FdiRules {
            eea_extra: raw.eea_extra,
            foreign_investor,
            transactions,
            activities,
            deadlines,
            consequences,
        })
    } else {
        Err(problems)
    }
}

// ---------------------------------------------------------------------------------------------
// The questionnaire.

/// One member of the investor's control chain (the investor itself first, then each entity or
/// person controlling it, up to the ultimate controller).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChainMember {
    /// Name.
    pub name: String,
    /// `person` or `entity`.
    pub kind: String,
    /// A person's nationality, or the country whose law governs an entity (ISO alpha-2).
    pub country: String,
    /// For a French national: tax-resident in France.
    #[serde(default)]
    pub french_tax_resident: bool,
}

/// The questionnaire.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FdiQuestionnaire {
    /// The target's name.
    #[serde(default)]
    pub target: String,
    /// `french_entity` (an entity governed by French law) or `french_branch` (a French
    /// establishment of a foreign entity).
    pub target_kind: String,
    /// The target's shares are admitted to trading on a regulated market.
    #[serde(default)]
    pub listed: bool,
    /// The investor and its control chain, investor first.
    pub chain: Vec<ChainMember>,
    /// The investment gives control (Art. L. 233-3 of the Code de commerce).
    #[serde(default)]
    pub acquires_control: bool,
    /// The investment acquires all or part of a branch of activity.
    #[serde(default)]
    pub acquires_branch_of_activity: bool,
    /// Voting rights held before, in percent (directly or indirectly, alone or in concert).
    #[serde(default)]
    pub voting_rights_before: f64,
    /// Voting rights held after, in percent.
    #[serde(default)]
    pub voting_rights_after: f64,
    /// The target's activities (ids of `law/fr-fdi.toml`'s activities).
    #[serde(default)]
    pub activities: Vec<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FdiAssessment {
    /// `authorisation_required`, `notification_required` or `not_required`.
    pub outcome: String,
    /// Why, in plain words, each with its provision.
    pub reasons: Vec<String>,
    /// The members of the chain that make the investor foreign, and why.
    pub foreign_members: Vec<String>,
    /// The covered transactions met.
    pub transactions: Vec<FdiRecord>,
    /// The sensitive activities of the target.
    pub activities: Vec<FdiRecord>,
    /// The procedure's time limits (when something is required).
    pub deadlines: Vec<DeadlineRule>,
    /// What happens without the authorisation (when required).
    pub consequences: Vec<FdiRecord>,
    /// Every provision relied on: `act provision` (UNVERIFIED marked).
    pub citations: Vec<String>,
    /// The warning that the references rest on secondary sources.
    pub verification: String,
}

fn field(path: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        path: path.to_owned(),
        message: message.into(),
    }
}

fn check_input(law: &Law, rules: &FdiRules, q: &FdiQuestionnaire) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !["french_entity", "french_branch"].contains(&q.target_kind.as_str()) {
        errors.push(field(
            "target_kind",
            "expected french_entity (an entity governed by French law) or french_branch (a French establishment of a foreign entity)",
        ));
    }
    if q.chain.is_empty() {
        errors.push(field(
            "chain",
            "give at least the investor (then each member of its control chain)",
        ));
    }
    for (i, m) in q.chain.iter().enumerate() {
        if m.name.trim().is_empty() {
            errors.push(field(&format!("chain[{i}].name"), "required"));
        }
        if !["person", "entity"].contains(&m.kind.as_str()) {
            errors.push(field(
                &format!("chain[{i}].kind"),
                "expected person or entity",
            ));
        }
        if law.country(&m.country).is_none() {
            errors.push(field(
                &format!("chain[{i}].country"),
                format!("`{}` is not an ISO 3166-1 alpha-2 country code", m.country),
            ));
        }
    }
    for (name, v) in [
        ("voting_rights_before", q.voting_rights_before),
        ("voting_rights_after", q.voting_rights_after),
    ] {
        if !v.is_finite() || !(0.0..=100.0).contains(&v) {
            errors.push(field(name, "a percentage from 0 to 100"));
        }
    }
    if q.voting_rights_after < q.voting_rights_before {
        errors.push(field(
            "voting_rights_after",
            "lower than before: a disposal is not an investment to screen",
        ));
    }
    for (i, a) in q.activities.iter().enumerate() {
        if !rules.activities.iter().any(|r| &r.record.id == a) {
            let known: Vec<&str> = rules
                .activities
                .iter()
                .map(|r| r.record.id.as_str())
                .collect();
            errors.push(field(
                &format!("activities[{i}]"),
                format!(
                    "unknown activity `{a}`; expected one of {}",
                    known.join(", ")
                ),
            ));
        }
    }
    errors
}

fn cite_text(r: &FdiRecord) -> String {
    let act = match r.act.as_str() {
        "CMF" => "Code monétaire et financier",
        "2023-1293" => "Décret n° 2023-1293",
        "C.com" => "Code de commerce",
        "C.pén" => "Code pénal",
        other => other,
    };
    if r.verified {
        format!("{act}, {}", r.provision)
    } else {
        format!("{act}, {} [UNVERIFIED]", r.provision)
    }
}

/// Checks a questionnaire against the French FDI rules.
///
/// # Errors
/// [`InputError`] naming every bad field; also when the law set has no `fr-fdi.toml`.
pub fn assess_fdi(law: &Law, q: &FdiQuestionnaire) -> Result<FdiAssessment, InputError> {
    let Some(rules) = law.fr_fdi() else {
        return Err(InputError {
            errors: vec![field(
                "",
                "this law set has no French FDI rules (law/fr-fdi.toml)",
            )],
        });
    };
    let errors = check_input(law, rules, q);
    if !errors.is_empty() {
        return Err(InputError { errors });
    }
    let eu_eea = |c: &str| law.in_group("eu", c) || rules.eea_extra.iter().any(|x| x == c);
    let record = |id: &str| rules.foreign_investor.iter().find(|r| r.id == id);

    // Who makes the investor foreign (any member of the chain).
    let mut foreign_members = Vec::new();
    let mut cited: Vec<&FdiRecord> = Vec::new();
    for m in &q.chain {
        let why = match (m.kind.as_str(), m.country.as_str()) {
            ("entity", "FR") => None,
            ("entity", _) => record("foreign_entity"),
            ("person", "FR") if m.french_tax_resident => None,
            ("person", "FR") => record("french_non_resident"),
            _ => record("foreign_national"),
        };
        if let Some(r) = why {
            foreign_members.push(format!(
                "{} ({}, {}): {} — {}",
                m.name,
                m.kind,
                m.country,
                r.text,
                cite_text(r)
            ));
            if !cited.contains(&r) {
                cited.push(r);
            }
        }
    }
    let non_eu_eea: Vec<&ChainMember> = q.chain.iter().filter(|m| !eu_eea(&m.country)).collect();

    // The covered transactions met.
    let mut met: Vec<&TransactionRule> = Vec::new();
    for t in &rules.transactions {
        let hit = match t.kind {
            TransactionKind::Control => q.acquires_control && q.target_kind == "french_entity",
            TransactionKind::BranchOfActivity => q.acquires_branch_of_activity,
            TransactionKind::FrenchBranch => q.acquires_control && q.target_kind == "french_branch",
            TransactionKind::VotingRights => {
                let p = f64::from(t.percent.unwrap_or(100));
                (!t.non_eu_eea_only || !non_eu_eea.is_empty())
                    && (!t.listed_only || q.listed)
                    && q.voting_rights_before < p
                    && q.voting_rights_after >= p
            }
        };
        if hit {
            met.push(t);
        }
    }
    let activities: Vec<&ActivityRule> = rules
        .activities
        .iter()
        .filter(|a| q.activities.contains(&a.record.id))
        .collect();

    let mut reasons = Vec::new();
    let procedure = met.iter().map(|t| t.procedure).max();
    let outcome = if foreign_members.is_empty() {
        reasons.push(
            "No member of the control chain is a foreign investor (every person is French and tax-resident in France, every entity is governed by French law): the prior-authorisation regime does not apply.".to_owned(),
        );
        "not_required"
    } else if met.is_empty() {
        reasons.push(format!(
            "The investor is foreign, but the investment is none of the covered transactions: it gives no control, acquires no branch of activity, and {} no voting-rights threshold applying to it.",
            if non_eu_eea.is_empty() {
                "(the whole chain being EU/EEA) crosses"
            } else {
                "crosses"
            }
        ));
        "not_required"
    } else if activities.is_empty() {
        reasons.push(
            "The investment is covered, but none of the target's activities is a sensitive activity: no prior authorisation is needed (check the list of activities with counsel: it is longer than Vigil's).".to_owned(),
        );
        "not_required"
    } else {
        for t in &met {
            reasons.push(format!(
                "Covered transaction: {} ({}).",
                t.record.text,
                cite_text(&t.record)
            ));
        }
        for a in &activities {
            reasons.push(format!(
                "Sensitive activity of the target: {} ({}).",
                a.record.text,
                cite_text(&a.record)
            ));
        }
        match procedure {
            Some(Procedure::Notification) => {
                reasons.push("Only the 10 % threshold of a listed company is crossed: notify the Minister of the Economy beforehand; the Minister may require a full authorisation.".to_owned());
                "notification_required"
            }
            _ => {
                reasons.push("Prior authorisation of the Minister of the Economy (Direction générale du Trésor) is required before the investment is made.".to_owned());
                "authorisation_required"
            }
        }
    };
    let required = outcome != "not_required";
    let deadlines: Vec<DeadlineRule> = if required {
        rules
            .deadlines
            .iter()
            .filter(|d| Some(d.procedure) == procedure || d.procedure == Procedure::Authorisation)
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let consequences = if required {
        rules.consequences.clone()
    } else {
        Vec::new()
    };
    let mut citations: Vec<String> = Vec::new();
    let all = cited
        .into_iter()
        .chain(met.iter().map(|t| &t.record))
        .chain(activities.iter().map(|a| &a.record))
        .chain(deadlines.iter().map(|d| &d.record))
        .chain(consequences.iter());
    for r in all {
        let c = cite_text(r);
        if !citations.contains(&c) {
            citations.push(c);
        }
    }
    Ok(FdiAssessment {
        outcome: outcome.to_owned(),
        reasons,
        foreign_members,
        transactions: met.iter().map(|t| t.record.clone()).collect(),
        activities: activities.iter().map(|a| a.record.clone()).collect(),
        deadlines,
        consequences,
        citations,
        verification: "Every legal reference of this answer comes from secondary sources (the fact sheet, §8), not from the text of the Code: confirm with counsel or the Direction générale du Trésor before relying on it.".to_owned(),
    })
}

/// A citation of the law's acts (for the loader: checks the act exists).
pub(crate) fn cite_of(raw: &RawCite) -> Cite {
    Cite::new(&raw.act, &raw.provision)
}
