//! `assess`: the decision for one export operation.
//!
//! Order of the analysis, per item (the top-level decision is the most restrictive over items):
//! 1. sanctions overlays ([`sanctions`]): bans and monitoring-equipment authorisation regimes;
//! 2. the rule for the operation type: exports ([`export`]: Art. 3 and Annex II for listed items,
//!    Arts 4 and 5 for non-listed ones), intra-EU transfers (Art. 11, Annex IV), brokering
//!    (Art. 6), technical assistance (Art. 8) and transit (Art. 7) in [`services`];
//! 3. red flags found in the operation's facts ([`red_flags`]).
//!
//! Every step records the rule, its legal source and the facts that triggered it.

mod export;
pub mod input;
mod outcome;
pub mod red_flags;
mod sanctions;
mod services;
mod ugea;

use std::collections::BTreeSet;

use serde::Serialize;
use time::Date;

use crate::law::{Cite, Law, OperationType};
pub use input::{FieldError, InputError, Operation, OperationInput};
use outcome::Outcome;
pub use outcome::{AuthorisationKind, Decision};

/// A citation as printed: the act's short name (which contains its number) and the provision.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CitationOut {
    /// `Regulation (EU) 2021/821`.
    pub act: String,
    /// `Art. 5(2)`.
    pub provision: String,
}

/// The authorisation the decision rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorisationOut {
    /// `EU001`…`EU008`, `individual`, `global` or `none`.
    pub kind: String,
    /// Conditions and duties that come with it.
    pub conditions: Vec<String>,
}

/// The decision for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemDecision {
    /// The item's id.
    pub id: String,
    /// Decision.
    pub decision: Decision,
    /// Authorisation kind.
    pub authorisation: String,
    /// Provisions applied.
    pub citations: Vec<CitationOut>,
    /// Reasons, in plain words.
    pub reasons: Vec<String>,
}

/// A red flag found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedFlagOut {
    /// Code (see `law/red-flags.toml`).
    pub code: String,
    /// What it means and what to do.
    pub text: String,
}

/// Overall risk of the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Risk {
    /// Nothing found.
    Low,
    /// A licence is needed or red flags were found.
    Medium,
    /// Prohibited, held, notification due, or concerns declared.
    High,
}

/// The assessment of one operation (the contract's output).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    /// The operation's reference.
    pub reference: Option<String>,
    /// The date the law was applied at.
    pub date: String,
    /// Operation type.
    #[serde(rename = "type")]
    pub operation_type: OperationType,
    /// Top-level decision.
    pub decision: Decision,
    /// Authorisation.
    pub authorisation: AuthorisationOut,
    /// Per-item decisions.
    pub items: Vec<ItemDecision>,
    /// Red flags.
    pub red_flags: Vec<RedFlagOut>,
    /// Screening hits on the parties (empty when no list was screened).
    pub screening: Vec<ScreeningHit>,
    /// Every provision applied.
    pub citations: Vec<CitationOut>,
    /// Reasons, in plain words.
    pub reasons: Vec<String>,
    /// Overall risk.
    pub risk: Risk,
    /// Law version.
    pub law_version: String,
    /// How long the records of this operation must be kept (Art. 27); absent when Art. 27 does
    /// not apply (a transfer within the Union of a non-listed item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordKeeping>,
}

/// The record-keeping duty of an operation (Art. 27 of Regulation (EU) 2021/821).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordKeeping {
    /// Keep the records until at least this date (`YYYY-MM-DD`, the 31 December of the last
    /// year of the period).
    pub retain_until: String,
    /// The period in years from the end of the calendar year of the operation (Art. 27(3): five;
    /// Art. 27(4): three for transfers within the Union).
    pub years: i32,
    /// The provision.
    pub provision: String,
}

/// A screening hit on one party of the operation, as the assessment records it. Produced by the
/// screening engine (a separate crate); the domain only decides what a hit means.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningHit {
    /// The party's role (`end_user` …).
    pub role: String,
    /// The party's name as given in the operation.
    pub party: String,
    /// The list (`un`, `eu`, `ofac` …) and its version.
    pub list: String,
    /// The list's own identifier of the entry (UN reference number, EU logicalId …).
    pub entry_id: String,
    /// The listed entity's primary name.
    pub name: String,
    /// The alias that matched best.
    pub matched_alias: String,
    /// Match score, 0–1.
    pub score: f64,
    /// Why it matched, in words.
    pub why: String,
    /// A person has reviewed the hit and cleared it as a false match.
    pub cleared: bool,
}

