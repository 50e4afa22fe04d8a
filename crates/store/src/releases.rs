//! Product releases: the versions of an item (software releases), each registered with its
//! answers to the classification questions (the facts of its product sheet).
//!
//! Rules:
//! - a new version whose answers differ from those of the item's previous classified version is
//!   flagged "re-classification required": the classification of the earlier version no longer
//!   describes what is exported (Annex I of Regulation (EU) 2021/821 lists items by their
//!   characteristics; a change of function or performance may change the entry);
//! - a version is exportable when a classification was recorded for it after it was registered,
//!   or when its answers are those of the previous classified version (the classification
//!   carries over); a version never classified, or flagged, is not;
//! - an operation naming a version that is not exportable is held with cause
//!   `reclassification` ([`hold_for_release_in`]) until an officer releases it once the version
//!   is classified;
//! - every read and write takes an [`OrgScope`]; registering needs [`Action::Enter`] and is
//!   audited (`item.release_registered`) in the same transaction.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde_json::json;
use vigil_domain::access::Action;
use vigil_domain::audit::AuditEvent;

use crate::accounts::{OrgScope, now_micros};
use crate::audit::append_in;
use crate::lifecycle::{Hold, HoldCause, insert_hold_in};
use crate::records::{
    ClassificationRecord, NewOperation, OperationRecord, RecordError, insert_operation_in, new_id,
};
use crate::schema::{classifications, items};
use crate::{DbConnection, Store, StoreError};

diesel::table! {
    /// The registered versions of items.
    item_releases (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// Item.
        item_id -> Text,
        /// Version label.
        version_label -> Text,
        /// The answers (JSON object: fact id → value).
        answers_json -> Text,
        /// The classified version compared against.
        previous_label -> Nullable<Text>,
        /// The facts whose answers changed (JSON array).
        changed_json -> Text,
        /// `yes` when re-classification is required.
        reclassification_required -> Text,
        /// Registered by (user id).
        created_by -> Text,
        /// When (µs).
        created_at -> BigInt,
    }
}

/// A registered version of an item.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = item_releases)]
pub struct ItemRelease {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Item.
    pub item_id: String,
    /// Version label.
    pub version_label: String,
    /// The answers (JSON object).
    pub answers_json: String,
    /// The classified version compared against.
    pub previous_label: Option<String>,
    /// The facts whose answers changed (JSON array).
    pub changed_json: String,
    /// `yes` when flagged.
    pub reclassification_required: String,
    /// Registered by.
    pub created_by: String,
    /// When (µs).
    pub created_at: i64,
}

impl ItemRelease {
    /// The facts whose answers changed from the previous classified version.
    #[must_use]
    pub fn changed(&self) -> Vec<String> {
        serde_json::from_str(&self.changed_json).unwrap_or_default()
    }

    /// Flagged "re-classification required" at registration.
    #[must_use]
    pub fn flagged(&self) -> bool {
        self.reclassification_required == "yes"
    }
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseStatus {
    /// Classified (or its answers are those of the previous classified version): exportable.
    Classified,
    /// Never classified: not exportable.
    Unclassified,
    /// Its answers changed since the previous classified version: not exportable until
    /// classified.
    ReclassificationRequired,
}

impl ReleaseStatus {
    /// The name shown and stored in hold details.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Classified => "classified",
            ReleaseStatus::Unclassified => "unclassified",
            ReleaseStatus::ReclassificationRequired => "reclassification_required",
        }
    }

    /// May be exported.
    #[must_use]
    pub fn exportable(self) -> bool {
        self == ReleaseStatus::Classified
    }
}

fn invalid(field: &'static str, reason: &str) -> RecordError {
    RecordError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

/// The facts of a stored product sheet (`{"facts": {...}}`), as a JSON object.
fn facts_of(sheet_json: &str) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(sheet_json)
        .ok()
        .and_then(|v| v.get("facts").and_then(|f| f.as_object().cloned()))
        .unwrap_or_default()
}

