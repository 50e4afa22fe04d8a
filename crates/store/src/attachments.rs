//! Documents attached to a record (a licence's scan, later notices and reports): one generic
//! table, each row naming its `subject` (`licence:ID`, …), stored in the database (at most
//! [`MAX_ATTACHMENT_BYTES`]) with its SHA-256, so a backup holds the evidence with the register
//! (Art. 27 of Regulation (EU) 2021/821: records and documents kept at least five years).
//!
//! Every read and write takes an [`OrgScope`]; adding needs [`Action::Enter`] and appends an
//! `attachment.added` audit row in the same transaction.

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use vigil_domain::access::Action;
use vigil_domain::audit::AuditEvent;

use crate::accounts::{OrgScope, now_micros};
use crate::audit::append_in;
use crate::{DbConnection, Store, StoreError};

/// The largest document accepted: 10 MiB.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

diesel::table! {
    /// Documents attached to records.
    attachments (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// What it is attached to (`licence:ID`).
        subject -> Text,
        /// File name as uploaded.
        filename -> Text,
        /// MIME type as uploaded.
        content_type -> Text,
        /// Size in bytes.
        size -> BigInt,
        /// SHA-256 of the bytes (hex).
        sha256 -> Text,
        /// The bytes.
        data -> Binary,
        /// Who uploaded (user id).
        uploaded_by -> Text,
        /// When (µs).
        uploaded_at -> BigInt,
    }
}

/// Errors of attachments.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachmentError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field is not acceptable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Larger than [`MAX_ATTACHMENT_BYTES`].
    #[error("document: {size} bytes; at most 10 MiB (10485760 bytes) may be attached")]
    TooLarge {
        /// The size.
        size: usize,
    },
    /// The scope's role may not add documents.
    #[error("this role may not add documents")]
    Forbidden,
    /// No randomness for an id.
    #[error("cannot get random bytes: {0}")]
    Random(String),
}

impl From<diesel::result::Error> for AttachmentError {
    fn from(e: diesel::result::Error) -> Self {
        AttachmentError::Store(StoreError::Query(e))
    }
}

/// An attachment's description (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Subject (`licence:ID`).
    pub subject: String,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 (hex).
    pub sha256: String,
    /// Uploaded by (user id).
    pub uploaded_by: String,
    /// When (µs).
    pub uploaded_at: i64,
}

/// A random 128-bit id in hex.
pub(crate) fn random_id() -> Result<String, String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn invalid(field: &'static str, reason: &str) -> AttachmentError {
    AttachmentError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

/// The file name kept: its last path component, without control characters.
fn clean_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    last.chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Adds a document on `conn`, inside the caller's transaction (audited: `attachment.added`).
///
/// # Errors
/// [`AttachmentError::Forbidden`] without [`Action::Enter`]; [`AttachmentError::TooLarge`]; a
/// bad subject, file name or content type; a database failure.
pub fn add_attachment_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    subject: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<Attachment, AttachmentError> {
    if !scope.role().allows(Action::Enter) {
        return Err(AttachmentError::Forbidden);
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge { size: bytes.len() });
    }
    let subject = subject.trim();
    if subject.is_empty()
        || subject.chars().count() > 200
        || !subject.contains(':')
        || subject.chars().any(char::is_control)
    {
        return Err(invalid("subject", "a record reference such as licence:ID"));
    }
    let filename = clean_filename(filename);
    if filename.is_empty() || filename.chars().count() > 255 {
        return Err(invalid("filename", "1 to 255 characters"));
    }
    let content_type = content_type.trim();
    let content_type = if content_type.is_empty() {
        "application/octet-stream"
    } else {
        content_type
    };
    if content_type.len() > 255
        || !content_type.contains('/')
        || content_type.chars().any(|c| c.is_control() || c == '\n')
    {
        return Err(invalid(
            "content_type",
            "a MIME type such as application/pdf",
        ));
    }
    let sha256: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let att = Attachment {
        id: random_id().map_err(AttachmentError::Random)?,
        org_id: scope.org_id().to_owned(),
        subject: subject.to_owned(),
        filename,
        content_type: content_type.to_owned(),
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256,
        uploaded_by: scope.user_id().to_owned(),
        uploaded_at: now_micros(),
    };
    diesel::insert_into(attachments::table)
        .values((
            attachments::id.eq(&att.id),
            attachments::org_id.eq(&att.org_id),
            attachments::subject.eq(&att.subject),
            attachments::filename.eq(&att.filename),
            attachments::content_type.eq(&att.content_type),
            attachments::size.eq(att.size),
            attachments::sha256.eq(&att.sha256),
            attachments::data.eq(bytes),
            attachments::uploaded_by.eq(&att.uploaded_by),
            attachments::uploaded_at.eq(att.uploaded_at),
        ))
        .execute(conn)?;
    append_in(
        conn,
        scope.org_id(),
        AuditEvent {
            at: crate::audit::now(),
            org_id: scope.org_id().to_owned(),
            actor: scope.user_id().to_owned(),
            action: "attachment.added".to_owned(),
            subject: format!("attachment:{}", att.id),
            detail: json!({
                "subject": att.subject,
                "filename": att.filename,
                "content_type": att.content_type,
                "size": att.size,
                "sha256": att.sha256,
            }),
        },
    )?;
    Ok(att)
}

