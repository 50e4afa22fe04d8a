//! The records of the workspace: items (the product master) with a classification record per
//! version or release, parties, and operations with their assessment.
//!
//! Rules:
//! - every read and every write takes an [`OrgScope`]: a query names the scope's organisation,
//!   so a member of organisation B never reads, classifies or names organisation A's records
//!   (an id of another organisation is [`RecordError::NotFound`], like an unknown one);
//! - writes need a role that allows [`Action::Enter`] ([`RecordError::Forbidden`] otherwise;
//!   the front ends check it first to answer 403);
//! - every create appends its audit row (`item.created`, `item.classified`, `party.created`,
//!   `operation.assessed`) to the organisation's chain in the same transaction: the record and
//!   its audit row commit or roll back together;
//! - the store decides nothing: the classification and the assessment come from `vigil-domain`
//!   through the caller and are stored as the JSON it produced. The status of an operation is
//!   read off its decision ([`OperationStatus::of_decision`]).

use diesel::prelude::*;
use serde_json::json;
use vigil_domain::access::Action;

use crate::accounts::{OrgScope, now_micros};
use crate::schema::{classifications, items, operation_parties, operations, parties};
use crate::{DbConnection, Store, StoreError};

/// Errors of record operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field is not acceptable (`field` names the form field / JSON member).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// No such record in the scope's organisation (another organisation's looks the same).
    #[error("not found")]
    NotFound,
    /// The scope's role does not allow changes.
    #[error("this role may not change records")]
    Forbidden,
    /// No randomness for an id.
    #[error("cannot get random bytes: {0}")]
    Random(String),
    /// The rules refuse the change (e.g. four eyes, a prohibited operation); the text says why.
    #[error("refused: {0}")]
    Refused(String),
    /// One record of a batch (0-based `index`) was refused; nothing of the batch was written.
    #[error("record {}: {source}", index + 1)]
    Line {
        /// 0-based index in the batch.
        index: usize,
        /// Why.
        source: Box<RecordError>,
    },
}

impl From<diesel::result::Error> for RecordError {
    fn from(e: diesel::result::Error) -> Self {
        RecordError::Store(StoreError::Query(e))
    }
}

/// Item kinds (the contract's names).
pub const ITEM_KINDS: [&str; 3] = ["hardware", "software", "technology"];

/// Party roles (the contract's names).
pub const PARTY_ROLES: [&str; 7] = [
    "consignee",
    "end_user",
    "intermediate_consignee",
    "broker",
    "distributor",
    "reseller",
    "subsidiary",
];

/// Decisions that stop an operation until someone acts (a licence, a notification's answer, a
/// review, or never).
pub const BLOCKING_DECISIONS: [&str; 4] =
    ["prohibited", "hold", "licence_required", "notify_authority"];

/// An item of the product master.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = items)]
pub struct Item {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Name.
    pub name: String,
    /// `hardware`, `software` or `technology`.
    pub kind: String,
    /// Description.
    pub description: String,
    /// Created by (user id).
    pub created_by: String,
    /// When created (µs).
    pub created_at: i64,
}

/// A new item.
#[derive(Debug, Clone, Default)]
pub struct NewItem<'a> {
    /// Name.
    pub name: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Description.
    pub description: &'a str,
}

/// The classification record of one version or release of an item.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = classifications)]
pub struct ClassificationRecord {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Item.
    pub item_id: String,
    /// Version or release label.
    pub version_label: String,
    /// The product sheet (ItemSheet JSON).
    pub sheet_json: String,
    /// Vigil's output (Classification JSON).
    pub result_json: String,
    /// The chosen Annex I entries (JSON array).
    pub entries_json: String,
    /// The user's Art. 2(20) reading: `yes` or `no`.
    pub cyber_surveillance: String,
    /// Law version.
    pub law_version: String,
    /// Who classified (user id).
    pub classified_by: String,
    /// When (µs).
    pub classified_at: i64,
}