/// The fact ids whose answers differ between `a` and `b` (a missing answer differs from any).
fn changed_facts(
    a: &serde_json::Map<String, serde_json::Value>,
    b: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// The status of `release` given the item's classification records.
fn status_of(release: &ItemRelease, records: &[ClassificationRecord]) -> ReleaseStatus {
    let classified_since = records
        .iter()
        .any(|r| r.version_label == release.version_label && r.classified_at >= release.created_at);
    if classified_since {
        ReleaseStatus::Classified
    } else if release.flagged() {
        ReleaseStatus::ReclassificationRequired
    } else if release.previous_label.is_some() {
        ReleaseStatus::Classified
    } else {
        ReleaseStatus::Unclassified
    }
}

fn records_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    item_id: &str,
) -> Result<Vec<ClassificationRecord>, diesel::result::Error> {
    classifications::table
        .filter(classifications::org_id.eq(scope.org_id()))
        .filter(classifications::item_id.eq(item_id))
        .order((
            classifications::classified_at.desc(),
            classifications::id.asc(),
        ))
        .select(ClassificationRecord::as_select())
        .load(conn)
}

/// The status of version `label` of an item on `conn`: `None` when no release of that label was
/// registered (a version only classified is [`ReleaseStatus::Classified`] when a classification
/// names it, [`ReleaseStatus::Unclassified`] otherwise).
///
/// # Errors
/// A database failure.
pub fn release_status_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    item_id: &str,
    label: &str,
) -> Result<ReleaseStatus, diesel::result::Error> {
    let records = records_in(conn, scope, item_id)?;
    let release: Option<ItemRelease> = item_releases::table
        .filter(item_releases::org_id.eq(scope.org_id()))
        .filter(item_releases::item_id.eq(item_id))
        .filter(item_releases::version_label.eq(label))
        .select(ItemRelease::as_select())
        .first(conn)
        .optional()?;
    Ok(match release {
        Some(r) => status_of(&r, &records),
        None if records.iter().any(|r| r.version_label == label) => ReleaseStatus::Classified,
        None => ReleaseStatus::Unclassified,
    })
}

/// Holds an operation (cause `reclassification`) on `conn` when the version of the item it names
/// is not exportable; inside the caller's transaction. Returns the hold when one was opened.
///
/// # Errors
/// [`RecordError::NotFound`] for an operation not of the scope's organisation; a database
/// failure.
pub fn hold_for_release_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    operation_id: &str,
    item_id: &str,
    label: &str,
) -> Result<Option<Hold>, RecordError> {
    let status = release_status_in(conn, scope, item_id, label)?;
    if status.exportable() {
        return Ok(None);
    }
    let hold = insert_hold_in(
        conn,
        scope.org_id(),
        scope.user_id(),
        operation_id,
        HoldCause::Reclassification,
        &json!({
            "item": item_id,
            "version": label,
            "status": status.as_str(),
            "rule": "the version must be classified before it is exported (Annex I of Regulation (EU) 2021/821)",
        }),
    )?;
    Ok(Some(hold))
}

