//! The life of an operation after its assessment: holds (why it is blocked), the party records it
//! names, and the operations a party's new screening hit must stop.
//!
//! Rules:
//! - an operation is `blocked` while it has an open hold; a hold is opened by its blocking
//!   decision (at creation, see [`crate::records::insert_operation_in`]), by a screening hit on
//!   one of its parties, by a product version awaiting classification, or by its due-diligence
//!   file; it is released by an officer (the release flow lives with its callers, which use
//!   [`release_hold_in`]);
//! - holds are never deleted: a released hold keeps who released it, when, how and why;
//! - every hold and release appends its audit row in the same transaction
//!   (`operation.held`, `operation.hold_released`).

use diesel::prelude::*;
use serde_json::json;
use vigil_domain::audit::AuditEvent;

use crate::accounts::{OrgScope, now_micros};
use crate::audit::append_in;
use crate::records::{OperationRecord, OperationStatus, RecordError, new_id};
use crate::schema::{operation_holds, operation_parties, operations};
use crate::{DbConnection, Store, StoreError};

/// The actor recorded for holds Vigil puts by itself (e.g. after a list import).
pub const SYSTEM_ACTOR: &str = "system";

/// Why an operation is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldCause {
    /// The assessment's decision blocks it (prohibited, hold, licence required, notify).
    Decision,
    /// A screening hit on one of its parties.
    Screening,
    /// A new version of one of its items must be classified first.
    Reclassification,
    /// Its due-diligence file is open or concluded "aware" (Art. 5).
    DueDiligence,
}

impl HoldCause {
    /// Every cause.
    pub const ALL: [HoldCause; 4] = [
        HoldCause::Decision,
        HoldCause::Screening,
        HoldCause::Reclassification,
        HoldCause::DueDiligence,
    ];

    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HoldCause::Decision => "decision",
            HoldCause::Screening => "screening",
            HoldCause::Reclassification => "reclassification",
            HoldCause::DueDiligence => "due_diligence",
        }
    }

    /// The cause of a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<HoldCause> {
        HoldCause::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One hold of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = operation_holds)]
pub struct Hold {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Operation.
    pub operation_id: String,
    /// Cause (stored name, see [`HoldCause`]).
    pub cause: String,
    /// What triggered it (JSON).
    pub detail: String,
    /// Who or what put it (user id or [`SYSTEM_ACTOR`]).
    pub created_by: String,
    /// When (µs).
    pub created_at: i64,
    /// The officer who released it.
    pub released_by: Option<String>,
    /// When released (µs).
    pub released_at: Option<i64>,
    /// How it was released (`licence`, `screening_cleared`, `authority_answer`, `review`).
    pub release_kind: Option<String>,
    /// The officer's reason.
    pub release_reason: Option<String>,
    /// What the release rests on (JSON).
    pub release_detail: Option<String>,
}

impl Hold {
    /// Not yet released.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.released_at.is_none()
    }
}

/// Opens a hold on an operation of `org_id` and sets it `blocked`, with its `operation.held`
/// audit row, inside the caller's transaction. `actor` is a user id or [`SYSTEM_ACTOR`].
///
/// # Errors
/// [`RecordError::NotFound`] for an operation not of `org_id`; a database failure.
pub fn insert_hold_in(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &str,
    operation_id: &str,
    cause: HoldCause,
    detail: &serde_json::Value,
) -> Result<Hold, RecordError> {
    let (hold, event) = hold_row_in(conn, org_id, actor, operation_id, cause, detail)?;
    append_in(conn, org_id, event)?;
    Ok(hold)
}

