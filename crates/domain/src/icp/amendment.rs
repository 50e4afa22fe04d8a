//! Amendments of a licence by its authority: new terms, checked by the same rules as at
//! registration ([`LicenceTermsInput::check`], validity limits of Art. 12(3) of Regulation (EU)
//! 2021/821), and checked against what operations already drew on the licence.
//!
//! - [`LicenceAmendmentInput::apply`] merges what the amendment states into the current terms
//!   (a field left out is unchanged; the kind, number and authority never change) and validates
//!   the result; every bad field is named (`valid_until`, `quotas[0].total`, `reference` …).
//! - [`check_against_drawn`] refuses new terms that contradict the draw-down history:
//!   - a quota lowered below what is already drawn in its unit (the message names the unit);
//!   - a quota removed from a unit something was drawn in (the draw-downs would lose their limit);
//!   - a validity that no longer contains a day a draw-down was made on.
//!
//!   Narrowing the scope (removing an Annex I entry, a destination or an end user) is accepted:
//!   it binds the draw-downs to come, and the earlier ones stay as they were checked, with the
//!   terms before the amendment kept in its history.
//! - [`changes`] lists what changed, for the audit row and the history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::assess::input::{FieldError, parse_date};
use crate::icp::licence::{LicenceTerms, LicenceTermsInput, QuotaInput, QuotaUnit};
use crate::law::Law;

/// An amendment as typed (form or JSON API): the authority's reference and date, and the terms
/// it changes (each left out is unchanged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceAmendmentInput {
    /// The authority's reference of the amendment (required).
    pub reference: String,
    /// The day the authority amended the licence, `YYYY-MM-DD` (required).
    pub date: String,
    /// New first day of validity, `YYYY-MM-DD`.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// New last day of validity, `YYYY-MM-DD` (Art. 12(3): up to two years from the first day,
    /// four for a large project).
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Large project authorisation (Art. 2(14)).
    #[serde(default)]
    pub large_project: Option<bool>,
    /// The Annex I entries covered, in full.
    #[serde(default)]
    pub entries: Option<Vec<String>>,
    /// The countries of destination, in full.
    #[serde(default)]
    pub destinations: Option<Vec<String>>,
    /// The end users, in full.
    #[serde(default)]
    pub end_users: Option<Vec<String>>,
    /// The quotas, in full (EUR: euros).
    #[serde(default)]
    pub quotas: Option<Vec<QuotaInput>>,
    /// The conditions, in full.
    #[serde(default)]
    pub conditions: Option<String>,
    /// The reporting duties, in full.
    #[serde(default)]
    pub reporting: Option<String>,
}

/// A validated amendment: its reference, date and the licence's new terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceAmendment {
    /// The authority's reference.
    pub reference: String,
    /// The day of the amendment.
    pub date: Date,
    /// The terms after the amendment.
    pub terms: LicenceTerms,
}

/// One changed term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TermChange {
    /// The term (`valid_until`, `quotas.seats`, `entries` …).
    pub field: String,
    /// Before (empty: none).
    pub before: String,
    /// After (empty: none).
    pub after: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        path: path.into(),
        message: message.into(),
    }
}

impl LicenceAmendmentInput {
    /// The amendment applied to `current`: the new terms validated by the rules of registration
    /// (Art. 12 of Regulation (EU) 2021/821), the reference and date checked.
    ///
    /// # Errors
    /// Every bad field, named as in the input.
    pub fn apply(
        &self,
        current: &LicenceTerms,
        law: &Law,
    ) -> Result<LicenceAmendment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let reference = self.reference.trim();
        if reference.is_empty()
            || reference.chars().count() > 100
            || reference.chars().any(char::is_control)
        {
            errors.push(err(
                "reference",
                "1 to 100 characters (the authority's reference of the amendment)",
            ));
        }
        let date = match parse_date(self.date.trim()) {
            Ok(d) => Some(d),
            Err(m) => {
                errors.push(err("date", m));
                None
            }
        };
        let mut input: LicenceTermsInput = current.to_input();
        if let Some(v) = &self.valid_from {
            input.valid_from.clone_from(v);
        }
        if let Some(v) = &self.valid_until {
            input.valid_until.clone_from(v);
        }
        if let Some(v) = self.large_project {
            input.large_project = v;
        }
        if let Some(v) = &self.entries {
            input.entries.clone_from(v);
        }
        if let Some(v) = &self.destinations {
            input.destinations.clone_from(v);
        }
        if let Some(v) = &self.end_users {
            input.end_users.clone_from(v);
        }
        if let Some(v) = &self.quotas {
            input.quotas.clone_from(v);
        }
        if let Some(v) = &self.conditions {
            input.conditions.clone_from(v);
        }
        if let Some(v) = &self.reporting {
            input.reporting.clone_from(v);
        }
        let terms = match input.check(law) {
            Ok(t) => Some(t),
            Err(es) => {
                errors.extend(es);
                None
            }
        };
        match (terms, date) {
            (Some(terms), Some(date)) if errors.is_empty() => Ok(LicenceAmendment {
                reference: reference.to_owned(),
                date,
                terms,
            }),
            _ => Err(errors),
        }
    }

    /// The index of a unit's line in the amendment's quotas (for the error's path).
    fn quota_index(&self, unit: QuotaUnit) -> Option<usize> {
        self.quotas
            .as_ref()?
            .iter()
            .position(|q| QuotaUnit::parse(&q.unit) == Some(unit))
    }
}

