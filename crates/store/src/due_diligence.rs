//! Due-diligence files (Art. 5 of Regulation (EU) 2021/821; Recommendation (EU) 2024/2659), their
//! signed conclusions, the notifications to the competent authority and its answers.
//!
//! Rules:
//! - a file reviews one operation against the catalogue of the law (`law/due-diligence.toml`,
//!   versioned: the file keeps the version it was run with); it names the item and the end user
//!   it is about (their records when known), so it can be found again for them;
//! - answers are checked against the catalogue ([`vigil_domain::due_diligence::check_answers`]):
//!   an unknown question or a bad answer is [`RecordError::Invalid`] (field `answers`) and
//!   nothing is written; every change of an answer is kept ([`AnswerChange`]);
//! - entering answers needs [`Action::Enter`]; concluding, recording the sending and the
//!   authority's answer need [`Action::Decide`] (an officer signs);
//! - a conclusion needs every required answer and its reasons
//!   ([`vigil_domain::due_diligence::check_conclusion`]); a concluded file is frozen (a re-run is
//!   a new file, [`Store::rerun_dd_file`]);
//! - concluding "aware" opens a hold on the operation (cause `due_diligence`: the export waits
//!   for the authority's answer, Art. 5(2)) and stores the drafted notification
//!   ([`vigil_domain::notification::draft_notification`]), in the same transaction; a
//!   notification without an authority is refused (field `authority`) and nothing is written;
//! - an answer "licence required" is a binding answer: later operations with the same item and
//!   end user need an authorisation under Art. 5(1) ([`BindingAnswer::binds`]);
//! - a new file may start from the latest concluded file of the organisation for the same item
//!   and end user ([`Store::reuse_dd_file`]): its answers are carried over, each marked with the
//!   file copied from and who first gave it when ([`CarriedAnswer`]); the new file is open and
//!   is concluded and signed anew. An open file, or a file concluded "aware" whose notification
//!   the authority has not answered, is not reused ([`reuse_refusal`]);
//! - every write appends its audit row in the same transaction (`dd.answered`, `dd.reused`,
//!   `dd.concluded`, `notification.drafted`, `notification.sent`, `notification.answered`).

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde_json::{Value, json};
use time::Date;
use vigil_domain::Law;
use vigil_domain::access::Action;
use vigil_domain::due_diligence::{
    CarryOver, Catalogue, Changes, Conclusion, Evaluation, ReuseRefusal, carry_over, check_answers,
    check_conclusion, evaluate, rerun_due, reuse_refusal,
};
use vigil_domain::notification::{NoticeInput, NoticeItem, NoticeParty, draft_notification};

use crate::accounts::{OrgScope, now_micros};
use crate::lifecycle::{Hold, HoldCause, insert_hold_in};
use crate::records::{OperationRecord, RecordError, new_id};
use crate::schema::{items, operation_parties, operations, parties, users};
use crate::{DbConnection, Store, StoreError};

diesel::table! {
    /// Due-diligence files.
    dd_files (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The operation reviewed.
        operation_id -> Text,
        /// The item's record, when known.
        item_id -> Nullable<Text>,
        /// The end user's party record, when known.
        party_id -> Nullable<Text>,
        /// The item's name (as in the OPERATION).
        item_name -> Text,
        /// The end user's name.
        end_user_name -> Text,
        /// The end user's country (ISO).
        end_user_country -> Text,
        /// The catalogue version applied.
        catalogue_version -> Text,
        /// Answers (JSON object: question id → answer).
        answers_json -> Text,
        /// Vigil's evaluation when last saved (JSON).
        evaluation_json -> Text,
        /// `open` or `concluded`.
        status -> Text,
        /// `aware` or `not_aware`.
        conclusion -> Nullable<Text>,
        /// The officer's reasons.
        justification -> Nullable<Text>,
        /// The signing officer (user id).
        concluded_by -> Nullable<Text>,
        /// When concluded (µs).
        concluded_at -> Nullable<BigInt>,
        /// Created by (user id).
        created_by -> Text,
        /// When created (µs).
        created_at -> BigInt,
        /// Last changed by (user id).
        updated_by -> Text,
        /// When last changed (µs).
        updated_at -> BigInt,
        /// The concluded file this one started from (reuse for the same item and end user).
        reused_from -> Nullable<Text>,
    }
}