/// Records screening hits on an assessment: any hit at or above `threshold` that nobody has
/// cleared puts the operation on hold until it is reviewed (an exporter may not deal with a
/// listed person, and must know who it deals with).
pub fn apply_screening(a: &mut Assessment, hits: Vec<ScreeningHit>, threshold: f64) {
    let open: Vec<&ScreeningHit> = hits
        .iter()
        .filter(|h| !h.cleared && h.score >= threshold)
        .collect();
    if !open.is_empty() {
        if a.decision < Decision::Hold {
            a.decision = Decision::Hold;
            a.authorisation.kind = AuthorisationKind::None.as_str().to_owned();
        }
        a.risk = Risk::High;
        for h in &open {
            a.reasons.push(format!(
                "Screening: the {} `{}` matches `{}` ({} entry {}, score {:.2} ≥ alert threshold {threshold:.2}; {}): hold until a person has reviewed the hit and cleared it or confirmed it.",
                h.role.replace('_', " "),
                h.party,
                h.name,
                h.list,
                h.entry_id,
                h.score,
                h.why
            ));
        }
        a.authorisation
            .conditions
            .insert(0, "Do not proceed until every screening hit has been reviewed: a confirmed match on a sanctions list means the parties' assets may be frozen and no item may be made available to them.".to_owned());
    }
    a.screening = hits;
}

/// Context shared by the rule modules.
pub(crate) struct Ctx<'a> {
    pub law: &'a Law,
    pub op: &'a Operation,
}

impl Ctx<'_> {
    /// Applies a rule of `law/rules.toml` to an outcome: cites it, and says so when it rests on an
    /// unverified fact.
    pub fn rule(&self, o: &mut Outcome, id: &str) {
        if let Some(r) = self.law.rule(id) {
            o.cite(r.cite.clone());
            if !r.verified {
                o.reason(format!(
                    "[UNVERIFIED] {} ({}) rests on a fact the fact sheet marks unverified.",
                    r.title, r.cite.provision
                ));
            }
        }
    }

    /// Cites a provision of an act.
    pub fn cite(o: &mut Outcome, act: &str, provision: &str) {
        o.cite(Cite::new(act, provision));
    }

    /// Name and country of the competent authority for the exporter.
    pub fn authority(&self) -> String {
        let c = &self.op.exporter_country;
        match self.law.authority(c) {
            Some(a) if a.verified => a.name.clone(),
            Some(a) => format!("{} [authority name UNVERIFIED]", a.name),
            None => format!("the competent authority of {c}"),
        }
    }

    /// The date the exporter must keep records until (Art. 27(3)/(4)).
    pub fn retention(&self, years: i32) -> String {
        format!("31 December {}", self.op.date.year() + years)
    }
}