/// What was drawn on a licence: per unit (EUR in cents) and the first and last days drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrawnSoFar {
    /// Drawn per unit.
    pub per_unit: BTreeMap<QuotaUnit, i64>,
    /// The first day a draw-down was made on.
    pub first_day: Option<Date>,
    /// The last day a draw-down was made on.
    pub last_day: Option<Date>,
}

/// Refuses new terms that contradict what was already drawn (see the module's rules). `input`
/// names the fields in the errors.
///
/// # Errors
/// Every contradiction, naming the field and, for quotas, the unit.
pub fn check_against_drawn(
    input: &LicenceAmendmentInput,
    new: &LicenceTerms,
    drawn: &DrawnSoFar,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for (unit, used) in &drawn.per_unit {
        if *used <= 0 {
            continue;
        }
        let path = input
            .quota_index(*unit)
            .map_or_else(|| "quotas".to_owned(), |i| format!("quotas[{i}].total"));
        match new.quota(*unit) {
            Some(q) if q.total < *used => errors.push(err(
                path,
                format!(
                    "the {} quota cannot be lowered to {}: {} are already drawn on this licence",
                    unit.as_str(),
                    unit.show(q.total),
                    unit.show(*used)
                ),
            )),
            Some(_) => {}
            None => errors.push(err(
                path,
                format!(
                    "the {} quota cannot be removed: {} are already drawn on this licence",
                    unit.as_str(),
                    unit.show(*used)
                ),
            )),
        }
    }
    if let Some(first) = drawn.first_day
        && new.valid_from > first
    {
        errors.push(err(
            "valid_from",
            format!(
                "a draw-down was made on {first}: the validity cannot start after it (Art. 12(3) of Regulation (EU) 2021/821)"
            ),
        ));
    }
    if let Some(last) = drawn.last_day
        && new.valid_until < last
    {
        errors.push(err(
            "valid_until",
            format!(
                "a draw-down was made on {last}: the validity cannot end before it (Art. 12(3) of Regulation (EU) 2021/821)"
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn change(out: &mut Vec<TermChange>, field: &str, before: String, after: String) {
    if before != after {
        out.push(TermChange {
            field: field.to_owned(),
            before,
            after,
        });
    }
}

/// What changed from `old` to `new`, term by term (quotas per unit, `quotas.seats`; amounts in
/// the unit's words, `1000.00 EUR`).
#[must_use]
pub fn changes(old: &LicenceTerms, new: &LicenceTerms) -> Vec<TermChange> {
    let mut out = Vec::new();
    change(
        &mut out,
        "valid_from",
        old.valid_from.to_string(),
        new.valid_from.to_string(),
    );
    change(
        &mut out,
        "valid_until",
        old.valid_until.to_string(),
        new.valid_until.to_string(),
    );
    change(
        &mut out,
        "large_project",
        old.large_project.to_string(),
        new.large_project.to_string(),
    );
    let codes = |t: &LicenceTerms| {
        t.entries
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    change(&mut out, "entries", codes(old), codes(new));
    change(
        &mut out,
        "destinations",
        old.destinations.join(", "),
        new.destinations.join(", "),
    );
    change(
        &mut out,
        "end_users",
        old.end_users.join("; "),
        new.end_users.join("; "),
    );
    for unit in QuotaUnit::ALL {
        let show = |t: &LicenceTerms| {
            t.quota(unit)
                .map(|q| unit.show(q.total))
                .unwrap_or_default()
        };
        change(
            &mut out,
            &format!("quotas.{}", unit.as_str()),
            show(old),
            show(new),
        );
    }
    change(
        &mut out,
        "conditions",
        old.conditions.clone(),
        new.conditions.clone(),
    );
    change(
        &mut out,
        "reporting",
        old.reporting.clone(),
        new.reporting.clone(),
    );
    out
}