/// [`insert_hold_in`] without its audit row: the `operation.held` event is returned for the
/// caller to append (with others, [`crate::audit::append_all_in`]) before its transaction ends.
///
/// # Errors
/// As [`insert_hold_in`].
pub fn hold_row_in(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &str,
    operation_id: &str,
    cause: HoldCause,
    detail: &serde_json::Value,
) -> Result<(Hold, AuditEvent), RecordError> {
    let updated = diesel::update(
        operations::table
            .filter(operations::org_id.eq(org_id))
            .filter(operations::id.eq(operation_id)),
    )
    .set(operations::status.eq(OperationStatus::Blocked.as_str()))
    .execute(conn)?;
    if updated == 0 {
        return Err(RecordError::NotFound);
    }
    let hold = Hold {
        id: new_id()?,
        org_id: org_id.to_owned(),
        operation_id: operation_id.to_owned(),
        cause: cause.as_str().to_owned(),
        detail: detail.to_string(),
        created_by: actor.to_owned(),
        created_at: now_micros(),
        released_by: None,
        released_at: None,
        release_kind: None,
        release_reason: None,
        release_detail: None,
    };
    diesel::insert_into(operation_holds::table)
        .values((
            operation_holds::id.eq(&hold.id),
            operation_holds::org_id.eq(&hold.org_id),
            operation_holds::operation_id.eq(&hold.operation_id),
            operation_holds::cause.eq(&hold.cause),
            operation_holds::detail.eq(&hold.detail),
            operation_holds::created_by.eq(&hold.created_by),
            operation_holds::created_at.eq(hold.created_at),
        ))
        .execute(conn)?;
    let event = AuditEvent {
        at: crate::audit::now(),
        org_id: org_id.to_owned(),
        actor: actor.to_owned(),
        action: "operation.held".to_owned(),
        subject: format!("operation:{operation_id}"),
        detail: json!({"hold": hold.id, "cause": hold.cause, "detail": detail}),
    };
    Ok((hold, event))
}

/// How a hold is released.
#[derive(Debug, Clone)]
pub struct HoldRelease<'a> {
    /// `licence`, `screening_cleared`, `authority_answer` or `review`.
    pub kind: &'a str,
    /// The officer's reason (mandatory, checked by the caller's rules and again here).
    pub reason: &'a str,
    /// What the release rests on (JSON).
    pub detail: serde_json::Value,
}

/// Releases one open hold of the scope's organisation, inside the caller's transaction, with its
/// `operation.hold_released` audit row; when it was the operation's last open hold, the
/// operation becomes `released` and its record is frozen (`frozen_at`).
///
/// Enforced here, whatever the front end: only a role that may decide, other than the person
/// who created the operation, releases (four eyes, `vigil_domain::access::may_release_hold`;
/// Recommendation (EU) 2019/1318, element 4); a `prohibited` operation is never released.
///
/// Returns the operation as it now stands.
///
/// # Errors
/// [`RecordError::NotFound`] (no such open hold in the organisation), [`RecordError::Forbidden`]
/// (a role that may not decide), [`RecordError::Refused`] (four eyes, prohibited), an empty
/// reason, a database failure.
pub fn release_hold_in(
    conn: &mut DbConnection,
    scope: &OrgScope,
    hold_id: &str,
    release: &HoldRelease<'_>,
) -> Result<OperationRecord, RecordError> {
    let reason = release.reason.trim();
    if reason.is_empty() || reason.chars().count() > 10_000 {
        return Err(RecordError::Invalid {
            field: "reason",
            reason: "a reason is required (at most 10000 characters)".to_owned(),
        });
    }
    if !scope.role().allows(vigil_domain::access::Action::Decide) {
        return Err(RecordError::Forbidden);
    }
    let hold: Hold = operation_holds::table
        .filter(operation_holds::org_id.eq(scope.org_id()))
        .filter(operation_holds::id.eq(hold_id))
        .filter(operation_holds::released_at.is_null())
        .select(Hold::as_select())
        .first(conn)
        .optional()?
        .ok_or(RecordError::NotFound)?;
    let op: OperationRecord = operations::table
        .filter(operations::org_id.eq(scope.org_id()))
        .filter(operations::id.eq(&hold.operation_id))
        .select(OperationRecord::as_select())
        .first(conn)?;
    if op.decision == "prohibited" {
        return Err(RecordError::Refused(
            "a prohibited operation cannot be released: the export may not take place".to_owned(),
        ));
    }
    if !vigil_domain::access::may_release_hold(scope.role(), scope.user_id(), &op.created_by) {
        return Err(RecordError::Refused(
            "four eyes: the person who created the operation may not release it (Recommendation (EU) 2019/1318, element 4)".to_owned(),
        ));
    }
    let now = now_micros();
    diesel::update(operation_holds::table.filter(operation_holds::id.eq(&hold.id)))
        .set((
            operation_holds::released_by.eq(scope.user_id()),
            operation_holds::released_at.eq(now),
            operation_holds::release_kind.eq(release.kind),
            operation_holds::release_reason.eq(reason),
            operation_holds::release_detail.eq(release.detail.to_string()),
        ))
        .execute(conn)?;
    let still_open: i64 = operation_holds::table
        .filter(operation_holds::org_id.eq(scope.org_id()))
        .filter(operation_holds::operation_id.eq(&hold.operation_id))
        .filter(operation_holds::released_at.is_null())
        .count()
        .get_result(conn)?;
    if still_open == 0 {
        diesel::update(
            operations::table
                .filter(operations::org_id.eq(scope.org_id()))
                .filter(operations::id.eq(&hold.operation_id)),
        )
        .set((
            operations::status.eq("released"),
            operations::frozen_at.eq(now),
        ))
        .execute(conn)?;
    }
    append_in(
        conn,
        scope.org_id(),
        AuditEvent {
            at: crate::audit::now(),
            org_id: scope.org_id().to_owned(),
            actor: scope.user_id().to_owned(),
            action: "operation.hold_released".to_owned(),
            subject: format!("operation:{}", hold.operation_id),
            detail: json!({
                "hold": hold.id,
                "cause": hold.cause,
                "kind": release.kind,
                "reason": reason,
                "detail": release.detail,
                "operation_released": still_open == 0,
            }),
        },
    )?;
    Ok(operations::table
        .filter(operations::id.eq(&hold.operation_id))
        .select(OperationRecord::as_select())
        .first(conn)?)
}

