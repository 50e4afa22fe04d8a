//! The Art. 5 due-diligence file: a per-transaction review of a cyber-surveillance item, its
//! stakeholders, its destination, the end-use statement and the mitigation, concluded "aware" or
//! "not aware" by an officer (Art. 5(2) of Regulation (EU) 2021/821; Commission Recommendation
//! (EU) 2024/2659).
//!
//! The checklist is data (`law/due-diligence.toml`, a versioned catalogue): its steps, questions
//! (EN/FR), the answers that raise red flags (codes of `law/red-flags.toml`) and the triggers
//! that make a concluded file stale. This module evaluates a file's answers against it: what is
//! missing, which red flags are raised and how serious the file is, what Vigil suggests
//! concluding, whether a conclusion may be signed, and whether a concluded file must be run
//! again. It decides nothing about people: the officer concludes and signs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::assess::FieldError;
use crate::law::{Cite, Law};

// ---------------------------------------------------------------------------------------------
// The catalogue as written.

/// `law/due-diligence.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCatalogue {
    version: String,
    title: String,
    title_fr: String,
    source: RawCite,
    verified: bool,
    trigger: Vec<RawTrigger>,
    step: Vec<RawStep>,
}

/// A citation as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCite {
    pub act: String,
    pub provision: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    id: String,
    #[serde(default)]
    months: Option<u32>,
    text: String,
    text_fr: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: String,
    title: String,
    title_fr: String,
    cite: RawCite,
    questions: Vec<RawQuestion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    kind: String,
    #[serde(default)]
    choices: Vec<String>,
    required: bool,
    text: String,
    text_fr: String,
    #[serde(default)]
    flag: Option<RawFlag>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlag {
    answer: String,
    code: String,
    severity: String,
}

// ---------------------------------------------------------------------------------------------
// The checked catalogue.

/// Kinds of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// `yes` or `no`.
    YesNo,
    /// One of the question's choices.
    Choice,
    /// Free text.
    Text,
    /// Free text naming the documents or sources relied on.
    Evidence,
}

/// How serious a red flag of the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Two of them make the file high risk.
    Medium,
    /// One makes the file high risk.
    High,
}

/// The answer that raises a red flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlagRule {
    /// The answer (`yes`, `no`, or a choice).
    pub answer: String,
    /// Red-flag code (`law/red-flags.toml`).
    pub code: String,
    /// Severity.
    pub severity: Severity,
}

/// A question of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// Id (unique in the catalogue).
    pub id: String,
    /// Kind.
    pub kind: QuestionKind,
    /// The choices of a `choice` question.
    pub choices: Vec<String>,
    /// Needed to conclude.
    pub required: bool,
    /// English.
    pub text: String,
    /// French.
    pub text_fr: String,
    /// The answer that raises a red flag.
    pub flag: Option<FlagRule>,
}

/// A step of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    /// Id.
    pub id: String,
    /// English title.
    pub title: String,
    /// French title.
    pub title_fr: String,
    /// Act of the provision.
    pub act: String,
    /// The provision the step rests on.
    pub provision: String,
    /// Questions.
    pub questions: Vec<Question>,
}

/// A re-run trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trigger {
    /// Id: `new_end_user`, `new_product_release`, `destination_new_measures`, `months_elapsed`.
    pub id: String,
    /// For `months_elapsed`.
    pub months: Option<u32>,
    /// English.
    pub text: String,
    /// French.
    pub text_fr: String,
}

/// The trigger ids Vigil checks (each must be in the catalogue).
pub const TRIGGERS: [&str; 4] = [
    "new_end_user",
    "new_product_release",
    "destination_new_measures",
    "months_elapsed",
];

/// The due-diligence catalogue, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalogue {
    /// Version (files keep the version they were run with).
    pub version: String,
    /// English title.
    pub title: String,
    /// French title.
    pub title_fr: String,
    /// Act of the source.
    pub act: String,
    /// The source provision.
    pub provision: String,
    /// Wording read in the primary text.
    pub verified: bool,
    /// Re-run triggers.
    pub triggers: Vec<Trigger>,
    /// Steps.
    pub steps: Vec<Step>,
}

impl Catalogue {
    /// A question by id, with its step.
    #[must_use]
    pub fn question(&self, id: &str) -> Option<(&Step, &Question)> {
        self.steps
            .iter()
            .find_map(|s| s.questions.iter().find(|q| q.id == id).map(|q| (s, q)))
    }