impl Store {
    /// Registers a new version of an item with its answers (a JSON object of fact ids), flagged
    /// when they differ from the previous classified version's (audited:
    /// `item.release_registered`).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`] without [`Action::Enter`]; [`RecordError::NotFound`] for an item
    /// not in the scope's organisation; a bad label or answers; a version already registered
    /// ([`RecordError::Invalid`] on `version_label`); a database failure.
    pub fn register_release(
        &self,
        scope: &OrgScope,
        item_id: &str,
        version_label: &str,
        answers_json: &str,
    ) -> Result<ItemRelease, RecordError> {
        if !scope.role().allows(Action::Enter) {
            return Err(RecordError::Forbidden);
        }
        let label = version_label.trim();
        if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
            return Err(invalid("version_label", "1 to 100 characters"));
        }
        let answers = match serde_json::from_str::<serde_json::Value>(answers_json) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => {
                return Err(invalid(
                    "answers",
                    "a JSON object of fact ids and answers, e.g. {\"crypto.symmetric_key_bits\": 256}",
                ));
            }
        };
        self.write_tx(|c| {
            let found: i64 = items::table
                .filter(items::org_id.eq(scope.org_id()))
                .filter(items::id.eq(item_id))
                .count()
                .get_result(c)?;
            if found == 0 {
                return Err(RecordError::NotFound);
            }
            let exists: i64 = item_releases::table
                .filter(item_releases::org_id.eq(scope.org_id()))
                .filter(item_releases::item_id.eq(item_id))
                .filter(item_releases::version_label.eq(label))
                .count()
                .get_result(c)?;
            if exists > 0 {
                return Err(invalid(
                    "version_label",
                    "this version is already registered",
                ));
            }
            let previous = records_in(c, scope, item_id)?.into_iter().next();
            let (previous_label, changed) = match &previous {
                Some(p) => (
                    Some(p.version_label.clone()),
                    changed_facts(&facts_of(&p.sheet_json), &answers),
                ),
                None => (None, Vec::new()),
            };
            let flagged = previous.is_some() && !changed.is_empty();
            let rel = ItemRelease {
                id: new_id()?,
                org_id: scope.org_id().to_owned(),
                item_id: item_id.to_owned(),
                version_label: label.to_owned(),
                answers_json: serde_json::Value::Object(answers.clone()).to_string(),
                previous_label,
                changed_json: json!(changed).to_string(),
                reclassification_required: if flagged { "yes" } else { "no" }.to_owned(),
                created_by: scope.user_id().to_owned(),
                created_at: now_micros(),
            };
            diesel::insert_into(item_releases::table)
                .values((
                    item_releases::id.eq(&rel.id),
                    item_releases::org_id.eq(&rel.org_id),
                    item_releases::item_id.eq(&rel.item_id),
                    item_releases::version_label.eq(&rel.version_label),
                    item_releases::answers_json.eq(&rel.answers_json),
                    item_releases::previous_label.eq(&rel.previous_label),
                    item_releases::changed_json.eq(&rel.changed_json),
                    item_releases::reclassification_required.eq(&rel.reclassification_required),
                    item_releases::created_by.eq(&rel.created_by),
                    item_releases::created_at.eq(rel.created_at),
                ))
                .execute(c)?;
            append_in(
                c,
                scope.org_id(),
                AuditEvent {
                    at: crate::audit::now(),
                    org_id: scope.org_id().to_owned(),
                    actor: scope.user_id().to_owned(),
                    action: "item.release_registered".to_owned(),
                    subject: format!("item:{item_id}"),
                    detail: json!({
                        "release": rel.id,
                        "version": rel.version_label,
                        "previous": rel.previous_label,
                        "changed": changed,
                        "reclassification_required": flagged,
                    }),
                },
            )?;
            Ok(rel)
        })
    }

    /// The registered versions of an item of the scope's organisation with their status, newest
    /// first (empty for another organisation's item).
    ///
    /// # Errors
    /// A database failure.
    pub fn releases(
        &self,
        scope: &OrgScope,
        item_id: &str,
    ) -> Result<Vec<(ItemRelease, ReleaseStatus)>, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let records = records_in(conn, scope, item_id)?;
        let rels: Vec<ItemRelease> = item_releases::table
            .filter(item_releases::org_id.eq(scope.org_id()))
            .filter(item_releases::item_id.eq(item_id))
            .order((item_releases::created_at.desc(), item_releases::id.asc()))
            .select(ItemRelease::as_select())
            .load(conn)?;
        Ok(rels
            .into_iter()
            .map(|r| {
                let s = status_of(&r, &records);
                (r, s)
            })
            .collect())
    }

    /// The status of a version of an item (see [`release_status_in`]).
    ///
    /// # Errors
    /// A database failure.
    pub fn release_status(
        &self,
        scope: &OrgScope,
        item_id: &str,
        label: &str,
    ) -> Result<ReleaseStatus, StoreError> {
        Ok(release_status_in(
            &mut *self.conn()?,
            scope,
            item_id,
            label,
        )?)
    }

    /// Records an assessed operation that names version `label` of an item, in one transaction:
    /// the operation (see [`insert_operation_in`]) and, when the version is not exportable, its
    /// `reclassification` hold.
    ///
    /// # Errors
    /// As [`Store::create_operation`].
    pub fn create_operation_for_release(
        &self,
        scope: &OrgScope,
        new: &NewOperation<'_>,
        item_id: &str,
        label: &str,
    ) -> Result<OperationRecord, RecordError> {
        if !scope.role().allows(Action::Enter) {
            return Err(RecordError::Forbidden);
        }
        self.write_tx(|c| {
            let op = insert_operation_in(c, scope, new)?;
            if hold_for_release_in(c, scope, &op.id, item_id, label)?.is_some() {
                return Ok(crate::schema::operations::table
                    .filter(crate::schema::operations::id.eq(&op.id))
                    .select(OperationRecord::as_select())
                    .first(c)?);
            }
            Ok(op)
        })
    }
}
