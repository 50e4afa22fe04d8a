//! The deadlines of an organisation's authorisations: the duties of the Union general export
//! authorisations it uses (Annex II of Regulation (EU) 2021/821, read from the law data:
//! `duties` of kind `register`, `notify_first_use` with its `days` and `timing`, and `report`
//! with its `period`) and the expiry of its licences (Art. 12(3)).
//!
//! Nothing is hard-coded per authorisation: EU001's notice "within 30 days after" the first
//! export, EU007's "at least 30 days before" and EU008's "at least 10 days before" all come from
//! `law/annex-ii.toml`.

use serde::Serialize;
use time::Date;

use super::licence::{LicenceTerms, add_years};
use crate::law::{Cite, Law};

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeadlineKind {
    /// Register with the competent authority before first use.
    Register,
    /// Notify the competent authority of the first use.
    NotifyFirstUse,
    /// Report on use.
    Report,
    /// A licence expires.
    LicenceExpiry,
}

impl DeadlineKind {
    /// The contract name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Register => "register",
            DeadlineKind::NotifyFirstUse => "notify_first_use",
            DeadlineKind::Report => "report",
            DeadlineKind::LicenceExpiry => "licence_expiry",
        }
    }
}

/// An organisation's use of one Union general export authorisation, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GeneralAuthorisationUse {
    /// `EU001` … `EU008`.
    pub ugea_id: String,
    /// Registration reference, if registered.
    pub registration_ref: Option<String>,
    /// Date of registration.
    pub registered_on: Option<Date>,
    /// Date of the first use (planned, or done).
    pub first_use: Option<Date>,
    /// Date the notice of first use was sent.
    pub notice_sent_on: Option<Date>,
    /// Date of the last report on use.
    pub last_report_on: Option<Date>,
}

/// One deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// Kind.
    pub kind: DeadlineKind,
    /// What it is about: `EU007`, or the licence number.
    pub subject: String,
    /// Due date (the latest day to act; for a notice "before" the first use, the latest day to
    /// send it).
    pub due: Date,
    /// Already done (registered, notice sent).
    pub done: bool,
    /// Only where the Member State requires it (Annex II: registration under EU001–EU006).
    pub conditional: bool,
    /// The duty in words.
    pub text: String,
    /// Where it is written (act and provision).
    pub cite: Cite,
}

/// The deadlines of one use of a Union general authorisation, from its duties in the law data.
///
/// - `register`: due on the first-use date (registration comes before first use);
///   `conditional` when the data says it applies only if the Member State requires it;
/// - `notify_first_use`: `days` after the first use (`timing = "after"`) or `days` before it
///   (`timing = "before"`);
/// - `report` with `period = "yearly"`: one year after the last report, or after the first use.
///
/// Without a first-use date there is nothing to compute (an empty list); an unknown id too.
#[must_use]
pub fn ugea_deadlines(law: &Law, u: &GeneralAuthorisationUse) -> Vec<Deadline> {
    let Some(ugea) = law.ugeas().iter().find(|g| g.id == u.ugea_id) else {
        return Vec::new();
    };
    let Some(first_use) = u.first_use else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for duty in &ugea.duties {
        let cite = Cite::new(
            &ugea.cite.act,
            duty.provision.as_deref().unwrap_or(&ugea.cite.provision),
        );
        match duty.kind.as_str() {
            "register" => out.push(Deadline {
                kind: DeadlineKind::Register,
                subject: ugea.id.clone(),
                due: first_use,
                done: u.registered_on.is_some() || u.registration_ref.is_some(),
                conditional: duty.text.trim_start().starts_with("Only if"),
                text: duty.text.clone(),
                cite,
            }),
            "notify_first_use" => {
                let days = i64::from(duty.days.unwrap_or(0));
                let due = if duty.timing.as_deref() == Some("before") {
                    first_use.checked_sub(time::Duration::days(days))
                } else {
                    first_use.checked_add(time::Duration::days(days))
                };
                if let Some(due) = due {
                    out.push(Deadline {
                        kind: DeadlineKind::NotifyFirstUse,
                        subject: ugea.id.clone(),
                        due,
                        done: u.notice_sent_on.is_some(),
                        conditional: false,
                        text: duty.text.clone(),
                        cite,
                    });
                }
            }
            "report" if duty.period.as_deref() == Some("yearly") => {
                let from = u.last_report_on.unwrap_or(first_use);
                out.push(Deadline {
                    kind: DeadlineKind::Report,
                    subject: ugea.id.clone(),
                    due: add_years(from, 1),
                    done: false,
                    conditional: false,
                    text: duty.text.clone(),
                    cite,
                });
            }
            _ => {}
        }
    }
    out.sort_by_key(|d| d.due);
    out
}