    /// The months after which a concluded file is stale.
    #[must_use]
    pub fn review_months(&self) -> Option<u32> {
        self.triggers
            .iter()
            .find(|t| t.id == "months_elapsed")
            .and_then(|t| t.months)
    }
}

/// Checks the catalogue; every problem as (where, what). `cite_ok` checks an act id and
/// provision; `flag_ok` that a red-flag code has wording.
pub(crate) fn build(
    raw: RawCatalogue,
    cite_ok: &mut dyn FnMut(&str, &Cite),
    flag_ok: &dyn Fn(&str) -> bool,
) -> Result<Catalogue, Vec<(String, String)>> {
    let mut problems = Vec::new();
    cite_ok("source", &Cite::new(&raw.source.act, &raw.source.provision));
    let mut seen = std::collections::BTreeSet::new();
    let mut steps = Vec::new();
    for s in raw.step {
        let at = format!("step {}", s.id);
        cite_ok(&at, &Cite::new(&s.cite.act, &s.cite.provision));
        let mut questions = Vec::new();
        for q in s.questions {
            let at = format!("step {} question {}", s.id, q.id);
            if !seen.insert(q.id.clone()) {
                problems.push((at.clone(), "question id defined twice".to_owned()));
            }
            let kind = match q.kind.as_str() {
                "yes_no" => QuestionKind::YesNo,
                "choice" => QuestionKind::Choice,
                "text" => QuestionKind::Text,
                "evidence" => QuestionKind::Evidence,
                other => {
                    problems.push((
                        at.clone(),
                        format!("kind `{other}`: expected yes_no, choice, text or evidence"),
                    ));
                    continue;
                }
            };
            if (kind == QuestionKind::Choice) == q.choices.is_empty() {
                problems.push((
                    at.clone(),
                    "choices are required for, and only for, kind choice".to_owned(),
                ));
            }
            let flag = match q.flag {
                None => None,
                Some(f) => {
                    let answer_ok = match kind {
                        QuestionKind::YesNo => f.answer == "yes" || f.answer == "no",
                        QuestionKind::Choice => q.choices.contains(&f.answer),
                        _ => false,
                    };
                    if !answer_ok {
                        problems.push((
                            at.clone(),
                            format!("flag answer `{}` is not a possible answer", f.answer),
                        ));
                    }
                    if !flag_ok(&f.code) {
                        problems.push((
                            at.clone(),
                            format!("flag `{}` has no wording in red-flags.toml", f.code),
                        ));
                    }
                    let severity = match f.severity.as_str() {
                        "high" => Severity::High,
                        "medium" => Severity::Medium,
                        other => {
                            problems.push((
                                at.clone(),
                                format!("severity `{other}`: expected high or medium"),
                            ));
                            Severity::Medium
                        }
                    };
                    Some(FlagRule {
                        answer: f.answer,
                        code: f.code,
                        severity,
                    })
                }
            };
            questions.push(Question {
                id: q.id,
                kind,
                choices: q.choices,
                required: q.required,
                text: q.text,
                text_fr: q.text_fr,
                flag,
            });
        }
        steps.push(Step {
            id: s.id,
            title: s.title,
            title_fr: s.title_fr,
            act: s.cite.act,
            provision: s.cite.provision,
            questions,
        });
    }
    let triggers: Vec<Trigger> = raw
        .trigger
        .into_iter()
        .map(|t| Trigger {
            id: t.id,
            months: t.months,
            text: t.text,
            text_fr: t.text_fr,
        })
        .collect();
    for id in TRIGGERS {
        if !triggers.iter().any(|t| t.id == id) {
            problems.push(("trigger".to_owned(), format!("trigger `{id}` is missing")));
        }
    }
    if let Some(t) = triggers.iter().find(|t| t.id == "months_elapsed")
        && t.months.is_none_or(|m| m == 0)
    {
        problems.push((
            "trigger months_elapsed".to_owned(),
            "months (at least 1) is required".to_owned(),
        ));
    }
    if raw.version.trim().is_empty() {
        problems.push(("version".to_owned(), "required".to_owned()));
    }
    if problems.is_empty() {
        Ok(Catalogue {
            version: raw.version,
            title: raw.title,
            title_fr: raw.title_fr,
            act: raw.source.act,
            provision: raw.source.provision,
            verified: raw.verified,
            triggers,
            steps,
        })
    } else {
        Err(problems)
    }
}

// ---------------------------------------------------------------------------------------------
// A file's evaluation.