impl ClassificationRecord {
    /// The chosen entries.
    ///
    /// # Errors
    /// [`UnreadableEntries`] when the stored list is not a JSON list of codes (the database was
    /// edited or damaged): an error, never "no entries", which would read as "not listed".
    pub fn entries(&self) -> Result<Vec<String>, UnreadableEntries> {
        serde_json::from_str(&self.entries_json).map_err(|source| UnreadableEntries {
            id: self.id.clone(),
            source,
        })
    }

    /// The item sheet as stored (JSON).
    ///
    /// # Errors
    /// [`UnreadableRecord`] when the stored text is not JSON.
    pub fn sheet(&self) -> Result<serde_json::Value, UnreadableRecord> {
        read_json(
            "classification record",
            &self.id,
            "item sheet",
            &self.sheet_json,
        )
    }

    /// The classification result as stored (JSON).
    ///
    /// # Errors
    /// [`UnreadableRecord`] when the stored text is not JSON.
    pub fn result(&self) -> Result<serde_json::Value, UnreadableRecord> {
        read_json(
            "classification record",
            &self.id,
            "classification result",
            &self.result_json,
        )
    }
}

/// The stored entries of a classification record cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("classification record {id}: its stored Annex I entries are unreadable")]
pub struct UnreadableEntries {
    /// The classification record.
    pub id: String,
    /// The JSON error.
    #[source]
    pub source: serde_json::Error,
}

impl From<UnreadableEntries> for StoreError {
    /// A stored value that does not deserialise, as diesel reports one.
    fn from(e: UnreadableEntries) -> Self {
        StoreError::Query(diesel::result::Error::DeserializationError(Box::new(e)))
    }
}

impl From<UnreadableEntries> for RecordError {
    fn from(e: UnreadableEntries) -> Self {
        RecordError::Store(e.into())
    }
}

/// A JSON value the store wrote cannot be read back (the database was edited or damaged): an
/// error to show, never a value to guess (an empty input or assessment would read as "nothing").
#[derive(Debug, thiserror::Error)]
#[error("{record} {id}: its stored {field} is unreadable")]
pub struct UnreadableRecord {
    /// What kind of record: `operation`, `classification record`.
    pub record: &'static str,
    /// Its id.
    pub id: String,
    /// The column: `input`, `assessment`, `item sheet`, `classification result`.
    pub field: &'static str,
    /// The JSON error.
    #[source]
    pub source: serde_json::Error,
}

impl From<UnreadableRecord> for StoreError {
    /// A stored value that does not deserialise, as diesel reports one.
    fn from(e: UnreadableRecord) -> Self {
        StoreError::Query(diesel::result::Error::DeserializationError(Box::new(e)))
    }
}

impl From<UnreadableRecord> for RecordError {
    fn from(e: UnreadableRecord) -> Self {
        RecordError::Store(e.into())
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    record: &'static str,
    id: &str,
    field: &'static str,
    text: &str,
) -> Result<T, UnreadableRecord> {
    serde_json::from_str(text).map_err(|source| UnreadableRecord {
        record,
        id: id.to_owned(),
        field,
        source,
    })
}

/// A new classification record (JSON as produced by `vigil-domain`).
#[derive(Debug, Clone)]
pub struct NewClassification<'a> {
    /// Version or release label.
    pub version_label: &'a str,
    /// ItemSheet JSON.
    pub sheet_json: &'a str,
    /// Classification JSON.
    pub result_json: &'a str,
    /// The entries the user chose (Annex I codes, checked by the caller against the law).
    pub entries: &'a [String],
    /// The user's Art. 2(20) reading.
    pub cyber_surveillance: bool,
    /// Law version.
    pub law_version: &'a str,
}

/// A party.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = parties)]
pub struct Party {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Contract role.
    pub role: String,
    /// Name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country.
    pub country: String,
    /// Notes.
    pub notes: String,
    /// Created by (user id).
    pub created_by: String,
    /// When created (µs).
    pub created_at: i64,
}

/// A new party.
#[derive(Debug, Clone, Default)]
pub struct NewParty<'a> {
    /// Contract role.
    pub role: &'a str,
    /// Name.
    pub name: &'a str,
    /// ISO 3166-1 alpha-2 country (upper-cased here).
    pub country: &'a str,
    /// Notes.
    pub notes: &'a str,
}

