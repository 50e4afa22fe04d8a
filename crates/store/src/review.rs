//! Block → review → release: releasing one hold of an operation with what the release rests on
//! (a licence drawn down, the authority's answer, cleared screening hits, or a review), its
//! documents, and the officer's reason, all in ONE transaction.
//!
//! Rules (on top of [`crate::lifecycle::release_hold_in`]'s four eyes, prohibited and reason
//! checks, Recommendation (EU) 2019/1318, element 4):
//! - `licence`: the operation is drawn down on a licence of the register
//!   ([`crate::licences::draw_down_in`], Art. 12 of Regulation (EU) 2021/821) in the same
//!   transaction as the release; a refused draw-down writes nothing (neither the release nor
//!   the documents) and gives every reason;
//! - `authority_answer`: the competent authority's reference, the date of its answer and the
//!   answer; `licence_required` releases nothing (a licence must be obtained and attached:
//!   release with `licence`), `not_required` releases (Art. 4(1), 5(1), 9(1) and 10(1) answers);
//! - `screening_cleared`: the screening hits of the operation's parties were reviewed and
//!   cleared (the reason records why);
//! - `review`: red flags or a manual hold reviewed (Recommendation (EU) 2019/1318, element 4).
//!
//! Documents are attached to the operation (`operation:ID`, at most 10 MiB each) and their ids
//! recorded in the release's detail.

use serde_json::json;
use time::Date;
use vigil_domain::icp::{DrawDown, Refusal};
use vigil_domain::law::Law;

use crate::accounts::OrgScope;
use crate::attachments::{AttachmentError, add_attachment_in};
use crate::licences::{DrawDownOutcome, LicenceError, draw_down_in};
use crate::lifecycle::{Hold, HoldRelease, release_hold_in};
use crate::records::{OperationRecord, RecordError};
use crate::schema::{operation_holds, operations};
use crate::{DbConnection, Store, StoreError};

/// The ways a hold is released.
pub const RELEASE_KINDS: [&str; 4] = ["licence", "authority_answer", "screening_cleared", "review"];

/// The authority's answers.
pub const AUTHORITY_ANSWERS: [&str; 2] = ["licence_required", "not_required"];

/// What a release rests on.
#[derive(Debug, Clone)]
pub enum Evidence<'a> {
    /// A licence of the register, drawn down for the export on `on`.
    Licence {
        /// The licence's id.
        licence_id: &'a str,
        /// The day of the export (the licence must be valid that day).
        on: Date,
        /// The law the operation is read against.
        law: &'a Law,
    },
    /// The competent authority's answer.
    AuthorityAnswer {
        /// Its reference.
        reference: &'a str,
        /// The date of the answer (`YYYY-MM-DD`).
        date: &'a str,
        /// `licence_required` or `not_required`.
        answer: &'a str,
    },
    /// The screening hits of the operation's parties were reviewed and cleared: refused while
    /// one of its parties has an open alert or a confirmed match (checked on `today`).
    ScreeningCleared {
        /// The day clearances are read on (an expired clearance no longer applies).
        today: Date,
    },
    /// Red flags or a manual hold reviewed.
    Review,
}

impl Evidence<'_> {
    /// The stored kind.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Evidence::Licence { .. } => "licence",
            Evidence::AuthorityAnswer { .. } => "authority_answer",
            Evidence::ScreeningCleared { .. } => "screening_cleared",
            Evidence::Review => "review",
        }
    }
}

/// A document uploaded with a release.
#[derive(Debug, Clone)]
pub struct ReleaseDocument<'a> {
    /// File name.
    pub filename: &'a str,
    /// MIME type.
    pub content_type: &'a str,
    /// The bytes (at most 10 MiB).
    pub bytes: &'a [u8],
}

/// A release request.
#[derive(Debug, Clone)]
pub struct ReleaseRequest<'a> {
    /// The hold.
    pub hold_id: &'a str,
    /// What it rests on.
    pub evidence: Evidence<'a>,
    /// The officer's reason (mandatory).
    pub reason: &'a str,
    /// Documents to attach.
    pub documents: Vec<ReleaseDocument<'a>>,
}