/// The ids of the open operations (not carried out) of `org_id` that name `party_id`.
///
/// # Errors
/// A database failure.
pub fn open_operations_of_party_in(
    conn: &mut DbConnection,
    org_id: &str,
    party_id: &str,
) -> Result<Vec<String>, diesel::result::Error> {
    operation_parties::table
        .inner_join(operations::table)
        .filter(operation_parties::org_id.eq(org_id))
        .filter(operation_parties::party_id.eq(party_id))
        .filter(operations::org_id.eq(org_id))
        .filter(operations::completed_at.is_null())
        .select(operations::id)
        .order(operations::id.asc())
        .load(conn)
}

impl Store {
    /// Releases one open hold (see [`release_hold_in`]) in its own transaction.
    ///
    /// # Errors
    /// As [`release_hold_in`].
    pub fn release_hold(
        &self,
        scope: &OrgScope,
        hold_id: &str,
        release: &HoldRelease<'_>,
    ) -> Result<OperationRecord, RecordError> {
        self.write_tx(|c| release_hold_in(c, scope, hold_id, release))
    }

    /// The holds of an operation of the scope's organisation, oldest first (empty for another
    /// organisation's operation).
    ///
    /// # Errors
    /// A database failure.
    pub fn holds(&self, scope: &OrgScope, operation_id: &str) -> Result<Vec<Hold>, StoreError> {
        Ok(operation_holds::table
            .filter(operation_holds::org_id.eq(scope.org_id()))
            .filter(operation_holds::operation_id.eq(operation_id))
            .order((operation_holds::created_at.asc(), operation_holds::id.asc()))
            .select(Hold::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// The party records an operation of the scope's organisation names.
    ///
    /// # Errors
    /// A database failure.
    pub fn operation_party_ids(
        &self,
        scope: &OrgScope,
        operation_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(operation_parties::table
            .filter(operation_parties::org_id.eq(scope.org_id()))
            .filter(operation_parties::operation_id.eq(operation_id))
            .select(operation_parties::party_id)
            .order(operation_parties::party_id.asc())
            .load(&mut *self.conn()?)?)
    }

    /// Opens a hold on an operation of the scope's organisation (an officer or operator holding
    /// it by hand, or a caller's rule); see [`insert_hold_in`].
    ///
    /// # Errors
    /// [`RecordError::NotFound`], [`RecordError::Forbidden`] for a role that may not enter
    /// records, a database failure.
    pub fn hold_operation(
        &self,
        scope: &OrgScope,
        operation_id: &str,
        cause: HoldCause,
        detail: &serde_json::Value,
    ) -> Result<Hold, RecordError> {
        if !scope.role().allows(vigil_domain::access::Action::Enter) {
            return Err(RecordError::Forbidden);
        }
        self.write_tx(|c| {
            insert_hold_in(
                c,
                scope.org_id(),
                scope.user_id(),
                operation_id,
                cause,
                detail,
            )
        })
    }
}