/// Assesses an operation that has been checked against `law`.
#[must_use]
pub fn assess(law: &Law, op: &Operation) -> Assessment {
    let ctx = Ctx { law, op };
    let mut item_outcomes = Vec::new();
    for item in &op.items {
        let mut o = Outcome::new();
        sanctions::apply(&ctx, item, &mut o);
        match op.operation_type {
            t if t.is_export() => export::apply(&ctx, item, &mut o),
            OperationType::IntraEuTransfer => services::intra_eu_transfer(&ctx, item, &mut o),
            OperationType::Brokering => services::brokering(&ctx, item, &mut o),
            OperationType::TechnicalAssistance => {
                services::technical_assistance(&ctx, item, &mut o)
            }
            _ => services::transit(&ctx, item, &mut o),
        }
        item_outcomes.push((item, o));
    }
    let flags = red_flags::detect(&ctx);

    let decision = item_outcomes
        .iter()
        .map(|(_, o)| o.decision)
        .max()
        .unwrap_or(Decision::NoLicenceRequired);
    let kind = item_outcomes
        .iter()
        .filter(|(_, o)| o.decision == decision)
        .map(|(_, o)| o.kind.clone())
        .next()
        .unwrap_or(AuthorisationKind::None);
    let mut conditions = Vec::new();
    let mut cites = BTreeSet::new();
    let mut reasons = Vec::new();
    for (item, o) in &item_outcomes {
        if decision == Decision::Prohibited && o.decision != Decision::Prohibited {
            // The operation cannot go ahead: the other items' licence duties would mislead.
            cites.extend(o.cites.iter().cloned());
            for r in &o.reasons {
                reasons.push(format!("{}: {r}", item.id));
            }
            continue;
        }
        for c in o.final_conditions() {
            if !conditions.contains(c) {
                conditions.push(c.clone());
            }
        }
        cites.extend(o.cites.iter().cloned());
        for r in &o.reasons {
            reasons.push(format!("{}: {r}", item.id));
        }
    }
    // Record keeping (Art. 27): exports, brokering and technical assistance five years; transfers
    // within the Union of Annex I items three years; nothing for other transfers.
    let transfer = op.operation_type == OperationType::IntraEuTransfer;
    let listed = op.items.iter().any(input::Item::is_listed);
    let mut records = None;
    if !transfer || listed {
        let (years, provision, what) = if transfer {
            (3, "Art. 27(4)", "the transfer documents and records")
        } else if matches!(
            op.operation_type,
            OperationType::Brokering | OperationType::TechnicalAssistance
        ) {
            (
                5,
                "Art. 27(2)",
                "records of the items, the period of the services, the destination and the countries concerned",
            )
        } else {
            (
                5,
                "Art. 27(1)",
                "records of the items, quantities, exporter and consignee, end use and end user",
            )
        };
        conditions.push(format!(
            "Keep {what} until at least {} ({provision}, 27(3): {years} years from the end of the calendar year).",
            ctx.retention(years)
        ));
        records = Some(RecordKeeping {
            retain_until: format!("{}-12-31", op.date.year() + years),
            years,
            provision: if transfer {
                "Art. 27(4)".to_owned()
            } else {
                format!("{provision} and Art. 27(3)")
            },
        });
        cites.insert(Cite::new("2021/821", provision));
        if !transfer {
            cites.insert(Cite::new("2021/821", "Art. 27(3)"));
        }
    }
    let risk = if decision >= Decision::NotifyAuthority || !op.all_concerns().is_empty() {
        Risk::High
    } else if decision == Decision::LicenceRequired || !flags.is_empty() {
        Risk::Medium
    } else {
        Risk::Low
    };
    let cite_out = |c: &Cite| CitationOut {
        act: law.act_name(&c.act),
        provision: c.provision.clone(),
    };
    let items = item_outcomes
        .iter()
        .map(|(item, o)| ItemDecision {
            id: item.id.clone(),
            decision: o.decision,
            authorisation: o.kind.as_str().to_owned(),
            citations: o.cites.iter().map(cite_out).collect(),
            reasons: o.reasons.clone(),
        })
        .collect();
    Assessment {
        reference: op.reference.clone(),
        date: op.date.to_string(),
        operation_type: op.operation_type,
        decision,
        authorisation: AuthorisationOut {
            kind: kind.as_str().to_owned(),
            conditions,
        },
        items,
        red_flags: flags,
        screening: Vec::new(),
        citations: cites.iter().map(cite_out).collect(),
        reasons,
        risk,
        law_version: law.version().to_owned(),
        records,
    }
}

/// Parses JSON text into an operation input, reporting the JSON path of a bad field.
///
/// # Errors
/// [`InputError`] naming the path and what was expected.
pub fn parse_operation_json(text: &str) -> Result<OperationInput, InputError> {
    crate::assess::input::parse_json(text)
}

/// Parses and checks an operation, then assesses it.
///
/// # Errors
/// [`InputError`] when the input is not valid.
pub fn assess_json(law: &Law, text: &str, today: Date) -> Result<Assessment, InputError> {
    let input = parse_operation_json(text)?;
    let op = input.check(law, today)?;
    Ok(assess(law, &op))
}