/// A release done.
#[derive(Debug, Clone)]
pub struct Released {
    /// The operation as it now stands (`released` when it was its last open hold).
    pub operation: OperationRecord,
    /// The draw-down, for a licence.
    pub draw_down: Option<DrawDown>,
    /// The ids of the documents attached.
    pub attachments: Vec<String>,
}

/// Why a release was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The release rules (four eyes, prohibited, a reason, no such open hold, a role).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The licence register failed or refused (not found, already drawn …).
    #[error(transparent)]
    Licence(#[from] LicenceError),
    /// A document was refused.
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    /// The draw-down is refused: every reason (Art. 12 of Regulation (EU) 2021/821 and the
    /// licence's terms).
    #[error("the licence does not cover this operation: {}", .0.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; "))]
    DrawDownRefused(Vec<Refusal>),
}

impl From<StoreError> for ReleaseError {
    fn from(e: StoreError) -> Self {
        ReleaseError::Record(RecordError::Store(e))
    }
}

impl From<diesel::result::Error> for ReleaseError {
    fn from(e: diesel::result::Error) -> Self {
        ReleaseError::Record(RecordError::from(e))
    }
}

fn invalid(field: &'static str, reason: &str) -> ReleaseError {
    ReleaseError::Record(RecordError::Invalid {
        field,
        reason: reason.to_owned(),
    })
}

/// The detail of the evidence, checked (before anything is written).
fn evidence_detail(e: &Evidence<'_>) -> Result<serde_json::Value, ReleaseError> {
    Ok(match e {
        Evidence::Licence { licence_id, on, .. } => {
            if licence_id.trim().is_empty() {
                return Err(invalid("licence", "choose a licence of the register"));
            }
            json!({"licence": licence_id, "on": on.to_string()})
        }
        Evidence::AuthorityAnswer {
            reference,
            date,
            answer,
        } => {
            let reference = reference.trim();
            if reference.is_empty()
                || reference.chars().count() > 200
                || reference.chars().any(char::is_control)
            {
                return Err(invalid(
                    "authority_reference",
                    "the authority's reference (1 to 200 characters)",
                ));
            }
            if Date::parse(
                date.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .is_err()
            {
                return Err(invalid(
                    "authority_date",
                    "the date of the answer, YYYY-MM-DD",
                ));
            }
            match *answer {
                "not_required" => {}
                "licence_required" => {
                    return Err(invalid(
                        "answer",
                        "the authority requires a licence: register it and release with the \
                         licence attached (Art. 12 of Regulation (EU) 2021/821)",
                    ));
                }
                _ => return Err(invalid("answer", "licence_required or not_required")),
            }
            json!({"authority_reference": reference, "authority_date": date.trim(), "answer": answer})
        }
        Evidence::ScreeningCleared { .. } => {
            json!({"screening": "no open alert on the operation's parties"})
        }
        Evidence::Review => json!({}),
    })
}

/// Releases a hold with its evidence on `conn`, inside the caller's transaction (see the module
/// rules). On any error the caller's transaction must be rolled back.
///
/// # Errors
/// [`ReleaseError`]: a rule, a refused draw-down, a document, a database failure.
pub fn release_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    req: &ReleaseRequest<'_>,
) -> Result<Released, ReleaseError> {
    let mut detail = evidence_detail(&req.evidence)?;
    if req.reason.trim().is_empty() {
        return Err(invalid(
            "reason",
            "a reason is required (Recommendation (EU) 2019/1318, element 4)",
        ));
    }
    let operation_id: Option<String> = {
        use diesel::prelude::*;
        operation_holds::table
            .filter(operation_holds::org_id.eq(scope.org_id()))
            .filter(operation_holds::id.eq(req.hold_id))
            .select(operation_holds::operation_id)
            .first(conn)
            .optional()?
    };
    let operation_id = operation_id.ok_or(RecordError::NotFound)?;
    let mut attachments = Vec::new();
    for d in &req.documents {
        let a = add_attachment_in(
            conn,
            scope,
            &format!("operation:{operation_id}"),
            d.filename,
            d.content_type,
            d.bytes,
        )?;
        attachments.push(a.id);
    }
    if !attachments.is_empty() {
        detail["attachments"] = json!(attachments);
    }
    let operation = release_hold_in(
        conn,
        scope,
        req.hold_id,
        &HoldRelease {
            kind: req.evidence.kind(),
            reason: req.reason,
            detail: detail.clone(),
        },
    )?;
    let mut draw_down = None;
    if let Evidence::Licence {
        licence_id,
        on,
        law,
    } = &req.evidence
    {
        match draw_down_in(conn, scope, licence_id, &operation, *on, law)? {
            DrawDownOutcome::Drawn(d) => {
                use diesel::prelude::*;
                detail["draw_down"] = json!(d.units);
                diesel::update(operation_holds::table.filter(operation_holds::id.eq(req.hold_id)))
                    .set(operation_holds::release_detail.eq(detail.to_string()))
                    .execute(conn)?;
                draw_down = Some(d);
            }
            DrawDownOutcome::Refused(r) => return Err(ReleaseError::DrawDownRefused(r)),
        }
    }
    Ok(Released {
        operation,
        draw_down,
        attachments,
    })
}

