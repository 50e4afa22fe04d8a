//! The records of an organisation's internal compliance programme (Recommendation (EU)
//! 2019/1318): policies, named responsible persons, training and audit records.
//!
//! Rules:
//! - each record is filed under one of the seven elements of the Recommendation (1–7) and is of
//!   one kind ([`ICP_KINDS`]); it names a person (name and role) where one is concerned, a date,
//!   details, and optionally a document of the organisation's [`crate::attachments`];
//! - every read and write takes an [`OrgScope`]; writes need [`Action::Decide`] (officers and
//!   admins: the programme is the management's) — [`IcpError::Forbidden`] otherwise;
//! - a write is validated whole first: every bad field is named ([`IcpError::Invalid`]) and
//!   nothing is written;
//! - every record appends its `icp.recorded` audit row in the same transaction;
//! - a record may come with its document, uploaded with it ([`Store::record_icp_with_document`]):
//!   at most [`MAX_ATTACHMENT_BYTES`] ([`IcpError::TooLarge`]), of a type of
//!   [`DOCUMENT_TYPES`](crate::attachments::DOCUMENT_TYPES) ([`IcpError::UnsupportedType`]), stored with its SHA-256 as an attachment `icp:RECORD` in
//!   the same transaction as the record (`attachment.added`, then `icp.recorded` naming it), all
//!   or nothing.
//!
//! Records are never edited or deleted: a superseded policy is followed by a newer record.

use diesel::prelude::*;
use serde_json::json;
use vigil_domain::access::Action;
use vigil_domain::audit::AuditEvent;

use crate::accounts::{OrgScope, now_micros};
use crate::attachments::{
    Attachment, MAX_ATTACHMENT_BYTES, add_attachment_in, attachments, document_type_allowed,
    mime_essence,
};
use crate::audit::append_in;
use crate::records::new_id;
use crate::schema::{memberships, users};
use crate::{DbConnection, Store, StoreError};

diesel::table! {
    /// The records of the internal compliance programme.
    icp_records (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// Element of Recommendation (EU) 2019/1318 (1–7).
        element -> Integer,
        /// `policy`, `responsible_person`, `training`, `audit` or `other`.
        kind -> Text,
        /// Title.
        title -> Text,
        /// The person concerned (may be empty).
        person_name -> Text,
        /// Their role or function (may be empty).
        person_role -> Text,
        /// Date of the record (`YYYY-MM-DD`).
        record_date -> Text,
        /// Details.
        details -> Text,
        /// An attached document of the organisation.
        attachment_id -> Nullable<Text>,
        /// Recorded by (user id).
        recorded_by -> Text,
        /// When recorded (µs).
        recorded_at -> BigInt,
    }
}

/// The kinds of record (the contract's names).
pub const ICP_KINDS: [&str; 5] = ["policy", "responsible_person", "training", "audit", "other"];

/// Longest title, name and role (characters).
const MAX_SHORT: usize = 200;
/// Longest details (characters).
const MAX_DETAILS: usize = 10_000;

/// A bad field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field / JSON member.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// Errors of the programme's records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IcpError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Fields are not acceptable (every one named); nothing was written.
    #[error("{}", .0.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The scope's role may not record (needs [`Action::Decide`]).
    #[error("this role may not record the compliance programme")]
    Forbidden,
    /// No randomness for an id.
    #[error("cannot get random bytes: {0}")]
    Random(String),
    /// The document is larger than [`MAX_ATTACHMENT_BYTES`]; nothing was written.
    #[error("document: {size} bytes; at most 10 MiB (10485760 bytes) may be attached")]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// The document's type is not one of
    /// [`DOCUMENT_TYPES`](crate::attachments::DOCUMENT_TYPES); nothing was written.
    #[error(
        "document: type `{content_type}` is not accepted (PDF, PNG, JPEG, text, CSV, Word, Excel or OpenDocument)"
    )]
    UnsupportedType {
        /// The type as sent.
        content_type: String,
    },
    /// The document could not be stored (its name, or the database).
    #[error(transparent)]
    Attachment(#[from] crate::attachments::AttachmentError),
}

impl From<diesel::result::Error> for IcpError {
    fn from(e: diesel::result::Error) -> Self {
        IcpError::Store(StoreError::Query(e))
    }
}