/// A red flag raised by an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RaisedFlag {
    /// Red-flag code.
    pub code: String,
    /// Its wording.
    pub text: String,
    /// The question whose answer raised it.
    pub question: String,
    /// Severity.
    pub severity: Severity,
    /// Its source (`act provision`), UNVERIFIED marked.
    pub source: String,
}

/// The file's overall risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FileRisk {
    /// No red flag.
    Low,
    /// One medium red flag.
    Medium,
    /// A high red flag, or two or more medium ones.
    High,
}

/// The two conclusions of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// The exporter is aware that the item is or may be intended for internal repression or
    /// serious violations of human rights or IHL: notify the authority (Art. 5(2)), no export
    /// until it has answered.
    Aware,
    /// No such awareness after due diligence; the file records why.
    NotAware,
}

impl Conclusion {
    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Aware => "aware",
            Conclusion::NotAware => "not_aware",
        }
    }

    /// The conclusion of a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Conclusion> {
        match s {
            "aware" => Some(Conclusion::Aware),
            "not_aware" => Some(Conclusion::NotAware),
            _ => None,
        }
    }
}

/// What Vigil makes of a file's answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    /// The catalogue version applied.
    pub catalogue: String,
    /// Required questions without an answer (ids).
    pub missing: Vec<String>,
    /// Red flags raised.
    pub red_flags: Vec<RaisedFlag>,
    /// Overall risk.
    pub risk: FileRisk,
    /// What Vigil suggests concluding, and why (the officer decides).
    pub suggestion: Conclusion,
    /// Why.
    pub suggestion_reasons: Vec<String>,
}