impl Store {
    /// Releases a hold with its evidence and documents in one transaction (see
    /// [`release_in`]); nothing is written when it fails.
    ///
    /// # Errors
    /// As [`release_in`].
    pub fn release_with_evidence(
        &self,
        scope: &OrgScope,
        req: &ReleaseRequest<'_>,
    ) -> Result<Released, ReleaseError> {
        if let Evidence::ScreeningCleared { today } = &req.evidence
            && let Some(hold) = self.hold(scope, req.hold_id)?
        {
            let mut open = Vec::new();
            for party_id in self.operation_party_ids(scope, &hold.operation_id)? {
                if let Some((party, view)) = self.party_screening(scope, &party_id, *today)?
                    && (view.open_alerts() > 0 || view.confirmed() > 0)
                {
                    open.push(party.name);
                }
            }
            if !open.is_empty() {
                return Err(invalid(
                    "kind",
                    &format!(
                        "the screening of {} still has an open alert or a confirmed match: \
                         review its hits first (Art. 4(1) of Regulation (EU) 2021/821 and the \
                         sanctions regimes: no dealing with a listed party)",
                        open.join(", ")
                    ),
                ));
            }
        }
        self.write_tx(|c| release_in(c, scope, req))
    }

    /// One hold of the scope's organisation.
    ///
    /// # Errors
    /// A database failure.
    pub fn hold(&self, scope: &OrgScope, hold_id: &str) -> Result<Option<Hold>, StoreError> {
        use diesel::prelude::*;
        Ok(operation_holds::table
            .filter(operation_holds::org_id.eq(scope.org_id()))
            .filter(operation_holds::id.eq(hold_id))
            .select(Hold::as_select())
            .first(&mut *self.conn()?)
            .optional()?)
    }

    /// The operation and its holds, read in one transaction (a consistent view for the review
    /// page); `None` for another organisation's operation.
    ///
    /// # Errors
    /// A database failure.
    pub fn operation_with_holds(
        &self,
        scope: &OrgScope,
        operation_id: &str,
    ) -> Result<Option<(OperationRecord, Vec<Hold>)>, StoreError> {
        use diesel::prelude::*;
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        Ok(conn.transaction(|c| {
            let op: Option<OperationRecord> = operations::table
                .filter(operations::org_id.eq(scope.org_id()))
                .filter(operations::id.eq(operation_id))
                .select(OperationRecord::as_select())
                .first(c)
                .optional()?;
            let Some(op) = op else {
                return Ok::<_, diesel::result::Error>(None);
            };
            let holds = operation_holds::table
                .filter(operation_holds::org_id.eq(scope.org_id()))
                .filter(operation_holds::operation_id.eq(operation_id))
                .order((operation_holds::created_at.asc(), operation_holds::id.asc()))
                .select(Hold::as_select())
                .load(c)?;
            Ok(Some((op, holds)))
        })?)
    }
}