diesel::table! {
    /// The answers a file carried over from a concluded file (reuse).
    dd_carried_answers (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The new file.
        file_id -> Text,
        /// Question id.
        question -> Text,
        /// The answer carried over.
        value -> Text,
        /// The file copied from.
        source_file_id -> Text,
        /// The file where the answer was first given (the first of a chain of reuses).
        origin_file_id -> Text,
        /// Who gave the answer there (user id).
        answered_by -> Text,
        /// When (µs).
        answered_at -> BigInt,
        /// Who carried it over (user id).
        carried_by -> Text,
        /// When (µs).
        carried_at -> BigInt,
        /// Who changed it in the new file (then it is the new file's own answer).
        replaced_by -> Nullable<Text>,
        /// When (µs).
        replaced_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Every change of an answer of a file.
    dd_answer_changes (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The file.
        file_id -> Text,
        /// Question id.
        question -> Text,
        /// The answer before (none: first answer).
        old_value -> Nullable<Text>,
        /// The answer after (empty: removed).
        new_value -> Text,
        /// Who (user id).
        changed_by -> Text,
        /// When (µs).
        changed_at -> BigInt,
    }
}

diesel::table! {
    /// Art. 5(2) notifications.
    dd_notifications (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The file concluded "aware".
        file_id -> Text,
        /// The operation.
        operation_id -> Text,
        /// The authority written to.
        authority -> Text,
        /// The letter's language (`fr`, `de`, `en`).
        language -> Text,
        /// Subject line.
        subject -> Text,
        /// The letter.
        body -> Text,
        /// `draft`, `sent` or `answered`.
        status -> Text,
        /// Drafted by (user id).
        created_by -> Text,
        /// When drafted (µs).
        created_at -> BigInt,
        /// Date sent (`YYYY-MM-DD`).
        sent_on -> Nullable<Text>,
        /// The sending reference (registered letter, e-mail, portal number).
        sent_reference -> Nullable<Text>,
        /// Who recorded the sending.
        sent_by -> Nullable<Text>,
        /// When recorded (µs).
        sent_at -> Nullable<BigInt>,
        /// The authority's answer: `licence_required` or `not_required`.
        answer -> Nullable<Text>,
        /// The answer's reference.
        answer_reference -> Nullable<Text>,
        /// The answer's date (`YYYY-MM-DD`).
        answer_date -> Nullable<Text>,
        /// Who recorded the answer.
        recorded_by -> Nullable<Text>,
        /// When recorded (µs).
        recorded_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Binding answers: "licence required" for an item and an end user.
    dd_binding_answers (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The notification answered.
        notification_id -> Text,
        /// The item's record, when known.
        item_id -> Nullable<Text>,
        /// The item's name.
        item_name -> Text,
        /// The end user's party record, when known.
        party_id -> Nullable<Text>,
        /// The end user's name.
        end_user_name -> Text,
        /// The end user's country (ISO).
        end_user_country -> Text,
        /// The authority.
        authority -> Text,
        /// The answer's reference.
        answer_reference -> Text,
        /// The answer's date (`YYYY-MM-DD`).
        answer_date -> Text,
        /// Who recorded it.
        recorded_by -> Text,
        /// When (µs).
        recorded_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    dd_files,
    dd_answer_changes,
    dd_carried_answers,
    dd_notifications,
    dd_binding_answers
);

/// The answers of the authority (contract names).
pub const AUTHORITY_ANSWERS: [&str; 2] = ["licence_required", "not_required"];

/// The hold detail of a file concluded "aware".
pub const AWAITING_AUTHORITY: &str = "awaiting the authority's answer";

/// A due-diligence file.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = dd_files)]
pub struct DdFile {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The operation reviewed.
    pub operation_id: String,
    /// The item's record.
    pub item_id: Option<String>,
    /// The end user's party record.
    pub party_id: Option<String>,
    /// The item's name.
    pub item_name: String,
    /// The end user's name.
    pub end_user_name: String,
    /// The end user's country.
    pub end_user_country: String,
    /// The catalogue version applied.
    pub catalogue_version: String,
    /// Answers (JSON object).
    pub answers_json: String,
    /// Evaluation when last saved (JSON).
    pub evaluation_json: String,
    /// `open` or `concluded`.
    pub status: String,
    /// `aware` or `not_aware`.
    pub conclusion: Option<String>,
    /// The officer's reasons.
    pub justification: Option<String>,
    /// The signing officer.
    pub concluded_by: Option<String>,
    /// When concluded (µs).
    pub concluded_at: Option<i64>,
    /// Created by.
    pub created_by: String,
    /// When created (µs).
    pub created_at: i64,
    /// Last changed by.
    pub updated_by: String,
    /// When last changed (µs).
    pub updated_at: i64,
    /// The concluded file this one started from.
    pub reused_from: Option<String>,
}

impl DdFile {
    /// The answers.
    #[must_use]
    pub fn answers(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.answers_json).unwrap_or_default()
    }

    /// Concluded (frozen).
    #[must_use]
    pub fn is_concluded(&self) -> bool {
        self.status == "concluded"
    }

    /// The conclusion.
    #[must_use]
    pub fn conclusion(&self) -> Option<Conclusion> {
        self.conclusion.as_deref().and_then(Conclusion::parse)
    }
}

/// One change of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = dd_answer_changes)]
pub struct AnswerChange {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The file.
    pub file_id: String,
    /// Question id.
    pub question: String,
    /// Before.
    pub old_value: Option<String>,
    /// After (empty: removed).
    pub new_value: String,
    /// Who.
    pub changed_by: String,
    /// When (µs).
    pub changed_at: i64,
}

/// An Art. 5(2) notification.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = dd_notifications)]
pub struct Notification {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The file.
    pub file_id: String,
    /// The operation.
    pub operation_id: String,
    /// The authority.
    pub authority: String,
    /// Language (`fr`, `de`, `en`).
    pub language: String,
    /// Subject.
    pub subject: String,
    /// Letter.
    pub body: String,
    /// `draft`, `sent` or `answered`.
    pub status: String,
    /// Drafted by.
    pub created_by: String,
    /// When drafted (µs).
    pub created_at: i64,
    /// Date sent.
    pub sent_on: Option<String>,
    /// Sending reference.
    pub sent_reference: Option<String>,
    /// Who recorded the sending.
    pub sent_by: Option<String>,
    /// When recorded (µs).
    pub sent_at: Option<i64>,
    /// The authority's answer.
    pub answer: Option<String>,
    /// Its reference.
    pub answer_reference: Option<String>,
    /// Its date.
    pub answer_date: Option<String>,
    /// Who recorded it.
    pub recorded_by: Option<String>,
    /// When recorded (µs).
    pub recorded_at: Option<i64>,
}

/// A binding answer of the authority ("licence required" for an item and an end user).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = dd_binding_answers)]
pub struct BindingAnswer {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The notification answered.
    pub notification_id: String,
    /// The item's record.
    pub item_id: Option<String>,
    /// The item's name.
    pub item_name: String,
    /// The end user's party record.
    pub party_id: Option<String>,
    /// The end user's name.
    pub end_user_name: String,
    /// The end user's country.
    pub end_user_country: String,
    /// The authority.
    pub authority: String,
    /// The answer's reference.
    pub answer_reference: String,
    /// The answer's date.
    pub answer_date: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When (µs).
    pub recorded_at: i64,
}

/// What an operation says of its item and end user, to match binding answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationSubject {
    /// The items' names (the OPERATION's `items[].id`).
    pub item_names: Vec<String>,
    /// The items' records (found by name).
    pub item_ids: Vec<String>,
    /// The party records it names.
    pub party_ids: Vec<String>,
    /// The end users (name, ISO country) of the OPERATION.
    pub end_users: Vec<(String, String)>,
}

fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

impl BindingAnswer {
    /// Whether the answer binds an operation: the same item (by its record, else by name) and
    /// the same end user (by its party record when both are known, else by name and country).
    #[must_use]
    pub fn binds(&self, op: &OperationSubject) -> bool {
        let item = op.item_names.iter().any(|n| same(n, &self.item_name))
            || self
                .item_id
                .as_ref()
                .is_some_and(|id| op.item_ids.contains(id));
        let end_user = self
            .party_id
            .as_ref()
            .is_some_and(|id| op.party_ids.contains(id))
            || op.end_users.iter().any(|(n, c)| {
                same(n, &self.end_user_name) && c.eq_ignore_ascii_case(&self.end_user_country)
            });
        item && end_user
    }
}

/// The OPERATION's items and end users (`end_user`, else `consignee`) as written.
#[must_use]
pub fn operation_subject(input: &Value) -> OperationSubject {
    let item_names = input["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["id"].as_str())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let parties: Vec<(String, String, String)> = input["parties"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["role"].as_str().unwrap_or_default().to_owned(),
                        p["name"].as_str().unwrap_or_default().trim().to_owned(),
                        p["country"]
                            .as_str()
                            .unwrap_or_default()
                            .trim()
                            .to_ascii_uppercase(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let pick = |role: &str| -> Vec<(String, String)> {
        parties
            .iter()
            .filter(|(r, n, _)| r == role && !n.is_empty())
            .map(|(_, n, c)| (n.clone(), c.clone()))
            .collect()
    };
    let mut end_users = pick("end_user");
    if end_users.is_empty() {
        end_users = pick("consignee");
    }
    OperationSubject {
        item_names,
        item_ids: Vec::new(),
        party_ids: Vec::new(),
        end_users,
    }
}

/// The catalogue of the law, or why there is none.
fn catalogue(law: &Law) -> Result<&Catalogue, RecordError> {
    law.due_diligence().ok_or_else(|| {
        RecordError::Refused(
            "the law has no due-diligence catalogue (law/due-diligence.toml, Recommendation (EU) 2024/2659)"
                .to_owned(),
        )
    })
}

fn field_errors(field: &'static str, errors: &[vigil_domain::assess::FieldError]) -> RecordError {
    RecordError::Invalid {
        field,
        reason: errors
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn audit(
    conn: &mut DbConnection,
    scope: &OrgScope,
    action: &str,
    subject: String,
    detail: Value,
) -> Result<(), RecordError> {
    crate::audit::append_scoped_in(conn, scope, action, subject, detail)?;
    Ok(())
}

fn may(scope: &OrgScope, action: Action) -> Result<(), RecordError> {
    if scope.role().allows(action) {
        Ok(())
    } else {
        Err(RecordError::Forbidden)
    }
}

fn operation_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    operation_id: &str,
) -> Result<OperationRecord, RecordError> {
    operations::table
        .filter(operations::org_id.eq(scope.org_id()))
        .filter(operations::id.eq(operation_id))
        .select(OperationRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(RecordError::NotFound)
}

fn latest_file_in(
    conn: &mut DbConnection,
    org_id: &str,
    operation_id: &str,
) -> Result<Option<DdFile>, diesel::result::Error> {
    dd_files::table
        .filter(dd_files::org_id.eq(org_id))
        .filter(dd_files::operation_id.eq(operation_id))
        .order((dd_files::created_at.desc(), dd_files::id.desc()))
        .select(DdFile::as_select())
        .first(conn)
        .optional()
}

/// The operation's subject with the records it names: the items by name, the party records
/// linked to it.
fn subject_in(
    conn: &mut DbConnection,
    org_id: &str,
    op: &OperationRecord,
) -> Result<OperationSubject, diesel::result::Error> {
    let input: Value = serde_json::from_str(&op.input_json).unwrap_or(Value::Null);
    let mut s = operation_subject(&input);
    if !s.item_names.is_empty() {
        s.item_ids = items::table
            .filter(items::org_id.eq(org_id))
            .filter(items::name.eq_any(&s.item_names))
            .select(items::id)
            .load(conn)?;
    }
    s.party_ids = operation_parties::table
        .filter(operation_parties::org_id.eq(org_id))
        .filter(operation_parties::operation_id.eq(&op.id))
        .select(operation_parties::party_id)
        .load(conn)?;
    Ok(s)
}

/// A new open file for an operation (the answers given, evaluated).
fn new_file_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    law: &Law,
    op: &OperationRecord,
    answers: &BTreeMap<String, String>,
) -> Result<DdFile, RecordError> {
    let cat = catalogue(law)?;
    let subject = subject_in(conn, scope.org_id(), op)?;
    let (end_user_name, end_user_country) = subject.end_users.first().cloned().unwrap_or_default();
    // The end user's record: a party linked to the operation with that name.
    let party_id: Option<String> = if subject.party_ids.is_empty() || end_user_name.is_empty() {
        None
    } else {
        parties::table
            .filter(parties::org_id.eq(scope.org_id()))
            .filter(parties::id.eq_any(&subject.party_ids))
            .filter(parties::name.eq(&end_user_name))
            .select(parties::id)
            .first(conn)
            .optional()?
    };
    let now = now_micros();
    let file = DdFile {
        id: new_id()?,
        org_id: scope.org_id().to_owned(),
        operation_id: op.id.clone(),
        item_id: subject.item_ids.first().cloned(),
        party_id,
        item_name: subject.item_names.first().cloned().unwrap_or_default(),
        end_user_name,
        end_user_country,
        catalogue_version: cat.version.clone(),
        answers_json: answers_json(answers)?,
        evaluation_json: evaluation_json(&evaluate(law, cat, answers))?,
        status: "open".to_owned(),
        conclusion: None,
        justification: None,
        concluded_by: None,
        concluded_at: None,
        created_by: scope.user_id().to_owned(),
        created_at: now,
        updated_by: scope.user_id().to_owned(),
        updated_at: now,
        reused_from: None,
    };
    diesel::insert_into(dd_files::table)
        .values((
            dd_files::id.eq(&file.id),
            dd_files::org_id.eq(&file.org_id),
            dd_files::operation_id.eq(&file.operation_id),
            dd_files::item_id.eq(&file.item_id),
            dd_files::party_id.eq(&file.party_id),
            dd_files::item_name.eq(&file.item_name),
            dd_files::end_user_name.eq(&file.end_user_name),
            dd_files::end_user_country.eq(&file.end_user_country),
            dd_files::catalogue_version.eq(&file.catalogue_version),
            dd_files::answers_json.eq(&file.answers_json),
            dd_files::evaluation_json.eq(&file.evaluation_json),
            dd_files::status.eq(&file.status),
            dd_files::created_by.eq(&file.created_by),
            dd_files::created_at.eq(file.created_at),
            dd_files::updated_by.eq(&file.updated_by),
            dd_files::updated_at.eq(file.updated_at),
        ))
        .execute(conn)?;
    Ok(file)
}

fn encode_error(e: &serde_json::Error) -> RecordError {
    RecordError::Invalid {
        field: "answers",
        reason: format!("cannot serialise: {e}"),
    }
}

fn answers_json(v: &BTreeMap<String, String>) -> Result<String, RecordError> {
    serde_json::to_string(v).map_err(|e| encode_error(&e))
}

fn evaluation_json(v: &Evaluation) -> Result<String, RecordError> {
    serde_json::to_string(v).map_err(|e| encode_error(&e))
}

fn checked_date(field: &'static str, s: &str) -> Result<String, RecordError> {
    let s = s.trim();
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map(|_| s.to_owned())
        .map_err(|_| RecordError::Invalid {
            field,
            reason: "a date YYYY-MM-DD".to_owned(),
        })
}

fn checked_text(field: &'static str, s: &str, max: usize) -> Result<String, RecordError> {
    let v = s.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(RecordError::Invalid {
            field,
            reason: format!("1 to {max} characters"),
        });
    }
    Ok(v.to_owned())
}

/// What concluding a file needs besides the answers.
#[derive(Debug, Clone)]
pub struct ConclusionInput<'a> {
    /// `aware` or `not_aware`.
    pub conclusion: Conclusion,
    /// The officer's reasons.
    pub justification: &'a str,
    /// The authority's name, when the law has none for the exporter's Member State.
    pub authority: Option<&'a str>,
    /// Today (the letter's date).
    pub today: Date,
}

/// What concluding a file did.
#[derive(Debug, Clone)]
pub struct Concluded {
    /// The file, concluded.
    pub file: DdFile,
    /// The hold opened ("aware").
    pub hold: Option<Hold>,
    /// The notification drafted ("aware").
    pub notification: Option<Notification>,
}

/// The notification's input from the operation and the file.
fn notice_input(
    op: &OperationRecord,
    evaluation: &Evaluation,
    justification: &str,
    authority: Option<&str>,
    signer: &str,
    today: Date,
) -> NoticeInput {
    let input: Value = serde_json::from_str(&op.input_json).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let items = input["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| NoticeItem {
                    name: s(&i["id"]),
                    version: String::new(),
                    description: s(&i["description"]),
                    entries: i["entries"]
                        .as_array()
                        .map(|e| {
                            e.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let parties = input["parties"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| NoticeParty {
                    role: s(&p["role"]),
                    name: s(&p["name"]),
                    country: s(&p["country"]).to_ascii_uppercase(),
                })
                .collect()
        })
        .unwrap_or_default();
    NoticeInput {
        exporter: s(&input["exporter"]["name"]),
        exporter_country: s(&input["exporter"]["country"]).trim().to_ascii_uppercase(),
        authority: authority
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        reference: if op.reference.is_empty() {
            op.id.clone()
        } else {
            op.reference.clone()
        },
        operation_type: s(&input["type"]),
        destination: s(&input["destination"]).to_ascii_uppercase(),
        items,
        parties,
        end_use: s(&input["end_use"]),
        findings: evaluation.red_flags.clone(),
        justification: justification.trim().to_owned(),
        attachments: Vec::new(),
        signer: signer.to_owned(),
        date: today.to_string(),
    }
}

/// Saves answers to the open file of an operation (creating the file on the first answers),
/// inside the caller's transaction: checked against the catalogue, merged (an empty answer
/// removes one), each change kept, evaluated, and audited (`dd.answered`).
///
/// # Errors
/// [`RecordError::Forbidden`] (a role that may not enter records), [`RecordError::NotFound`] (no
/// such operation in the organisation), [`RecordError::Invalid`] (`answers`: an unknown question
/// or a bad answer; nothing written), [`RecordError::Refused`] (the file is concluded: frozen),
/// a database failure.
pub fn save_answers_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    law: &Law,
    operation_id: &str,
    answers: &BTreeMap<String, String>,
) -> Result<DdFile, RecordError> {
    may(scope, Action::Enter)?;
    let cat = catalogue(law)?;
    check_answers(cat, answers).map_err(|e| field_errors("answers", &e))?;
    let op = operation_in(conn, scope, operation_id)?;
    let file = match latest_file_in(conn, scope.org_id(), operation_id)? {
        Some(f) if f.is_concluded() => {
            return Err(RecordError::Refused(
                "the file is concluded and frozen: run it again to change the answers (Recommendation (EU) 2024/2659)".to_owned(),
            ));
        }
        Some(f) => f,
        None => new_file_in(conn, scope, law, &op, &BTreeMap::new())?,
    };
    let mut current = file.answers();
    let now = now_micros();
    let mut changed = Vec::new();
    for (q, v) in answers {
        let v = v.trim();
        let old = current.get(q).cloned();
        if old.as_deref() == Some(v) || (old.is_none() && v.is_empty()) {
            continue;
        }
        diesel::insert_into(dd_answer_changes::table)
            .values((
                dd_answer_changes::id.eq(new_id()?),
                dd_answer_changes::org_id.eq(scope.org_id()),
                dd_answer_changes::file_id.eq(&file.id),
                dd_answer_changes::question.eq(q),
                dd_answer_changes::old_value.eq(&old),
                dd_answer_changes::new_value.eq(v),
                dd_answer_changes::changed_by.eq(scope.user_id()),
                dd_answer_changes::changed_at.eq(now),
            ))
            .execute(conn)?;
        // A carried-over answer the officer changes becomes the new file's own.
        diesel::update(
            dd_carried_answers::table
                .filter(dd_carried_answers::org_id.eq(scope.org_id()))
                .filter(dd_carried_answers::file_id.eq(&file.id))
                .filter(dd_carried_answers::question.eq(q))
                .filter(dd_carried_answers::replaced_at.is_null()),
        )
        .set((
            dd_carried_answers::replaced_by.eq(scope.user_id()),
            dd_carried_answers::replaced_at.eq(now),
        ))
        .execute(conn)?;
        if v.is_empty() {
            current.remove(q);
        } else {
            current.insert(q.clone(), v.to_owned());
        }
        changed.push(q.clone());
    }
    let evaluation = evaluate(law, cat, &current);
    diesel::update(dd_files::table.filter(dd_files::id.eq(&file.id)))
        .set((
            dd_files::answers_json.eq(answers_json(&current)?),
            dd_files::evaluation_json.eq(evaluation_json(&evaluation)?),
            dd_files::updated_by.eq(scope.user_id()),
            dd_files::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit(
        conn,
        scope,
        "dd.answered",
        format!("operation:{operation_id}"),
        json!({
            "file": file.id,
            "catalogue": file.catalogue_version,
            "changed": changed,
            "missing": evaluation.missing.len(),
            "risk": evaluation.risk,
        }),
    )?;
    Ok(dd_files::table
        .filter(dd_files::id.eq(&file.id))
        .select(DdFile::as_select())
        .first(conn)?)
}

/// Concludes the open file of an operation, inside the caller's transaction: checked
/// ([`check_conclusion`]), signed and frozen (`dd.concluded`); "aware" also opens a hold on the
/// operation (cause `due_diligence`, "awaiting the authority's answer", Art. 5(2)) and stores the
/// drafted notification (`notification.drafted`). All or nothing.
///
/// # Errors
/// [`RecordError::Forbidden`] (a role that may not decide), [`RecordError::NotFound`] (no such
/// operation, or no file), [`RecordError::Refused`] (already concluded), [`RecordError::Invalid`]
/// (`answers` missing, `justification`, `authority` unknown, or another field of the
/// notification), a database failure.
pub fn conclude_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    law: &Law,
    operation_id: &str,
    input: &ConclusionInput<'_>,
) -> Result<Concluded, RecordError> {
    may(scope, Action::Decide)?;
    let cat = catalogue(law)?;
    let op = operation_in(conn, scope, operation_id)?;
    let Some(file) = latest_file_in(conn, scope.org_id(), operation_id)? else {
        let e = evaluate(law, cat, &BTreeMap::new());
        return Err(
            match check_conclusion(&e, input.conclusion, input.justification) {
                Err(errors) => field_errors("answers", &errors),
                Ok(()) => RecordError::NotFound,
            },
        );
    };
    if file.is_concluded() {
        return Err(RecordError::Refused(
            "the file is already concluded: run it again for a new conclusion".to_owned(),
        ));
    }
    let evaluation = evaluate(law, cat, &file.answers());
    if let Err(errors) = check_conclusion(&evaluation, input.conclusion, input.justification) {
        let field = if errors.iter().any(|e| e.path == "justification") {
            "justification"
        } else {
            "answers"
        };
        let mine: Vec<_> = errors
            .into_iter()
            .filter(|e| field != "justification" || e.path == "justification")
            .collect();
        return Err(field_errors(field, &mine));
    }
    let justification = input.justification.trim();
    let now = now_micros();
    let mut hold = None;
    let mut notification = None;
    if input.conclusion == Conclusion::Aware {
        let signer: String = users::table
            .filter(users::id.eq(scope.user_id()))
            .select(users::display_name)
            .first(conn)
            .optional()?
            .unwrap_or_else(|| scope.user_id().to_owned());
        let notice = notice_input(
            &op,
            &evaluation,
            justification,
            input.authority,
            &signer,
            input.today,
        );
        let draft = draft_notification(law, &notice).map_err(|e| {
            let field = match e.errors.first().map(|f| f.path.as_str()) {
                Some("authority") => "authority",
                Some("exporter_country") => "exporter_country",
                Some("items") => "items",
                Some("signer") => "signer",
                _ => "justification",
            };
            field_errors(field, &e.errors)
        })?;
        hold = Some(insert_hold_in(
            conn,
            scope.org_id(),
            scope.user_id(),
            operation_id,
            HoldCause::DueDiligence,
            &json!({
                "detail": AWAITING_AUTHORITY,
                "file": file.id,
                "provision": "Art. 5(2) of Regulation (EU) 2021/821",
            }),
        )?);
        let n = Notification {
            id: new_id()?,
            org_id: scope.org_id().to_owned(),
            file_id: file.id.clone(),
            operation_id: operation_id.to_owned(),
            authority: draft.authority,
            language: draft.language,
            subject: draft.subject,
            body: draft.body,
            status: "draft".to_owned(),
            created_by: scope.user_id().to_owned(),
            created_at: now,
            sent_on: None,
            sent_reference: None,
            sent_by: None,
            sent_at: None,
            answer: None,
            answer_reference: None,
            answer_date: None,
            recorded_by: None,
            recorded_at: None,
        };
        diesel::insert_into(dd_notifications::table)
            .values((
                dd_notifications::id.eq(&n.id),
                dd_notifications::org_id.eq(&n.org_id),
                dd_notifications::file_id.eq(&n.file_id),
                dd_notifications::operation_id.eq(&n.operation_id),
                dd_notifications::authority.eq(&n.authority),
                dd_notifications::language.eq(&n.language),
                dd_notifications::subject.eq(&n.subject),
                dd_notifications::body.eq(&n.body),
                dd_notifications::status.eq(&n.status),
                dd_notifications::created_by.eq(&n.created_by),
                dd_notifications::created_at.eq(n.created_at),
            ))
            .execute(conn)?;
        notification = Some(n);
    }
    diesel::update(dd_files::table.filter(dd_files::id.eq(&file.id)))
        .set((
            dd_files::status.eq("concluded"),
            dd_files::conclusion.eq(input.conclusion.as_str()),
            dd_files::justification.eq(justification),
            dd_files::concluded_by.eq(scope.user_id()),
            dd_files::concluded_at.eq(now),
            dd_files::evaluation_json.eq(evaluation_json(&evaluation)?),
            dd_files::updated_by.eq(scope.user_id()),
            dd_files::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit(
        conn,
        scope,
        "dd.concluded",
        format!("operation:{operation_id}"),
        json!({
            "file": file.id,
            "conclusion": input.conclusion.as_str(),
            "suggestion": evaluation.suggestion.as_str(),
            "risk": evaluation.risk,
            "red_flags": evaluation.red_flags.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
            "catalogue": file.catalogue_version,
            "hold": hold.as_ref().map(|h| h.id.as_str()),
        }),
    )?;
    if let Some(n) = &notification {
        audit(
            conn,
            scope,
            "notification.drafted",
            format!("notification:{}", n.id),
            json!({
                "operation": operation_id,
                "file": file.id,
                "authority": n.authority,
                "language": n.language,
                "provision": "Art. 5(2) of Regulation (EU) 2021/821",
            }),
        )?;
    }
    let file = dd_files::table
        .filter(dd_files::id.eq(&file.id))
        .select(DdFile::as_select())
        .first(conn)?;
    Ok(Concluded {
        file,
        hold,
        notification,
    })
}

fn notification_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    id: &str,
) -> Result<Notification, RecordError> {
    dd_notifications::table
        .filter(dd_notifications::org_id.eq(scope.org_id()))
        .filter(dd_notifications::id.eq(id))
        .select(Notification::as_select())
        .first(conn)
        .optional()?
        .ok_or(RecordError::NotFound)
}

/// Records that a drafted notification was sent (date, reference), inside the caller's
/// transaction (`notification.sent`).
///
/// # Errors
/// [`RecordError::Forbidden`], [`RecordError::NotFound`], [`RecordError::Invalid`] (`sent_on`,
/// `reference`), [`RecordError::Refused`] (already sent), a database failure.
pub fn record_sent_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    notification_id: &str,
    sent_on: &str,
    reference: &str,
) -> Result<Notification, RecordError> {
    may(scope, Action::Decide)?;
    let n = notification_in(conn, scope, notification_id)?;
    let sent_on = checked_date("sent_on", sent_on)?;
    let reference = checked_text("reference", reference, 200)?;
    if n.status != "draft" {
        return Err(RecordError::Refused(
            "the notification's sending is already recorded".to_owned(),
        ));
    }
    diesel::update(dd_notifications::table.filter(dd_notifications::id.eq(&n.id)))
        .set((
            dd_notifications::status.eq("sent"),
            dd_notifications::sent_on.eq(&sent_on),
            dd_notifications::sent_reference.eq(&reference),
            dd_notifications::sent_by.eq(scope.user_id()),
            dd_notifications::sent_at.eq(now_micros()),
        ))
        .execute(conn)?;
    audit(
        conn,
        scope,
        "notification.sent",
        format!("notification:{}", n.id),
        json!({"operation": n.operation_id, "sent_on": sent_on, "reference": reference, "authority": n.authority}),
    )?;
    notification_in(conn, scope, notification_id)
}

/// The authority's answer to a notification.
#[derive(Debug, Clone)]
pub struct AuthorityAnswer<'a> {
    /// `licence_required` or `not_required`.
    pub answer: &'a str,
    /// Its reference.
    pub reference: &'a str,
    /// Its date (`YYYY-MM-DD`).
    pub date: &'a str,
}

/// Records the authority's answer to a sent notification, inside the caller's transaction
/// (`notification.answered`). "Licence required" is stored as a binding answer for the file's
/// item and end user (Art. 5(1): later operations with them need an authorisation). The hold
/// stays until an officer releases it in the review (kind `authority_answer`).
///
/// # Errors
/// [`RecordError::Forbidden`], [`RecordError::NotFound`], [`RecordError::Invalid`] (`answer`,
/// `reference`, `date`), [`RecordError::Refused`] (not sent yet, or already answered), a
/// database failure.
pub fn record_answer_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    notification_id: &str,
    answer: &AuthorityAnswer<'_>,
) -> Result<Notification, RecordError> {
    may(scope, Action::Decide)?;
    let n = notification_in(conn, scope, notification_id)?;
    if !AUTHORITY_ANSWERS.contains(&answer.answer) {
        return Err(RecordError::Invalid {
            field: "answer",
            reason: "licence_required or not_required".to_owned(),
        });
    }
    let reference = checked_text("reference", answer.reference, 200)?;
    let date = checked_date("date", answer.date)?;
    match n.status.as_str() {
        "draft" => {
            return Err(RecordError::Refused(
                "record the sending of the notification first".to_owned(),
            ));
        }
        "answered" => {
            return Err(RecordError::Refused(
                "the authority's answer is already recorded".to_owned(),
            ));
        }
        _ => {}
    }
    let now = now_micros();
    diesel::update(dd_notifications::table.filter(dd_notifications::id.eq(&n.id)))
        .set((
            dd_notifications::status.eq("answered"),
            dd_notifications::answer.eq(answer.answer),
            dd_notifications::answer_reference.eq(&reference),
            dd_notifications::answer_date.eq(&date),
            dd_notifications::recorded_by.eq(scope.user_id()),
            dd_notifications::recorded_at.eq(now),
        ))
        .execute(conn)?;
    let mut binding = None;
    if answer.answer == "licence_required" {
        let file: DdFile = dd_files::table
            .filter(dd_files::org_id.eq(scope.org_id()))
            .filter(dd_files::id.eq(&n.file_id))
            .select(DdFile::as_select())
            .first(conn)?;
        let id = new_id()?;
        diesel::insert_into(dd_binding_answers::table)
            .values((
                dd_binding_answers::id.eq(&id),
                dd_binding_answers::org_id.eq(scope.org_id()),
                dd_binding_answers::notification_id.eq(&n.id),
                dd_binding_answers::item_id.eq(&file.item_id),
                dd_binding_answers::item_name.eq(&file.item_name),
                dd_binding_answers::party_id.eq(&file.party_id),
                dd_binding_answers::end_user_name.eq(&file.end_user_name),
                dd_binding_answers::end_user_country.eq(&file.end_user_country),
                dd_binding_answers::authority.eq(&n.authority),
                dd_binding_answers::answer_reference.eq(&reference),
                dd_binding_answers::answer_date.eq(&date),
                dd_binding_answers::recorded_by.eq(scope.user_id()),
                dd_binding_answers::recorded_at.eq(now),
            ))
            .execute(conn)?;
        binding = Some(id);
    }
    audit(
        conn,
        scope,
        "notification.answered",
        format!("notification:{}", n.id),
        json!({
            "operation": n.operation_id,
            "answer": answer.answer,
            "reference": reference,
            "date": date,
            "authority": n.authority,
            "binding": binding,
            "provision": if answer.answer == "licence_required" { "Art. 5(1) of Regulation (EU) 2021/821" } else { "Art. 5(2) of Regulation (EU) 2021/821" },
        }),
    )?;
    notification_in(conn, scope, notification_id)
}

impl Store {
    /// Saves answers (see [`save_answers_in`]) in its own transaction.
    ///
    /// # Errors
    /// As [`save_answers_in`].
    pub fn save_dd_answers(
        &self,
        scope: &OrgScope,
        law: &Law,
        operation_id: &str,
        answers: &BTreeMap<String, String>,
    ) -> Result<DdFile, RecordError> {
        may(scope, Action::Enter)?;
        self.write_tx(|c| save_answers_in(c, scope, law, operation_id, answers))
    }

    /// Concludes the open file (see [`conclude_in`]) in its own transaction: all or nothing.
    ///
    /// # Errors
    /// As [`conclude_in`].
    pub fn conclude_dd_file(
        &self,
        scope: &OrgScope,
        law: &Law,
        operation_id: &str,
        input: &ConclusionInput<'_>,
    ) -> Result<Concluded, RecordError> {
        may(scope, Action::Decide)?;
        self.write_tx(|c| conclude_in(c, scope, law, operation_id, input))
    }

    /// Runs a concluded file again: a new open file with the answers of the last one (audited:
    /// `dd.answered`, with `rerun_of`).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`], [`RecordError::NotFound`] (no operation or no file),
    /// [`RecordError::Refused`] (the last file is still open), a database failure.
    pub fn rerun_dd_file(
        &self,
        scope: &OrgScope,
        law: &Law,
        operation_id: &str,
    ) -> Result<DdFile, RecordError> {
        may(scope, Action::Enter)?;
        self.write_tx(|c| {
            let op = operation_in(c, scope, operation_id)?;
            let last =
                latest_file_in(c, scope.org_id(), operation_id)?.ok_or(RecordError::NotFound)?;
            if !last.is_concluded() {
                return Err(RecordError::Refused(
                    "the file is still open: complete it".to_owned(),
                ));
            }
            let file = new_file_in(c, scope, law, &op, &last.answers())?;
            audit(
                c,
                scope,
                "dd.answered",
                format!("operation:{operation_id}"),
                json!({"file": file.id, "rerun_of": last.id, "catalogue": file.catalogue_version}),
            )?;
            Ok(file)
        })
    }

    /// Records the sending of a notification (see [`record_sent_in`]).
    ///
    /// # Errors
    /// As [`record_sent_in`].
    pub fn record_notification_sent(
        &self,
        scope: &OrgScope,
        notification_id: &str,
        sent_on: &str,
        reference: &str,
    ) -> Result<Notification, RecordError> {
        may(scope, Action::Decide)?;
        self.write_tx(|c| record_sent_in(c, scope, notification_id, sent_on, reference))
    }

    /// Records the authority's answer (see [`record_answer_in`]).
    ///
    /// # Errors
    /// As [`record_answer_in`].
    pub fn record_authority_answer(
        &self,
        scope: &OrgScope,
        notification_id: &str,
        answer: &AuthorityAnswer<'_>,
    ) -> Result<Notification, RecordError> {
        may(scope, Action::Decide)?;
        self.write_tx(|c| record_answer_in(c, scope, notification_id, answer))
    }

    /// The files of an operation of the scope's organisation, newest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn dd_files(
        &self,
        scope: &OrgScope,
        operation_id: &str,
    ) -> Result<Vec<DdFile>, StoreError> {
        Ok(dd_files::table
            .filter(dd_files::org_id.eq(scope.org_id()))
            .filter(dd_files::operation_id.eq(operation_id))
            .order((dd_files::created_at.desc(), dd_files::id.desc()))
            .select(DdFile::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// The concluded files of the organisation for an item and end user (by name, ignoring case
    /// and spacing), newest first: a file that may be reused for the same end user and item.
    ///
    /// # Errors
    /// A database failure.
    pub fn dd_files_for(
        &self,
        scope: &OrgScope,
        item_name: &str,
        end_user_name: &str,
    ) -> Result<Vec<DdFile>, StoreError> {
        let all: Vec<DdFile> = dd_files::table
            .filter(dd_files::org_id.eq(scope.org_id()))
            .filter(dd_files::status.eq("concluded"))
            .order((dd_files::concluded_at.desc(), dd_files::id.desc()))
            .select(DdFile::as_select())
            .load(&mut *self.conn()?)?;
        Ok(all
            .into_iter()
            .filter(|f| same(&f.item_name, item_name) && same(&f.end_user_name, end_user_name))
            .collect())
    }

    /// The history of a file's answers, oldest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn dd_answer_changes(
        &self,
        scope: &OrgScope,
        file_id: &str,
    ) -> Result<Vec<AnswerChange>, StoreError> {
        Ok(dd_answer_changes::table
            .filter(dd_answer_changes::org_id.eq(scope.org_id()))
            .filter(dd_answer_changes::file_id.eq(file_id))
            .order((
                dd_answer_changes::changed_at.asc(),
                dd_answer_changes::id.asc(),
            ))
            .select(AnswerChange::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// The notifications of an operation, newest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn notifications_of_operation(
        &self,
        scope: &OrgScope,
        operation_id: &str,
    ) -> Result<Vec<Notification>, StoreError> {
        Ok(dd_notifications::table
            .filter(dd_notifications::org_id.eq(scope.org_id()))
            .filter(dd_notifications::operation_id.eq(operation_id))
            .order((
                dd_notifications::created_at.desc(),
                dd_notifications::id.desc(),
            ))
            .select(Notification::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// One notification of the scope's organisation.
    ///
    /// # Errors
    /// A database failure.
    pub fn notification(
        &self,
        scope: &OrgScope,
        id: &str,
    ) -> Result<Option<Notification>, StoreError> {
        Ok(dd_notifications::table
            .filter(dd_notifications::org_id.eq(scope.org_id()))
            .filter(dd_notifications::id.eq(id))
            .select(Notification::as_select())
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// The binding answers of the scope's organisation, oldest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn binding_answers(&self, scope: &OrgScope) -> Result<Vec<BindingAnswer>, StoreError> {
        Ok(dd_binding_answers::table
            .filter(dd_binding_answers::org_id.eq(scope.org_id()))
            .order((
                dd_binding_answers::recorded_at.asc(),
                dd_binding_answers::id.asc(),
            ))
            .select(BindingAnswer::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// The binding answers that bind an operation about to be assessed: `input` is its
    /// OPERATION JSON, `party_ids` the party records it was built from.
    ///
    /// # Errors
    /// A database failure.
    pub fn binding_answers_for(
        &self,
        scope: &OrgScope,
        input: &Value,
        party_ids: &[String],
    ) -> Result<Vec<BindingAnswer>, StoreError> {
        let mut subject = operation_subject(input);
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let all: Vec<BindingAnswer> = dd_binding_answers::table
            .filter(dd_binding_answers::org_id.eq(scope.org_id()))
            .order((
                dd_binding_answers::recorded_at.asc(),
                dd_binding_answers::id.asc(),
            ))
            .select(BindingAnswer::as_select())
            .load(conn)?;
        if all.is_empty() {
            return Ok(all);
        }
        if !subject.item_names.is_empty() {
            subject.item_ids = items::table
                .filter(items::org_id.eq(scope.org_id()))
                .filter(items::name.eq_any(&subject.item_names))
                .select(items::id)
                .load(conn)?;
        }
        subject.party_ids = party_ids.to_vec();
        Ok(all.into_iter().filter(|b| b.binds(&subject)).collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Reuse of a concluded file for the same item and end user.

/// An answer a file carried over from a concluded file.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = dd_carried_answers)]
pub struct CarriedAnswer {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The new file.
    pub file_id: String,
    /// Question id.
    pub question: String,
    /// The answer carried over.
    pub value: String,
    /// The file copied from.
    pub source_file_id: String,
    /// The file where the answer was first given.
    pub origin_file_id: String,
    /// Who gave it there.
    pub answered_by: String,
    /// When (µs).
    pub answered_at: i64,
    /// Who carried it over.
    pub carried_by: String,
    /// When (µs).
    pub carried_at: i64,
    /// Who changed it in the new file.
    pub replaced_by: Option<String>,
    /// When (µs).
    pub replaced_at: Option<i64>,
}

impl CarriedAnswer {
    /// Still the carried-over answer (not changed in the new file since).
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.replaced_at.is_none()
    }
}

/// A concluded file of another operation for the same item and end user, as offered for reuse.
#[derive(Debug, Clone)]
pub struct ReuseOffer {
    /// The file.
    pub file: DdFile,
    /// Its operation's reference (its id when it has none).
    pub operation_reference: String,
    /// The signing officer's name.
    pub concluded_by_name: String,
    /// Its notification (a file concluded "aware").
    pub notification: Option<Notification>,
    /// Why it may not be reused (none: it may).
    pub refusal: Option<ReuseRefusal>,
    /// The re-run triggers fired since its conclusion (ids of `law/due-diligence.toml`): the
    /// carried-over answers they concern must be revisited.
    pub triggers: Vec<String>,
}

/// What reusing a file did.
#[derive(Debug, Clone)]
pub struct Reused {
    /// The new, open file.
    pub file: DdFile,
    /// What was carried over and what was left behind.
    pub carried: CarryOver,
    /// The triggers fired since the source was concluded.
    pub triggers: Vec<String>,
}

/// Whether a file is about the operation's item (its record, else its name) and end user (its
/// party record when both are known, else name and country).
fn covers(file: &DdFile, op: &OperationSubject) -> bool {
    let item = op.item_names.iter().any(|n| same(n, &file.item_name))
        || file
            .item_id
            .as_ref()
            .is_some_and(|id| op.item_ids.contains(id));
    let end_user = file
        .party_id
        .as_ref()
        .is_some_and(|id| op.party_ids.contains(id))
        || op.end_users.iter().any(|(n, c)| {
            same(n, &file.end_user_name) && c.eq_ignore_ascii_case(&file.end_user_country)
        });
    !file.item_name.is_empty() && item && end_user
}

/// The parties (name, country) an OPERATION names, any role.
fn parties_of(input_json: &str) -> Vec<(String, String)> {
    let input: Value = serde_json::from_str(input_json).unwrap_or(Value::Null);
    input["parties"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap_or_default().trim().to_owned(),
                        p["country"]
                            .as_str()
                            .unwrap_or_default()
                            .trim()
                            .to_ascii_uppercase(),
                    )
                })
                .filter(|(n, _)| !n.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn date_of(micros: i64) -> Option<Date> {
    time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .ok()
        .map(time::OffsetDateTime::date)
}

/// The re-run triggers fired since `file` was concluded, for an operation `op` starting from it:
/// a party of `op` that the file's operation did not name, a release of the file's item
/// registered after the conclusion, the file's own answer that the destination came under new
/// measures, and the months elapsed.
fn triggers_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    cat: &Catalogue,
    file: &DdFile,
    op: &OperationRecord,
    today: Date,
) -> Result<Vec<String>, diesel::result::Error> {
    let Some(concluded_at) = file.concluded_at else {
        return Ok(Vec::new());
    };
    let Some(concluded_on) = date_of(concluded_at) else {
        return Ok(Vec::new());
    };
    let new_product_release = match &file.item_id {
        Some(item) => {
            let n: i64 = crate::releases::item_releases::table
                .filter(crate::releases::item_releases::org_id.eq(scope.org_id()))
                .filter(crate::releases::item_releases::item_id.eq(item))
                .filter(crate::releases::item_releases::created_at.gt(concluded_at))
                .count()
                .get_result(conn)?;
            n > 0
        }
        None => false,
    };
    let source_input: Option<String> = operations::table
        .filter(operations::org_id.eq(scope.org_id()))
        .filter(operations::id.eq(&file.operation_id))
        .select(operations::input_json)
        .first(conn)
        .optional()?;
    let before = source_input.as_deref().map(parties_of).unwrap_or_default();
    let new_end_user = parties_of(&op.input_json)
        .iter()
        .any(|(n, c)| !before.iter().any(|(bn, bc)| same(n, bn) && c == bc));
    let changes = Changes {
        new_end_user,
        new_product_release,
        destination_new_measures: file
            .answers()
            .get("new_measures")
            .is_some_and(|v| v == "yes"),
    };
    Ok(rerun_due(cat, concluded_on, today, &changes)
        .into_iter()
        .map(|t| t.id.clone())
        .collect())
}

fn notification_of_file(
    conn: &mut DbConnection,
    org_id: &str,
    file_id: &str,
) -> Result<Option<Notification>, diesel::result::Error> {
    dd_notifications::table
        .filter(dd_notifications::org_id.eq(org_id))
        .filter(dd_notifications::file_id.eq(file_id))
        .order((
            dd_notifications::created_at.desc(),
            dd_notifications::id.desc(),
        ))
        .select(Notification::as_select())
        .first(conn)
        .optional()
}

fn refusal_of(file: &DdFile, notification: Option<&Notification>) -> Option<ReuseRefusal> {
    reuse_refusal(
        file.is_concluded(),
        file.conclusion(),
        notification.is_some_and(|n| n.answer.is_some()),
    )
}

/// The concluded files of the organisation's other operations for the operation's item and end
/// user, newest conclusion first, each with its signer, notification, whether it may be reused
/// and the triggers fired since.
fn offers_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    cat: &Catalogue,
    op: &OperationRecord,
    today: Date,
) -> Result<Vec<ReuseOffer>, diesel::result::Error> {
    let subject = subject_in(conn, scope.org_id(), op)?;
    if subject.item_names.is_empty() || subject.end_users.is_empty() {
        return Ok(Vec::new());
    }
    let files: Vec<DdFile> = dd_files::table
        .filter(dd_files::org_id.eq(scope.org_id()))
        .filter(dd_files::status.eq("concluded"))
        .filter(dd_files::operation_id.ne(&op.id))
        .order((dd_files::concluded_at.desc(), dd_files::id.desc()))
        .select(DdFile::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for file in files.into_iter().filter(|f| covers(f, &subject)) {
        let notification = notification_of_file(conn, scope.org_id(), &file.id)?;
        let reference: Option<String> = operations::table
            .filter(operations::org_id.eq(scope.org_id()))
            .filter(operations::id.eq(&file.operation_id))
            .select(operations::reference)
            .first(conn)
            .optional()?;
        let signer = file.concluded_by.clone().unwrap_or_default();
        let name: Option<String> = users::table
            .filter(users::id.eq(&signer))
            .select(users::display_name)
            .first(conn)
            .optional()?;
        out.push(ReuseOffer {
            refusal: refusal_of(&file, notification.as_ref()),
            triggers: triggers_in(conn, scope, cat, &file, op, today)?,
            operation_reference: reference
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| file.operation_id.clone()),
            concluded_by_name: name.filter(|n| !n.is_empty()).unwrap_or(signer),
            notification,
            file,
        });
    }
    Ok(out)
}

/// Where an answer of `source` was first given: the origin of a still-current carried answer of
/// `source`, else the last change of `source` that set it, else `source`'s last change.
fn origin_in(
    conn: &mut DbConnection,
    org_id: &str,
    source: &DdFile,
    question: &str,
    value: &str,
) -> Result<(String, String, i64), diesel::result::Error> {
    let carried: Option<CarriedAnswer> = dd_carried_answers::table
        .filter(dd_carried_answers::org_id.eq(org_id))
        .filter(dd_carried_answers::file_id.eq(&source.id))
        .filter(dd_carried_answers::question.eq(question))
        .filter(dd_carried_answers::replaced_at.is_null())
        .select(CarriedAnswer::as_select())
        .first(conn)
        .optional()?;
    if let Some(c) = carried.filter(|c| c.value == value) {
        return Ok((c.origin_file_id, c.answered_by, c.answered_at));
    }
    let change: Option<(String, i64)> = dd_answer_changes::table
        .filter(dd_answer_changes::org_id.eq(org_id))
        .filter(dd_answer_changes::file_id.eq(&source.id))
        .filter(dd_answer_changes::question.eq(question))
        .order((
            dd_answer_changes::changed_at.desc(),
            dd_answer_changes::id.desc(),
        ))
        .select((dd_answer_changes::changed_by, dd_answer_changes::changed_at))
        .first(conn)
        .optional()?;
    Ok(match change {
        Some((by, at)) => (source.id.clone(), by, at),
        None => (
            source.id.clone(),
            source.updated_by.clone(),
            source.updated_at,
        ),
    })
}

/// Opens a new file for an operation from a concluded file of the organisation for the same
/// item and end user, inside the caller's transaction: the answers still in the catalogue are
/// carried over ([`carry_over`]), each kept as carried over (the file copied from, where and by
/// whom it was first given) and as a change of the new file's answers; the new file is open and
/// needs its own signed conclusion. Audited `dd.reused` (the source, what was carried over and
/// left behind, the triggers fired since the source's conclusion). All or nothing.
///
/// # Errors
/// [`RecordError::Forbidden`] (a role that may not enter records), [`RecordError::NotFound`]
/// (no such operation, or no such file in the organisation), [`RecordError::Invalid`] (`from`
/// empty), [`RecordError::Refused`] (the source is not concluded, or concluded "aware" with the
/// authority's answer pending ([`reuse_refusal`]), or about another item or end user; or the
/// operation already has an open file), a database failure.
pub fn reuse_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    law: &Law,
    operation_id: &str,
    from: &str,
    today: Date,
) -> Result<Reused, RecordError> {
    may(scope, Action::Enter)?;
    let cat = catalogue(law)?;
    let op = operation_in(conn, scope, operation_id)?;
    let from = from.trim();
    if from.is_empty() {
        return Err(RecordError::Invalid {
            field: "from",
            reason: "the id of a concluded due-diligence file of the organisation".to_owned(),
        });
    }
    let source: DdFile = dd_files::table
        .filter(dd_files::org_id.eq(scope.org_id()))
        .filter(dd_files::id.eq(from))
        .select(DdFile::as_select())
        .first(conn)
        .optional()?
        .ok_or(RecordError::NotFound)?;
    let notification = notification_of_file(conn, scope.org_id(), &source.id)?;
    if let Some(refusal) = refusal_of(&source, notification.as_ref()) {
        return Err(RecordError::Refused(format!(
            "file {} cannot be reused: {}",
            source.id,
            refusal.message()
        )));
    }
    let subject = subject_in(conn, scope.org_id(), &op)?;
    if !covers(&source, &subject) {
        return Err(RecordError::Refused(format!(
            "file {} is about {} for {} ({}); this operation names another item or end user: a file is reused only for the same item and end user",
            source.id, source.item_name, source.end_user_name, source.end_user_country
        )));
    }
    if latest_file_in(conn, scope.org_id(), operation_id)?.is_some_and(|f| !f.is_concluded()) {
        return Err(RecordError::Refused(
            "the operation already has an open file: complete it; a concluded file is reused only to open a new one".to_owned(),
        ));
    }
    let carried = carry_over(cat, &source.answers());
    let mut file = new_file_in(conn, scope, law, &op, &carried.kept)?;
    diesel::update(dd_files::table.filter(dd_files::id.eq(&file.id)))
        .set(dd_files::reused_from.eq(&source.id))
        .execute(conn)?;
    file.reused_from = Some(source.id.clone());
    let now = now_micros();
    for (q, v) in &carried.kept {
        let (origin, by, at) = origin_in(conn, scope.org_id(), &source, q, v)?;
        diesel::insert_into(dd_answer_changes::table)
            .values((
                dd_answer_changes::id.eq(new_id()?),
                dd_answer_changes::org_id.eq(scope.org_id()),
                dd_answer_changes::file_id.eq(&file.id),
                dd_answer_changes::question.eq(q),
                dd_answer_changes::old_value.eq(None::<String>),
                dd_answer_changes::new_value.eq(v),
                dd_answer_changes::changed_by.eq(scope.user_id()),
                dd_answer_changes::changed_at.eq(now),
            ))
            .execute(conn)?;
        diesel::insert_into(dd_carried_answers::table)
            .values((
                dd_carried_answers::id.eq(new_id()?),
                dd_carried_answers::org_id.eq(scope.org_id()),
                dd_carried_answers::file_id.eq(&file.id),
                dd_carried_answers::question.eq(q),
                dd_carried_answers::value.eq(v),
                dd_carried_answers::source_file_id.eq(&source.id),
                dd_carried_answers::origin_file_id.eq(&origin),
                dd_carried_answers::answered_by.eq(&by),
                dd_carried_answers::answered_at.eq(at),
                dd_carried_answers::carried_by.eq(scope.user_id()),
                dd_carried_answers::carried_at.eq(now),
            ))
            .execute(conn)?;
    }
    let triggers = triggers_in(conn, scope, cat, &source, &op, today)?;
    audit(
        conn,
        scope,
        "dd.reused",
        format!("operation:{operation_id}"),
        json!({
            "file": file.id,
            "from": source.id,
            "from_operation": source.operation_id,
            "from_conclusion": source.conclusion,
            "from_concluded_at": source.concluded_at,
            "from_catalogue": source.catalogue_version,
            "catalogue": file.catalogue_version,
            "carried": carried.kept.keys().collect::<Vec<_>>(),
            "dropped": carried.dropped.iter().map(|(q, why)| json!({"question": q, "reason": why})).collect::<Vec<_>>(),
            "triggers": triggers,
            "authority_answer": notification.as_ref().and_then(|n| n.answer.clone()),
        }),
    )?;
    Ok(Reused {
        file,
        carried,
        triggers,
    })
}

impl Store {
    /// The concluded files of the organisation's other operations for an operation's item and
    /// end user, offered as starting points of its next file (see [`ReuseOffer`]), newest
    /// conclusion first.
    ///
    /// # Errors
    /// [`RecordError::NotFound`] (no such operation), a database failure.
    pub fn dd_reuse_offers(
        &self,
        scope: &OrgScope,
        law: &Law,
        operation_id: &str,
        today: Date,
    ) -> Result<Vec<ReuseOffer>, RecordError> {
        let cat = catalogue(law)?;
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let op = operation_in(conn, scope, operation_id)?;
        Ok(offers_in(conn, scope, cat, &op, today)?)
    }

    /// Opens a new file from a concluded one (see [`reuse_in`]) in its own transaction.
    ///
    /// # Errors
    /// As [`reuse_in`].
    pub fn reuse_dd_file(
        &self,
        scope: &OrgScope,
        law: &Law,
        operation_id: &str,
        from: &str,
        today: Date,
    ) -> Result<Reused, RecordError> {
        may(scope, Action::Enter)?;
        self.write_tx(|c| reuse_in(c, scope, law, operation_id, from, today))
    }

    /// The answers a file carried over, by question.
    ///
    /// # Errors
    /// A database failure.
    pub fn dd_carried_answers(
        &self,
        scope: &OrgScope,
        file_id: &str,
    ) -> Result<Vec<CarriedAnswer>, StoreError> {
        Ok(dd_carried_answers::table
            .filter(dd_carried_answers::org_id.eq(scope.org_id()))
            .filter(dd_carried_answers::file_id.eq(file_id))
            .order(dd_carried_answers::question.asc())
            .select(CarriedAnswer::as_select())
            .load(&mut *self.conn()?)?)
    }
}