impl Store {
    /// Adds a document to a record of the scope's organisation (audited: `attachment.added`).
    ///
    /// # Errors
    /// As [`add_attachment_in`].
    pub fn add_attachment(
        &self,
        scope: &OrgScope,
        subject: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment, AttachmentError> {
        if !scope.role().allows(Action::Enter) {
            return Err(AttachmentError::Forbidden);
        }
        self.write_tx(|c| add_attachment_in(c, scope, subject, filename, content_type, bytes))
    }

    /// One document of the scope's organisation with its bytes (`None` for another
    /// organisation's or an unknown id).
    ///
    /// # Errors
    /// A database failure.
    pub fn attachment(
        &self,
        scope: &OrgScope,
        id: &str,
    ) -> Result<Option<(Attachment, Vec<u8>)>, StoreError> {
        let mut conn = self.conn()?;
        let meta: Option<Attachment> = attachments::table
            .filter(attachments::org_id.eq(scope.org_id()))
            .filter(attachments::id.eq(id))
            .select(Attachment::as_select())
            .first(&mut *conn)
            .optional()?;
        let Some(meta) = meta else {
            return Ok(None);
        };
        let data: Vec<u8> = attachments::table
            .filter(attachments::org_id.eq(scope.org_id()))
            .filter(attachments::id.eq(id))
            .select(attachments::data)
            .first(&mut *conn)?;
        Ok(Some((meta, data)))
    }

    /// The documents attached to a subject (`licence:ID`) in the scope's organisation, newest
    /// first.
    ///
    /// # Errors
    /// A database failure.
    pub fn attachments_of(
        &self,
        scope: &OrgScope,
        subject: &str,
    ) -> Result<Vec<Attachment>, StoreError> {
        Ok(attachments::table
            .filter(attachments::org_id.eq(scope.org_id()))
            .filter(attachments::subject.eq(subject))
            .order((attachments::uploaded_at.desc(), attachments::id.asc()))
            .select(Attachment::as_select())
            .load(&mut *self.conn()?)?)
    }
}

/// The document types accepted for the records of the compliance programme (MIME essence, lower
/// case): PDF, images, plain text and CSV, and office documents (OOXML, OpenDocument).
pub const DOCUMENT_TYPES: [&str; 10] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/msword",
];

/// The MIME essence of a content type (`text/plain; charset=utf-8` → `text/plain`), lower case.
#[must_use]
pub fn mime_essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a content type is one of [`DOCUMENT_TYPES`] (parameters ignored).
#[must_use]
pub fn document_type_allowed(content_type: &str) -> bool {
    DOCUMENT_TYPES.contains(&mime_essence(content_type).as_str())
}

impl Store {
    /// The descriptions (without bytes) of documents of the scope's organisation by id; unknown
    /// ids and other organisations' documents are left out.
    ///
    /// # Errors
    /// A database failure.
    pub fn attachments_by_ids(
        &self,
        scope: &OrgScope,
        ids: &[String],
    ) -> Result<Vec<Attachment>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(attachments::table
            .filter(attachments::org_id.eq(scope.org_id()))
            .filter(attachments::id.eq_any(ids))
            .order(attachments::id.asc())
            .select(Attachment::as_select())
            .load(&mut *self.conn()?)?)
    }
}