/// The expiry of a licence (last day of validity, Art. 12(3)).
#[must_use]
pub fn licence_deadlines(terms: &LicenceTerms) -> Vec<Deadline> {
    vec![Deadline {
        kind: DeadlineKind::LicenceExpiry,
        subject: terms.number.clone(),
        due: terms.valid_until,
        done: false,
        conditional: false,
        text: format!(
            "Licence {} ({}) expires: apply for a new one before this day",
            terms.number, terms.authority
        ),
        cite: Cite::new("2021/821", "Art. 12(3)"),
    }]
}

/// The deadlines not done and due from `today` to `today + horizon_days` (inclusive), plus the
/// overdue ones (due before today, not done), soonest first.
#[must_use]
pub fn upcoming(deadlines: &[Deadline], today: Date, horizon_days: i64) -> Vec<Deadline> {
    let end = today
        .checked_add(time::Duration::days(horizon_days))
        .unwrap_or(Date::MAX);
    let mut out: Vec<Deadline> = deadlines
        .iter()
        .filter(|d| !d.done && d.due <= end)
        .filter(|d| d.kind != DeadlineKind::LicenceExpiry || d.due >= today)
        .cloned()
        .collect();
    out.sort_by(|a, b| a.due.cmp(&b.due).then(a.subject.cmp(&b.subject)));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use time::macros::date;

    fn use_of(id: &str) -> GeneralAuthorisationUse {
        GeneralAuthorisationUse {
            ugea_id: id.into(),
            first_use: Some(date!(2026 - 06 - 01)),
            ..GeneralAuthorisationUse::default()
        }
    }

    fn due(law: &Law, id: &str, kind: DeadlineKind) -> Option<Date> {
        ugea_deadlines(law, &use_of(id))
            .into_iter()
            .find(|d| d.kind == kind)
            .map(|d| d.due)
    }

    #[test]
    fn notices_follow_the_days_and_timing_of_the_data() {
        let law = Law::embedded().unwrap();
        assert_eq!(
            due(&law, "EU001", DeadlineKind::NotifyFirstUse),
            Some(date!(2026 - 07 - 01))
        );
        assert_eq!(
            due(&law, "EU007", DeadlineKind::NotifyFirstUse),
            Some(date!(2026 - 05 - 02))
        );
        assert_eq!(
            due(&law, "EU008", DeadlineKind::NotifyFirstUse),
            Some(date!(2026 - 05 - 22))
        );
        assert_eq!(
            due(&law, "EU007", DeadlineKind::Report),
            Some(date!(2027 - 06 - 01))
        );
        assert_eq!(due(&law, "EU001", DeadlineKind::Report), None);
        let reg = ugea_deadlines(&law, &use_of("EU001"))
            .into_iter()
            .find(|d| d.kind == DeadlineKind::Register)
            .unwrap();
        assert!(reg.conditional);
        let reg7 = ugea_deadlines(&law, &use_of("EU007"))
            .into_iter()
            .find(|d| d.kind == DeadlineKind::Register)
            .unwrap();
        assert!(!reg7.conditional);
        assert_eq!(reg7.cite.provision, "Annex II Section G Part 3(5)");
    }
}