/// A record of the programme.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = icp_records)]
pub struct IcpRecord {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Element (1–7).
    pub element: i32,
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Person concerned.
    pub person_name: String,
    /// Their role.
    pub person_role: String,
    /// Date (`YYYY-MM-DD`).
    pub record_date: String,
    /// Details.
    pub details: String,
    /// Attached document.
    pub attachment_id: Option<String>,
    /// Recorded by (user id).
    pub recorded_by: String,
    /// When recorded (µs).
    pub recorded_at: i64,
}

/// A new record, as entered (every field is checked).
#[derive(Debug, Clone, Default)]
pub struct NewIcpRecord<'a> {
    /// Element, `1` to `7`.
    pub element: &'a str,
    /// One of [`ICP_KINDS`].
    pub kind: &'a str,
    /// Title (1–200 characters).
    pub title: &'a str,
    /// Person concerned (required for a `responsible_person`).
    pub person_name: &'a str,
    /// Their role or function.
    pub person_role: &'a str,
    /// Date, `YYYY-MM-DD`.
    pub date: &'a str,
    /// Details (up to 10,000 characters; line breaks kept).
    pub details: &'a str,
    /// The id of a document of the organisation (empty: none).
    pub attachment_id: &'a str,
}

/// A document uploaded with a record.
#[derive(Debug, Clone, Copy)]
pub struct IcpDocument<'a> {
    /// File name as uploaded.
    pub filename: &'a str,
    /// MIME type as uploaded.
    pub content_type: &'a str,
    /// The bytes.
    pub bytes: &'a [u8],
}

/// Checks a document's size and type: [`IcpError::TooLarge`], [`IcpError::UnsupportedType`].
///
/// # Errors
/// As said.
pub fn check_document(doc: &IcpDocument<'_>) -> Result<(), IcpError> {
    if doc.bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(IcpError::TooLarge {
            size: doc.bytes.len(),
        });
    }
    if !document_type_allowed(doc.content_type) {
        return Err(IcpError::UnsupportedType {
            content_type: mime_essence(doc.content_type),
        });
    }
    Ok(())
}

/// A checked record, ready to insert.
struct Checked {
    element: i32,
    kind: String,
    title: String,
    person_name: String,
    person_role: String,
    date: String,
    details: String,
    attachment_id: Option<String>,
}

fn short(errors: &mut Vec<FieldError>, field: &'static str, value: &str, required: bool) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.push(FieldError {
            field,
            reason: "required".to_owned(),
        });
    } else if v.chars().count() > MAX_SHORT {
        errors.push(FieldError {
            field,
            reason: format!("at most {MAX_SHORT} characters"),
        });
    } else if v.chars().any(char::is_control) {
        errors.push(FieldError {
            field,
            reason: "no control characters".to_owned(),
        });
    }
    v.to_owned()
}

/// Checks every field; all the bad ones are named.
fn check(new: &NewIcpRecord<'_>) -> Result<Checked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let element = match new.element.trim().parse::<i32>() {
        Ok(n @ 1..=7) => n,
        _ => {
            errors.push(FieldError {
                field: "element",
                reason: "an element of the programme, 1 to 7".to_owned(),
            });
            0
        }
    };
    let kind = new.kind.trim();
    if !ICP_KINDS.contains(&kind) {
        errors.push(FieldError {
            field: "kind",
            reason: "policy, responsible_person, training, audit or other".to_owned(),
        });
    }
    let title = short(&mut errors, "title", new.title, true);
    let person_name = short(
        &mut errors,
        "person_name",
        new.person_name,
        kind == "responsible_person",
    );
    let person_role = short(&mut errors, "person_role", new.person_role, false);
    let date = new.date.trim();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if date.len() != 10 || time::Date::parse(date, &format).is_err() {
        errors.push(FieldError {
            field: "date",
            reason: "a date, YYYY-MM-DD".to_owned(),
        });
    }
    let details = new.details.trim().replace("\r\n", "\n");
    if details.chars().count() > MAX_DETAILS {
        errors.push(FieldError {
            field: "details",
            reason: format!("at most {MAX_DETAILS} characters"),
        });
    } else if details
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push(FieldError {
            field: "details",
            reason: "no control characters".to_owned(),
        });
    }
    let attachment = new.attachment_id.trim();
    if errors.is_empty() {
        Ok(Checked {
            element,
            kind: kind.to_owned(),
            title,
            person_name,
            person_role,
            date: date.to_owned(),
            details,
            attachment_id: (!attachment.is_empty()).then(|| attachment.to_owned()),
        })
    } else {
        Err(errors)
    }
}