/// The status of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationStatus {
    /// No authorisation needed, or a general one covers it.
    Decided,
    /// Prohibited, on hold, or waiting for a licence or the authority.
    Blocked,
}

impl OperationStatus {
    /// The status an assessment's decision (contract name) gives.
    pub fn of_decision(decision: &str) -> OperationStatus {
        if BLOCKING_DECISIONS.contains(&decision) {
            OperationStatus::Blocked
        } else {
            OperationStatus::Decided
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationStatus::Decided => "decided",
            OperationStatus::Blocked => "blocked",
        }
    }
}

/// An operation with its assessment.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = operations)]
pub struct OperationRecord {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The exporter's reference.
    pub reference: String,
    /// OPERATION JSON.
    pub input_json: String,
    /// Assessment JSON.
    pub assessment_json: String,
    /// Decision (contract name).
    pub decision: String,
    /// Law version.
    pub law_version: String,
    /// `decided` or `blocked`.
    pub status: String,
    /// Created by (user id).
    pub created_by: String,
    /// When created (µs).
    pub created_at: i64,
    /// Keep the record until at least this date (Art. 27; `YYYY-MM-DD`).
    pub retain_until: Option<String>,
    /// When the record was frozen (on release; µs).
    pub frozen_at: Option<i64>,
    /// When the export was carried out (µs).
    pub completed_at: Option<i64>,
}

impl OperationRecord {
    /// The OPERATION as stored (JSON).
    ///
    /// # Errors
    /// [`UnreadableRecord`] when the stored text is not JSON.
    pub fn input(&self) -> Result<serde_json::Value, UnreadableRecord> {
        read_json("operation", &self.id, "input", &self.input_json)
    }

    /// The assessment as stored.
    ///
    /// # Errors
    /// [`UnreadableRecord`] when the stored text is not an assessment.
    pub fn assessment(&self) -> Result<vigil_domain::assess::Assessment, UnreadableRecord> {
        read_json("operation", &self.id, "assessment", &self.assessment_json)
    }

    /// The assessment as stored, as JSON (for readers that need only some of its fields).
    ///
    /// # Errors
    /// [`UnreadableRecord`] when the stored text is not JSON.
    pub fn assessment_value(&self) -> Result<serde_json::Value, UnreadableRecord> {
        read_json("operation", &self.id, "assessment", &self.assessment_json)
    }

    /// Still open: the export has not been recorded as carried out.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.completed_at.is_none()
    }
}

/// A new operation (JSON as produced by `vigil-domain`).
#[derive(Debug, Clone, Default)]
pub struct NewOperation<'a> {
    /// The exporter's reference (may be empty).
    pub reference: &'a str,
    /// OPERATION JSON.
    pub input_json: &'a str,
    /// Assessment JSON.
    pub assessment_json: &'a str,
    /// Decision (contract name).
    pub decision: &'a str,
    /// Law version.
    pub law_version: &'a str,
    /// Keep the record until at least this date (the assessment's Art. 27 date, `YYYY-MM-DD`).
    pub retain_until: Option<&'a str>,
    /// The organisation's party records the operation names (checked: each must be one of the
    /// scope's organisation).
    pub party_ids: &'a [String],
}

pub(crate) fn new_id() -> Result<String, RecordError> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| RecordError::Random(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes a classification record on `conn`, inside the caller's transaction (which audits it).
///
/// # Errors
/// A database failure.
pub(crate) fn insert_classification_in(
    conn: &mut DbConnection,
    rec: &ClassificationRecord,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(classifications::table)
        .values((
            classifications::id.eq(&rec.id),
            classifications::org_id.eq(&rec.org_id),
            classifications::item_id.eq(&rec.item_id),
            classifications::version_label.eq(&rec.version_label),
            classifications::sheet_json.eq(&rec.sheet_json),
            classifications::result_json.eq(&rec.result_json),
            classifications::entries_json.eq(&rec.entries_json),
            classifications::cyber_surveillance.eq(&rec.cyber_surveillance),
            classifications::law_version.eq(&rec.law_version),
            classifications::classified_by.eq(&rec.classified_by),
            classifications::classified_at.eq(rec.classified_at),
        ))
        .execute(conn)?;
    Ok(())
}

fn invalid(field: &'static str, reason: &str) -> RecordError {
    RecordError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, RecordError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(invalid(field, &format!("1 to {max} characters")));
    }
    Ok(v.to_owned())
}

