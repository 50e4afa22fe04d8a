//! Who may do what in an organisation: the roles of a member and the actions they allow.
//! One table, checked by tests and used by every front end (pages, API, CLI), so the isolation and
//! permission matrix has a single source.
//!
//! Roles (per organisation; a user may hold different roles in several organisations, e.g. a law
//! firm's lawyers): `admin` manages members and settings; `officer` decides, releases holds and
//! signs; `operator` enters items, parties and operations; `auditor` reads everything, including
//! the audit log, and changes nothing.

use serde::{Deserialize, Serialize};

/// A member's role in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages members, roles and settings; has every officer right.
    Admin,
    /// Decides, releases holds, signs due-diligence conclusions and notifications.
    Officer,
    /// Enters items, parties and operations; screens and assesses.
    Operator,
    /// Reads everything, including the audit log; changes nothing.
    Auditor,
}

/// Something a member may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read items, parties, operations, decisions, lists.
    Read,
    /// Read the audit log and export it.
    ReadAudit,
    /// Create or edit items, parties and operations; run classify, screen and assess.
    Enter,
    /// Record a decision, clear a screening hit, release a hold, sign.
    Decide,
    /// Import sanctions lists.
    ManageLists,
    /// Add members, change roles, change settings.
    ManageMembers,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Officer, Role::Operator, Role::Auditor];

    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// True when the role allows the action.
    #[must_use]
    pub fn allows(self, action: Action) -> bool {
        use Action::{Decide, Enter, ManageLists, Read, ReadAudit};
        match self {
            Role::Admin => true,
            Role::Officer => matches!(action, Read | ReadAudit | Enter | Decide | ManageLists),
            Role::Operator => matches!(action, Read | Enter),
            Role::Auditor => matches!(action, Read | ReadAudit),
        }
    }
}

/// Four eyes: a hold may be released only by an officer (or admin) other than the person who
/// created the operation (Recommendation (EU) 2019/1318, element 4: transaction screening).
#[must_use]
pub fn may_release_hold(role: Role, releaser: &str, creator: &str) -> bool {
    role.allows(Action::Decide) && releaser != creator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_matrix() {
        let expect = |role: Role, allowed: &[Action]| {
            for a in [
                Action::Read,
                Action::ReadAudit,
                Action::Enter,
                Action::Decide,
                Action::ManageLists,
                Action::ManageMembers,
            ] {
                assert_eq!(role.allows(a), allowed.contains(&a), "{role:?} {a:?}");
            }
        };
        expect(
            Role::Admin,
            &[
                Action::Read,
                Action::ReadAudit,
                Action::Enter,
                Action::Decide,
                Action::ManageLists,
                Action::ManageMembers,
            ],
        );
        expect(
            Role::Officer,
            &[
                Action::Read,
                Action::ReadAudit,
                Action::Enter,
                Action::Decide,
                Action::ManageLists,
            ],
        );
        expect(Role::Operator, &[Action::Read, Action::Enter]);
        expect(Role::Auditor, &[Action::Read, Action::ReadAudit]);
    }

    #[test]
    fn four_eyes_on_holds() {
        assert!(may_release_hold(Role::Officer, "u2", "u1"));
        assert!(!may_release_hold(Role::Officer, "u1", "u1"));
        assert!(!may_release_hold(Role::Operator, "u2", "u1"));
        assert!(!may_release_hold(Role::Auditor, "u2", "u1"));
    }
}