/// Inserts a record and its `icp.recorded` audit row on `conn`, inside the caller's transaction.
///
/// # Errors
/// [`IcpError::Forbidden`] without [`Action::Decide`]; [`IcpError::Invalid`] naming every bad
/// field (an attachment that is not the organisation's included); a database failure.
pub fn insert_icp_record_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    new: &NewIcpRecord<'_>,
) -> Result<IcpRecord, IcpError> {
    insert_icp_record_with_document_in(conn, scope, new, None)
}

/// Inserts a record with the document uploaded with it (when there is one) on `conn`, inside
/// the caller's transaction: the document is stored as the attachment `icp:RECORD`
/// (`attachment.added`), then the record naming it (`icp.recorded`, with the document's name and
/// SHA-256).
///
/// # Errors
/// As [`insert_icp_record_in`]; [`IcpError::TooLarge`], [`IcpError::UnsupportedType`];
/// [`IcpError::Invalid`] (`document`) for a document given with an `attachment_id`;
/// [`IcpError::Attachment`] for a bad file name.
pub fn insert_icp_record_with_document_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    new: &NewIcpRecord<'_>,
    document: Option<&IcpDocument<'_>>,
) -> Result<IcpRecord, IcpError> {
    if !scope.role().allows(Action::Decide) {
        return Err(IcpError::Forbidden);
    }
    let mut c = check(new).map_err(IcpError::Invalid)?;
    if let Some(doc) = document {
        check_document(doc)?;
        if c.attachment_id.is_some() {
            return Err(IcpError::Invalid(vec![FieldError {
                field: "document",
                reason: "upload a document or name one (attachment_id), not both".to_owned(),
            }]));
        }
    }
    let id = new_id().map_err(|e| IcpError::Random(e.to_string()))?;
    let mut uploaded: Option<Attachment> = None;
    if let Some(doc) = document {
        let att = add_attachment_in(
            conn,
            scope,
            &format!("icp:{id}"),
            doc.filename,
            &mime_essence(doc.content_type),
            doc.bytes,
        )?;
        c.attachment_id = Some(att.id.clone());
        uploaded = Some(att);
    } else if let Some(att) = &c.attachment_id {
        let found: i64 = attachments::table
            .filter(attachments::org_id.eq(scope.org_id()))
            .filter(attachments::id.eq(att))
            .count()
            .get_result(conn)?;
        if found == 0 {
            return Err(IcpError::Invalid(vec![FieldError {
                field: "attachment_id",
                reason: "no document of this organisation".to_owned(),
            }]));
        }
    }
    let record = IcpRecord {
        id,
        org_id: scope.org_id().to_owned(),
        element: c.element,
        kind: c.kind,
        title: c.title,
        person_name: c.person_name,
        person_role: c.person_role,
        record_date: c.date,
        details: c.details,
        attachment_id: c.attachment_id,
        recorded_by: scope.user_id().to_owned(),
        recorded_at: now_micros(),
    };
    diesel::insert_into(icp_records::table)
        .values((
            icp_records::id.eq(&record.id),
            icp_records::org_id.eq(&record.org_id),
            icp_records::element.eq(record.element),
            icp_records::kind.eq(&record.kind),
            icp_records::title.eq(&record.title),
            icp_records::person_name.eq(&record.person_name),
            icp_records::person_role.eq(&record.person_role),
            icp_records::record_date.eq(&record.record_date),
            icp_records::details.eq(&record.details),
            icp_records::attachment_id.eq(&record.attachment_id),
            icp_records::recorded_by.eq(&record.recorded_by),
            icp_records::recorded_at.eq(record.recorded_at),
        ))
        .execute(conn)?;
    append_in(
        conn,
        scope.org_id(),
        AuditEvent {
            at: crate::audit::now(),
            org_id: scope.org_id().to_owned(),
            actor: scope.user_id().to_owned(),
            action: "icp.recorded".to_owned(),
            subject: format!("icp:{}", record.id),
            detail: json!({
                "element": record.element,
                "kind": record.kind,
                "title": record.title,
                "date": record.record_date,
                "attachment": record.attachment_id,
                "document": uploaded.as_ref().map(|a| json!({
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                })),
            }),
        },
    )?;
    Ok(record)
}