fn may_enter(scope: &OrgScope) -> Result<(), RecordError> {
    if scope.role().allows(Action::Enter) {
        Ok(())
    } else {
        Err(RecordError::Forbidden)
    }
}

fn audit(
    conn: &mut DbConnection,
    scope: &OrgScope,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> Result<(), RecordError> {
    crate::audit::append_scoped_in(conn, scope, action, subject, detail)?;
    Ok(())
}

/// Inserts an item and its `item.created` audit row on `conn`, inside the caller's transaction.
///
/// # Errors
/// [`RecordError::Forbidden`], a bad field, a database failure.
pub fn insert_item(
    conn: &mut DbConnection,
    scope: &OrgScope,
    new: &NewItem<'_>,
) -> Result<Item, RecordError> {
    may_enter(scope)?;
    let name = text("name", new.name, 200)?;
    if !ITEM_KINDS.contains(&new.kind) {
        return Err(invalid("kind", "hardware, software or technology"));
    }
    let description = new.description.trim();
    if description.chars().count() > 10_000 {
        return Err(invalid("description", "at most 10000 characters"));
    }
    let item = Item {
        id: new_id()?,
        org_id: scope.org_id().to_owned(),
        name,
        kind: new.kind.to_owned(),
        description: description.to_owned(),
        created_by: scope.user_id().to_owned(),
        created_at: now_micros(),
    };
    diesel::insert_into(items::table)
        .values((
            items::id.eq(&item.id),
            items::org_id.eq(&item.org_id),
            items::name.eq(&item.name),
            items::kind.eq(&item.kind),
            items::description.eq(&item.description),
            items::created_by.eq(&item.created_by),
            items::created_at.eq(item.created_at),
        ))
        .execute(conn)?;
    audit(
        conn,
        scope,
        "item.created",
        format!("item:{}", item.id),
        json!({"name": item.name, "kind": item.kind}),
    )?;
    Ok(item)
}

impl Store {
    /// Creates an item in the scope's organisation (audited: `item.created`).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`], a bad field, a database failure.
    pub fn create_item(&self, scope: &OrgScope, new: &NewItem<'_>) -> Result<Item, RecordError> {
        may_enter(scope)?;
        self.write_tx(|c| insert_item(c, scope, new))
    }

    /// The scope's organisation's items, newest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn items(&self, scope: &OrgScope) -> Result<Vec<Item>, StoreError> {
        Ok(items::table
            .filter(items::org_id.eq(scope.org_id()))
            .order((items::created_at.desc(), items::id.asc()))
            .select(Item::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// One item of the scope's organisation.
    ///
    /// # Errors
    /// A database failure.
    pub fn item(&self, scope: &OrgScope, id: &str) -> Result<Option<Item>, StoreError> {
        Ok(items::table
            .filter(items::org_id.eq(scope.org_id()))
            .filter(items::id.eq(id))
            .select(Item::as_select())
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// Records the classification of a version of an item (audited: `item.classified`).
    ///
    /// # Errors
    /// [`RecordError::NotFound`] for an item not in the scope's organisation;
    /// [`RecordError::Forbidden`]; a bad field; a database failure.
    pub fn classify_item(
        &self,
        scope: &OrgScope,
        item_id: &str,
        new: &NewClassification<'_>,
    ) -> Result<ClassificationRecord, RecordError> {
        may_enter(scope)?;
        let version_label = text("version_label", new.version_label, 100)?;
        for (field, value) in [("sheet", new.sheet_json), ("result", new.result_json)] {
            if serde_json::from_str::<serde_json::Value>(value).is_err() {
                return Err(invalid(field, "not JSON"));
            }
        }
        let mut entries: Vec<String> = Vec::new();
        for e in new.entries {
            let e = e.trim();
            if e.is_empty() || e.len() > 40 || e.chars().any(char::is_whitespace) {
                return Err(invalid("entries", "Annex I codes, e.g. 5A001.f.2"));
            }
            if !entries.iter().any(|x| x == e) {
                entries.push(e.to_owned());
            }
        }
        let entries_json = serde_json::to_string(&entries)
            .map_err(|e| invalid("entries", &format!("cannot serialise: {e}")))?;
        self.write_tx(|c| {
            let found: i64 = items::table
                .filter(items::org_id.eq(scope.org_id()))
                .filter(items::id.eq(item_id))
                .count()
                .get_result(c)?;
            if found == 0 {
                return Err(RecordError::NotFound);
            }
            let rec = ClassificationRecord {
                id: new_id()?,
                org_id: scope.org_id().to_owned(),
                item_id: item_id.to_owned(),
                version_label,
                sheet_json: new.sheet_json.to_owned(),
                result_json: new.result_json.to_owned(),
                entries_json,
                cyber_surveillance: if new.cyber_surveillance { "yes" } else { "no" }.to_owned(),
                law_version: new.law_version.to_owned(),
                classified_by: scope.user_id().to_owned(),
                classified_at: now_micros(),
            };
            insert_classification_in(c, &rec)?;
            audit(
                c,
                scope,
                "item.classified",
                format!("item:{item_id}"),
                json!({
                    "classification": rec.id,
                    "version": rec.version_label,
                    "entries": entries,
                    "cyber_surveillance": rec.cyber_surveillance,
                    "law_version": rec.law_version,
                }),
            )?;
            Ok(rec)
        })
    }

    /// The classification records of an item of the scope's organisation, newest first (empty
    /// for another organisation's item).
    ///
    /// # Errors
    /// A database failure.
    pub fn classifications(
        &self,
        scope: &OrgScope,
        item_id: &str,
    ) -> Result<Vec<ClassificationRecord>, StoreError> {
        Ok(classifications::table
            .filter(classifications::org_id.eq(scope.org_id()))
            .filter(classifications::item_id.eq(item_id))
            .order((
                classifications::classified_at.desc(),
                classifications::id.asc(),
            ))
            .select(ClassificationRecord::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// Creates a party (audited: `party.created`).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`], a bad field, a database failure.
    pub fn create_party(&self, scope: &OrgScope, new: &NewParty<'_>) -> Result<Party, RecordError> {
        may_enter(scope)?;
        if !PARTY_ROLES.contains(&new.role) {
            return Err(invalid("role", "a party role of the contract"));
        }
        let name = text("name", new.name, 200)?;
        let country = new.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("country", "an ISO 3166-1 alpha-2 code, e.g. FR"));
        }
        let notes = new.notes.trim();
        if notes.chars().count() > 10_000 {
            return Err(invalid("notes", "at most 10000 characters"));
        }
        let party = Party {
            id: new_id()?,
            org_id: scope.org_id().to_owned(),
            role: new.role.to_owned(),
            name,
            country,
            notes: notes.to_owned(),
            created_by: scope.user_id().to_owned(),
            created_at: now_micros(),
        };
        self.write_tx(|c| {
            diesel::insert_into(parties::table)
                .values((
                    parties::id.eq(&party.id),
                    parties::org_id.eq(&party.org_id),
                    parties::role.eq(&party.role),
                    parties::name.eq(&party.name),
                    parties::country.eq(&party.country),
                    parties::notes.eq(&party.notes),
                    parties::created_by.eq(&party.created_by),
                    parties::created_at.eq(party.created_at),
                ))
                .execute(c)?;
            audit(
                c,
                scope,
                "party.created",
                format!("party:{}", party.id),
                json!({"role": party.role, "name": party.name, "country": party.country}),
            )?;
            Ok(party)
        })
    }

    /// The scope's organisation's parties, newest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn parties(&self, scope: &OrgScope) -> Result<Vec<Party>, StoreError> {
        Ok(parties::table
            .filter(parties::org_id.eq(scope.org_id()))
            .order((parties::created_at.desc(), parties::id.asc()))
            .select(Party::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// One party of the scope's organisation.
    ///
    /// # Errors
    /// A database failure.
    pub fn party(&self, scope: &OrgScope, id: &str) -> Result<Option<Party>, StoreError> {
        Ok(parties::table
            .filter(parties::org_id.eq(scope.org_id()))
            .filter(parties::id.eq(id))
            .select(Party::as_select())
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// Records an assessed operation (audited: `operation.assessed`); its status follows from
    /// the decision, and a blocking decision opens its first hold (cause `decision`).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`], a bad field (incl. a party of another organisation), a
    /// database failure.
    pub fn create_operation(
        &self,
        scope: &OrgScope,
        new: &NewOperation<'_>,
    ) -> Result<OperationRecord, RecordError> {
        may_enter(scope)?;
        self.write_tx(|c| insert_operation_in(c, scope, new))
    }

    /// Records several assessed operations in one transaction: all or none (a CSV upload).
    ///
    /// # Errors
    /// As [`Store::create_operation`], for the first operation that fails (`index` in
    /// [`RecordError::Line`]); nothing is written then.
    pub fn create_operations(
        &self,
        scope: &OrgScope,
        new: &[NewOperation<'_>],
    ) -> Result<Vec<OperationRecord>, RecordError> {
        may_enter(scope)?;
        self.write_tx(|c| {
            let mut out = Vec::with_capacity(new.len());
            for (index, n) in new.iter().enumerate() {
                match insert_operation_in(c, scope, n) {
                    Ok(op) => out.push(op),
                    Err(e @ RecordError::Invalid { .. }) => {
                        return Err(RecordError::Line {
                            index,
                            source: Box::new(e),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        })
    }

    /// The scope's organisation's operations, newest first; only blocked ones when `blocked`.
    ///
    /// # Errors
    /// A database failure.
    pub fn operations(
        &self,
        scope: &OrgScope,
        blocked: bool,
    ) -> Result<Vec<OperationRecord>, StoreError> {
        let mut q = operations::table
            .filter(operations::org_id.eq(scope.org_id()))
            .into_boxed();
        if blocked {
            q = q.filter(operations::status.eq(OperationStatus::Blocked.as_str()));
        }
        Ok(
            q.order((operations::created_at.desc(), operations::id.asc()))
                .select(OperationRecord::as_select())
                .load(&mut *self.conn()?)?,
        )
    }

    /// One operation of the scope's organisation.
    ///
    /// # Errors
    /// A database failure.
    pub fn operation(
        &self,
        scope: &OrgScope,
        id: &str,
    ) -> Result<Option<OperationRecord>, StoreError> {
        Ok(operations::table
            .filter(operations::org_id.eq(scope.org_id()))
            .filter(operations::id.eq(id))
            .select(OperationRecord::as_select())
            .first(&mut *self.conn()?)
            .optional()?)
    }
}

/// Inserts an assessed operation on `conn`, inside the caller's transaction: the row, its links
/// to the party records it names, its first hold when the decision blocks it, and the
/// `operation.assessed` audit row.
///
/// # Errors
/// [`RecordError::Forbidden`], a bad field (incl. a party of another organisation), a database
/// failure.
pub fn insert_operation_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    new: &NewOperation<'_>,
) -> Result<OperationRecord, RecordError> {
    may_enter(scope)?;
    let reference = new.reference.trim();
    if reference.chars().count() > 200 || reference.chars().any(char::is_control) {
        return Err(invalid("reference", "at most 200 characters"));
    }
    for (field, value) in [
        ("operation", new.input_json),
        ("assessment", new.assessment_json),
    ] {
        if serde_json::from_str::<serde_json::Value>(value).is_err() {
            return Err(invalid(field, "not JSON"));
        }
    }
    if new.decision.is_empty() {
        return Err(invalid("decision", "no decision"));
    }
    if let Some(d) = new.retain_until
        && time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).is_err()
    {
        return Err(invalid("retain_until", "a date YYYY-MM-DD"));
    }
    let mut party_ids: Vec<&str> = Vec::new();
    for id in new.party_ids {
        if !party_ids.contains(&id.as_str()) {
            party_ids.push(id);
        }
    }
    let status = OperationStatus::of_decision(new.decision);
    let op = OperationRecord {
        id: new_id()?,
        org_id: scope.org_id().to_owned(),
        reference: reference.to_owned(),
        input_json: new.input_json.to_owned(),
        assessment_json: new.assessment_json.to_owned(),
        decision: new.decision.to_owned(),
        law_version: new.law_version.to_owned(),
        status: status.as_str().to_owned(),
        created_by: scope.user_id().to_owned(),
        created_at: now_micros(),
        retain_until: new.retain_until.map(str::to_owned),
        frozen_at: None,
        completed_at: None,
    };
    if !party_ids.is_empty() {
        let found: i64 = parties::table
            .filter(parties::org_id.eq(scope.org_id()))
            .filter(parties::id.eq_any(&party_ids))
            .count()
            .get_result(conn)?;
        if usize::try_from(found).ok() != Some(party_ids.len()) {
            return Err(invalid("parties", "a party of this organisation"));
        }
    }
    diesel::insert_into(operations::table)
        .values((
            operations::id.eq(&op.id),
            operations::org_id.eq(&op.org_id),
            operations::reference.eq(&op.reference),
            operations::input_json.eq(&op.input_json),
            operations::assessment_json.eq(&op.assessment_json),
            operations::decision.eq(&op.decision),
            operations::law_version.eq(&op.law_version),
            operations::status.eq(&op.status),
            operations::created_by.eq(&op.created_by),
            operations::created_at.eq(op.created_at),
            operations::retain_until.eq(&op.retain_until),
        ))
        .execute(conn)?;
    for party in &party_ids {
        diesel::insert_into(operation_parties::table)
            .values((
                operation_parties::org_id.eq(&op.org_id),
                operation_parties::operation_id.eq(&op.id),
                operation_parties::party_id.eq(party),
            ))
            .execute(conn)?;
    }
    audit(
        conn,
        scope,
        "operation.assessed",
        format!("operation:{}", op.id),
        json!({
            "reference": op.reference,
            "decision": op.decision,
            "status": op.status,
            "law_version": op.law_version,
            "parties": party_ids,
            "retain_until": op.retain_until,
        }),
    )?;
    if status == OperationStatus::Blocked {
        crate::lifecycle::insert_hold_in(
            conn,
            scope.org_id(),
            scope.user_id(),
            &op.id,
            crate::lifecycle::HoldCause::Decision,
            &json!({"decision": op.decision}),
        )?;
    }
    Ok(op)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn record(entries_json: &str) -> ClassificationRecord {
        ClassificationRecord {
            id: "c1".into(),
            org_id: "o".into(),
            item_id: "i".into(),
            version_label: "v1".into(),
            sheet_json: "{}".into(),
            result_json: "{}".into(),
            entries_json: entries_json.into(),
            cyber_surveillance: "no".into(),
            law_version: "x".into(),
            classified_by: "u".into(),
            classified_at: 0,
        }
    }

    #[test]
    fn stored_entries_read_back_and_a_corrupt_list_is_an_error() {
        assert_eq!(record(r#"["5A001.f.2"]"#).entries().unwrap(), ["5A001.f.2"]);
        assert!(record("[]").entries().unwrap().is_empty(), "not listed");
        for corrupt in [
            "",
            "not json",
            r#"{"entries": []}"#,
            "[1, 2]",
            r#"["5A001.f.2""#,
        ] {
            let e = record(corrupt).entries().unwrap_err();
            assert_eq!(e.id, "c1");
            assert!(e.to_string().contains("c1"), "{e}");
            // Callers that speak the store's error see a failure, not an empty list.
            let store: StoreError = e.into();
            assert!(matches!(store, StoreError::Query(_)), "{store:?}");
        }
    }
}