/// Checks answers against the catalogue: an unknown question, a yes/no answer other than `yes`
/// or `no`, a choice not offered, a text of more than 20,000 characters are errors (path
/// `answers.<id>`). Empty answers count as unanswered.
///
/// # Errors
/// Every bad answer.
pub fn check_answers(
    catalogue: &Catalogue,
    answers: &BTreeMap<String, String>,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for (id, value) in answers {
        let path = format!("answers.{id}");
        let v = value.trim();
        let Some((_, q)) = catalogue.question(id) else {
            errors.push(FieldError {
                path,
                message: format!("no such question in catalogue {}", catalogue.version),
            });
            continue;
        };
        if v.is_empty() {
            continue;
        }
        let ok = match q.kind {
            QuestionKind::YesNo => v == "yes" || v == "no",
            QuestionKind::Choice => q.choices.iter().any(|c| c == v),
            QuestionKind::Text | QuestionKind::Evidence => v.chars().count() <= 20_000,
        };
        if !ok {
            let message = match q.kind {
                QuestionKind::YesNo => "expected yes or no".to_owned(),
                QuestionKind::Choice => format!("expected one of {}", q.choices.join(", ")),
                _ => "at most 20000 characters".to_owned(),
            };
            errors.push(FieldError { path, message });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn source_text(law: &Law, code: &str) -> String {
    law.red_flag(code).map_or_else(String::new, |d| {
        let act = law
            .act(&d.source.act)
            .map_or(d.source.act.as_str(), |a| a.short.as_str());
        if d.verified {
            format!("{act}, {}", d.source.provision)
        } else {
            format!("{act}, {} [UNVERIFIED]", d.source.provision)
        }
    })
}

/// Evaluates a file's answers (checked with [`check_answers`]).
#[must_use]
pub fn evaluate(
    law: &Law,
    catalogue: &Catalogue,
    answers: &BTreeMap<String, String>,
) -> Evaluation {
    let answer = |id: &str| answers.get(id).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut missing = Vec::new();
    let mut red_flags = Vec::new();
    for step in &catalogue.steps {
        for q in &step.questions {
            let a = answer(&q.id);
            if q.required && a.is_none() {
                missing.push(q.id.clone());
            }
            if let (Some(f), Some(a)) = (&q.flag, a)
                && f.answer == a
            {
                red_flags.push(RaisedFlag {
                    code: f.code.clone(),
                    text: law
                        .red_flag(&f.code)
                        .map_or_else(|| f.code.clone(), |d| d.text.clone()),
                    question: q.id.clone(),
                    severity: f.severity,
                    source: source_text(law, &f.code),
                });
            }
        }
    }
    let high = red_flags.iter().any(|f| f.severity == Severity::High);
    let risk = if high || red_flags.len() >= 2 {
        FileRisk::High
    } else if red_flags.is_empty() {
        FileRisk::Low
    } else {
        FileRisk::Medium
    };
    // The suggestion: aware when the item may be a cyber-surveillance item and the file is high
    // risk with a human-rights signal (the destination, prior misuse, or covert customisation).
    let item_in_scope = matches!(answer("art_2_20"), Some("met" | "unknown"))
        || answer("annex_i_entries").is_some_and(|e| !e.eq_ignore_ascii_case("none"));
    let human_rights_signal: Vec<&RaisedFlag> = red_flags
        .iter()
        .filter(|f| {
            matches!(
                f.code.as_str(),
                "destination_repression_documented"
                    | "prior_misuse_reported"
                    | "customisation_for_covert_use"
                    | "stakeholder_security_links"
            )
        })
        .collect();
    let mut suggestion_reasons = Vec::new();
    let suggestion = if item_in_scope && risk == FileRisk::High && !human_rights_signal.is_empty() {
        suggestion_reasons.push(format!(
            "The item may be a cyber-surveillance item (Art. 2(20)) and the file is high risk with a human-rights signal ({}): an exporter aware of a risk of use for internal repression or serious violations of human rights must notify the competent authority and wait for its answer (Art. 5(2) of Regulation (EU) 2021/821).",
            human_rights_signal
                .iter()
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Conclusion::Aware
    } else {
        if !item_in_scope {
            suggestion_reasons.push("The item review does not place the item in Art. 2(20) or Annex I: Art. 5 would not apply (record the evidence).".to_owned());
        }
        if risk != FileRisk::High {
            suggestion_reasons.push(format!(
                "The file's risk is {} ({} red flag(s)).",
                match risk {
                    FileRisk::Low => "low",
                    FileRisk::Medium => "medium",
                    FileRisk::High => "high",
                },
                red_flags.len()
            ));
        } else if human_rights_signal.is_empty() {
            suggestion_reasons.push("The file is high risk but shows no human-rights signal: document why the red flags do not point at internal repression before concluding.".to_owned());
        }
        Conclusion::NotAware
    };
    Evaluation {
        catalogue: catalogue.version.clone(),
        missing,
        red_flags,
        risk,
        suggestion,
        suggestion_reasons,
    }
}

/// Checks that a conclusion may be signed: every required question answered; a `not_aware`
/// conclusion of a high-risk file needs a justification of at least 50 characters (why the red
/// flags do not point at such a use, e.g. the mitigation); the signer's role is checked by the
/// caller (`vigil_domain::access::Action::Decide`).
///
/// # Errors
/// Every reason, as field errors (`answers.<id>`, `justification`).
pub fn check_conclusion(
    evaluation: &Evaluation,
    conclusion: Conclusion,
    justification: &str,
) -> Result<(), Vec<FieldError>> {
    let mut errors: Vec<FieldError> = evaluation
        .missing
        .iter()
        .map(|id| FieldError {
            path: format!("answers.{id}"),
            message: "required before the file can be concluded".to_owned(),
        })
        .collect();
    let justification = justification.trim();
    if justification.is_empty() {
        errors.push(FieldError {
            path: "justification".to_owned(),
            message: "a signed conclusion states its reasons".to_owned(),
        });
    } else if conclusion == Conclusion::NotAware
        && evaluation.risk == FileRisk::High
        && justification.chars().count() < 50
    {
        errors.push(FieldError {
            path: "justification".to_owned(),
            message: "the file is high risk: explain in at least 50 characters why the red flags do not point at internal repression or serious violations of human rights (e.g. the mitigation)".to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// What happened since a file was concluded, for [`rerun_due`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// A party (end user, consignee, intermediary) not in the concluded file.
    pub new_end_user: bool,
    /// A release of the item newer than the one reviewed.
    pub new_product_release: bool,
    /// The destination came under new or changed EU measures.
    pub destination_new_measures: bool,
}

/// The triggers that make a file concluded on `concluded_on` stale on `today` (empty: still
/// good).
#[must_use]
pub fn rerun_due<'c>(
    catalogue: &'c Catalogue,
    concluded_on: Date,
    today: Date,
    changes: &Changes,
) -> Vec<&'c Trigger> {
    let months_elapsed = catalogue.review_months().is_some_and(|m| {
        let (y, mo) = (
            concluded_on.year(),
            u32::from(u8::from(concluded_on.month())),
        );
        let total = mo - 1 + m;
        let year = y + i32::try_from(total / 12).unwrap_or(0);
        let month = time::Month::try_from(u8::try_from(total % 12 + 1).unwrap_or(1))
            .unwrap_or(time::Month::January);
        let day = concluded_on
            .day()
            .min(time::util::days_in_month(month, year));
        Date::from_calendar_date(year, month, day).is_ok_and(|due| today >= due)
    });
    catalogue
        .triggers
        .iter()
        .filter(|t| match t.id.as_str() {
            "new_end_user" => changes.new_end_user,
            "new_product_release" => changes.new_product_release,
            "destination_new_measures" => changes.destination_new_measures,
            "months_elapsed" => months_elapsed,
            _ => false,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reuse of a concluded file for the same item and end user.

/// Why a concluded file may not be the starting point of a new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReuseRefusal {
    /// The file is still open: it has no signed conclusion to start from.
    NotConcluded,
    /// The file was concluded "aware" and the competent authority has not answered its Art. 5(2)
    /// notification yet: the exporter is still aware for this item and end user, and the
    /// authority's answer is the next step, not a fresh file that could conclude otherwise.
    AwaitingAuthority,
}

impl ReuseRefusal {
    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReuseRefusal::NotConcluded => "not_concluded",
            ReuseRefusal::AwaitingAuthority => "awaiting_authority",
        }
    }

    /// Why, in a sentence (English; the pages use their catalogue).
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            ReuseRefusal::NotConcluded => {
                "the file is not concluded: only a file signed by an officer may be the starting point of a new file (Recommendation (EU) 2024/2659)"
            }
            ReuseRefusal::AwaitingAuthority => {
                "the file was concluded \"aware\" and the competent authority has not answered its notification yet: the exporter remains aware for this item and end user (Art. 5(2) of Regulation (EU) 2021/821); record the authority's answer first, or run a new file from scratch"
            }
        }
    }
}

/// Whether a file may be the starting point of a new file for the same item and end user.
///
/// - An open file has no signed conclusion: refused.
/// - A file concluded "not aware" may be reused; the triggers that fired since its conclusion
///   ([`rerun_due`]) say which carried-over answers must be revisited.
/// - A file concluded "aware" is an Art. 5(2) notification in progress. While the authority has
///   not answered, reuse is refused: the exporter's awareness for the item and end user does not
///   lapse because a new operation starts, and a fresh file carrying the same facts must not be
///   a way round the wait (the hold of the first operation stays; the new operation would need
///   its own notification). Once the authority has answered, reuse is allowed: an answer
///   "licence required" already binds every later operation with the same item and end user
///   under Art. 5(1) whatever the new file concludes (the binding answers, applied when the
///   operation is recorded), and an answer "not required" concerned the notified operation only,
///   so the new file still needs its own signed conclusion.
///
/// `authority_answered`: the file's notification has the authority's answer recorded.
#[must_use]
pub fn reuse_refusal(
    concluded: bool,
    conclusion: Option<Conclusion>,
    authority_answered: bool,
) -> Option<ReuseRefusal> {
    match (concluded, conclusion) {
        (false, _) | (true, None) => Some(ReuseRefusal::NotConcluded),
        (true, Some(Conclusion::Aware)) if !authority_answered => {
            Some(ReuseRefusal::AwaitingAuthority)
        }
        (true, Some(_)) => None,
    }
}

/// What starting a new file from a concluded one carries over.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarryOver {
    /// The answers carried over (question id → answer), checked against the current catalogue.
    pub kept: BTreeMap<String, String>,
    /// The answers left behind, with why: the question is no longer in the catalogue, or the
    /// answer is no longer a possible one (a catalogue of another version).
    pub dropped: Vec<(String, String)>,
}

/// The answers of a concluded file that a new file run with `catalogue` starts from: every
/// non-empty answer to a question still in the catalogue and still a possible answer. The
/// conclusion, its reasons and its signature are never carried over: the new file is concluded
/// and signed anew.
#[must_use]
pub fn carry_over(catalogue: &Catalogue, answers: &BTreeMap<String, String>) -> CarryOver {
    let mut out = CarryOver::default();
    for (id, value) in answers {
        let v = value.trim();
        if v.is_empty() {
            continue;
        }
        if catalogue.question(id).is_none() {
            out.dropped.push((
                id.clone(),
                format!("no such question in catalogue {}", catalogue.version),
            ));
            continue;
        }
        let one = BTreeMap::from([(id.clone(), v.to_owned())]);
        match check_answers(catalogue, &one) {
            Ok(()) => {
                out.kept.insert(id.clone(), v.to_owned());
            }
            Err(errors) => out.dropped.push((
                id.clone(),
                errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }
    out
}