impl Store {
    /// Records an entry of the scope's organisation's programme (audited: `icp.recorded`).
    ///
    /// # Errors
    /// As [`insert_icp_record_in`].
    pub fn record_icp(
        &self,
        scope: &OrgScope,
        new: &NewIcpRecord<'_>,
    ) -> Result<IcpRecord, IcpError> {
        if !scope.role().allows(Action::Decide) {
            return Err(IcpError::Forbidden);
        }
        check(new).map_err(IcpError::Invalid)?;
        self.write_tx(|c| insert_icp_record_in(c, scope, new))
    }

    /// Records an entry with the document uploaded with it (see
    /// [`insert_icp_record_with_document_in`]) in one transaction: all or nothing.
    ///
    /// # Errors
    /// As [`insert_icp_record_with_document_in`].
    pub fn record_icp_with_document(
        &self,
        scope: &OrgScope,
        new: &NewIcpRecord<'_>,
        document: Option<&IcpDocument<'_>>,
    ) -> Result<IcpRecord, IcpError> {
        if !scope.role().allows(Action::Decide) {
            return Err(IcpError::Forbidden);
        }
        check(new).map_err(IcpError::Invalid)?;
        if let Some(doc) = document {
            check_document(doc)?;
        }
        self.write_tx(|c| insert_icp_record_with_document_in(c, scope, new, document))
    }

    /// The document of a record of the scope's organisation, with its bytes (`None`: no such
    /// record in the organisation, or no document).
    ///
    /// # Errors
    /// A database failure.
    pub fn icp_document(
        &self,
        scope: &OrgScope,
        record_id: &str,
    ) -> Result<Option<(Attachment, Vec<u8>)>, StoreError> {
        let Some(att) = self
            .icp_record(scope, record_id)?
            .and_then(|r| r.attachment_id)
        else {
            return Ok(None);
        };
        self.attachment(scope, &att)
    }

    /// The documents of the scope's organisation's programme (without bytes), by id.
    ///
    /// # Errors
    /// A database failure.
    pub fn icp_documents(
        &self,
        scope: &OrgScope,
        records: &[IcpRecord],
    ) -> Result<std::collections::BTreeMap<String, Attachment>, StoreError> {
        let ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.attachment_id.clone())
            .collect();
        Ok(self
            .attachments_by_ids(scope, &ids)?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect())
    }

    /// The scope's organisation's programme: by element, newest date first.
    ///
    /// # Errors
    /// A database failure.
    pub fn icp_records(&self, scope: &OrgScope) -> Result<Vec<IcpRecord>, StoreError> {
        Ok(icp_records::table
            .filter(icp_records::org_id.eq(scope.org_id()))
            .order((
                icp_records::element.asc(),
                icp_records::record_date.desc(),
                icp_records::recorded_at.desc(),
                icp_records::id.asc(),
            ))
            .select(IcpRecord::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// One record of the scope's organisation's programme.
    ///
    /// # Errors
    /// A database failure.
    pub fn icp_record(&self, scope: &OrgScope, id: &str) -> Result<Option<IcpRecord>, StoreError> {
        Ok(icp_records::table
            .filter(icp_records::org_id.eq(scope.org_id()))
            .filter(icp_records::id.eq(id))
            .select(IcpRecord::as_select())
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// The scope the command line acts with for an organisation's dossier: the member with the
    /// e-mail `email` (case ignored), or else the organisation's first admin; `None` when there
    /// is no such member. The scope is made by [`Store::scope`], with the member's own role.
    ///
    /// # Errors
    /// A database failure.
    pub fn member_scope_for_cli(
        &self,
        org_id: &str,
        email: Option<&str>,
    ) -> Result<Option<OrgScope>, StoreError> {
        let user_id: Option<String> = {
            let mut conn = self.conn()?;
            match email {
                Some(e) => users::table
                    .filter(users::email_key.eq(e.trim().to_lowercase()))
                    .select(users::id)
                    .first(&mut *conn)
                    .optional()?,
                None => memberships::table
                    .filter(memberships::org_id.eq(org_id))
                    .filter(memberships::role.eq("admin"))
                    .order((memberships::created_at.asc(), memberships::user_id.asc()))
                    .select(memberships::user_id)
                    .first(&mut *conn)
                    .optional()?,
            }
        };
        match user_id {
            Some(u) => self.scope(&u, org_id),
            None => Ok(None),
        }
    }
}
