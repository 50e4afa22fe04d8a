//! Accounts and access: organisations, users, memberships (a role per organisation), server-side
//! sessions and API tokens.
//!
//! Rules:
//! - organisation data is read only through an [`OrgScope`], which only [`Store::scope`] makes,
//!   after checking that the user is a member of the organisation: a query cannot forget the
//!   organisation, and a user of organisation A cannot name organisation B's records;
//! - passwords are stored as Argon2id PHC strings (OWASP parameters: 19 MiB, t=2, p=1); session
//!   and API tokens are random 256-bit values of which only the SHA-256 is stored;
//! - every change appends to the audit log in its own transaction: account events (`user.created`,
//!   `login.succeeded`, `login.failed`, `password.changed` …) to the system chain, organisation
//!   events (`org.created`, `member.added`, `member.role_changed`, `token.created`,
//!   `token.revoked`) to the organisation's chain; never a password or a token;
//! - five failed sign-ins in a row lock the account for fifteen minutes; an unknown e-mail costs
//!   the same Argon2 verification as a known one.
//!
//! Everything here is blocking (Argon2 on purpose takes tens of milliseconds): an async caller
//! runs it on a blocking thread.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use thiserror::Error;
use vigil_domain::access::Role;
use vigil_domain::audit::AuditEvent;

use crate::audit::{SYSTEM_ORG, append_in};
use crate::schema::{api_tokens, memberships, organisations, sessions, users};
use crate::{DbConnection, Store, StoreError};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest password accepted (Argon2 takes any length; this bounds the work per request).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Failed sign-ins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock-out lasts, in microseconds (15 minutes).
pub const LOCKOUT_MICROS: i64 = 15 * 60 * 1_000_000;
/// A session expires after this long without use, in microseconds (12 hours).
pub const SESSION_IDLE_MICROS: i64 = 12 * 3600 * 1_000_000;
/// A session's `last_seen` is written at most this often, in microseconds (1 minute).
const TOUCH_EVERY_MICROS: i64 = 60 * 1_000_000;
/// The prefix of API tokens (so they are recognisable in logs and secret scanners).
pub const TOKEN_PREFIX: &str = "vgl_";

/// Errors of account operations.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field is not acceptable (`field` names the form field).
    #[error("{field}: {reason}")]
    Invalid {
        /// The form field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A user with this e-mail exists already.
    #[error("a user with the e-mail {0:?} exists already")]
    EmailTaken(String),
    /// No user has this e-mail (and no details were given to create one).
    #[error("no user has this e-mail")]
    NoSuchUser,
    /// The user is a member of the organisation already.
    #[error("this user is a member of the organisation already")]
    AlreadyMember,
    /// No such record (or not yours: the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The change would leave the organisation without an administrator.
    #[error("the organisation must keep at least one administrator")]
    LastAdmin,
    /// First-start setup was asked for, but users exist already.
    #[error("the first administrator exists already")]
    SetupDone,
    /// The current password given is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// No randomness could be had from the operating system, or hashing failed.
    #[error("cannot {0}")]
    Crypto(String),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Store(StoreError::Query(e))
    }
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// When created (µs since the epoch, UTC).
    pub created_at: i64,
}

/// A user (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    /// Id.
    pub id: String,
    /// E-mail as given.
    pub email: String,
    /// Name shown.
    pub display_name: String,
    /// When created (µs).
    pub created_at: i64,
    /// Preferred language, if chosen.
    pub language: Option<String>,
}

/// A member of an organisation, as its member list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user: User,
    /// Their role here.
    pub role: Role,
    /// Member since (µs).
    pub since: i64,
}

/// An API token, as its list shows it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    /// Id.
    pub id: String,
    /// Name given.
    pub name: String,
    /// When created (µs).
    pub created_at: i64,
    /// Last use (µs).
    pub last_used: Option<i64>,
    /// When revoked (µs).
    pub revoked_at: Option<i64>,
}

/// A user acting in one organisation, as a member: the only way to read or change the
/// organisation's records. Made by [`Store::scope`] (for a session) and [`Store::token_auth`]
/// (for an API token), each after checking the membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgScope {
    org: Organisation,
    user_id: String,
    role: Role,
}

impl OrgScope {
    /// The organisation.
    pub fn org(&self) -> &Organisation {
        &self.org
    }

    /// The organisation's id.
    pub fn org_id(&self) -> &str {
        &self.org.id
    }

    /// The acting user's id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The acting user's role in the organisation.
    pub fn role(&self) -> Role {
        self.role
    }
}

/// The result of a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in: the new session's token (for the cookie; only its hash is stored).
    Success {
        /// The user.
        user: User,
        /// The session token.
        session: String,
    },
    /// Unknown e-mail or wrong password (not told apart).
    BadCredentials,
    /// Too many failures: refused until then (µs).
    Locked {
        /// End of the lock-out (µs).
        until: i64,
    },
}

/// A new user's details.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// E-mail.
    pub email: &'a str,
    /// Name shown (the e-mail when empty).
    pub display_name: &'a str,
    /// Password (checked, then hashed; never stored).
    pub password: &'a str,
}

/// id, org, user, revoked at, last used.
type TokenRow = (String, String, String, Option<i64>, Option<i64>);

/// Now, in microseconds since the Unix epoch (UTC).
pub fn now_micros() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(0)
}

/// The contract name of a role back to the role.
pub fn parse_role(s: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|r| r.as_str() == s)
}

fn random_hex(bytes: usize) -> Result<String, AccountError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| AccountError::Crypto(format!("get random bytes: {e}")))?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random 256-bit token (hex), for sessions and one-time links.
///
/// # Errors
/// [`AccountError::Crypto`] if the operating system gives no randomness.
pub fn new_token() -> Result<String, AccountError> {
    random_hex(32)
}

/// SHA-256 (hex) of a token: what is stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Checks a new password's length.
///
/// # Errors
/// [`AccountError::Invalid`] on the `password` field.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(AccountError::Invalid {
            field: "password",
            reason: format!("at least {MIN_PASSWORD_LEN} characters"),
        });
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AccountError::Invalid {
            field: "password",
            reason: format!("at most {MAX_PASSWORD_LEN} bytes"),
        });
    }
    Ok(())
}

/// Hashes a password with Argon2id (OWASP parameters), as a PHC string.
///
/// # Errors
/// [`AccountError::Crypto`] if no salt can be had or hashing fails.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| AccountError::Crypto(format!("get random bytes: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AccountError::Crypto(format!("encode a salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Crypto(format!("hash a password: {e}")))
}

/// True when `password` matches the PHC string `hash` (false for an unreadable hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a random password, verified for unknown e-mails so that they cost the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let pw = random_hex(16).unwrap_or_else(|_| "vigil-dummy-password".to_owned());
        hash_password(&pw).unwrap_or_default()
    })
}

fn normalise_email(email: &str) -> Result<(String, String), AccountError> {
    let email = email.trim();
    let bad = |reason: &str| AccountError::Invalid {
        field: "email",
        reason: reason.to_owned(),
    };
    let Some((local, domain)) = email.split_once('@') else {
        return Err(bad("an e-mail address, e.g. name@example.com"));
    };
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || email.len() > 254
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad("an e-mail address, e.g. name@example.com"));
    }
    Ok((email.to_owned(), email.to_lowercase()))
}

fn check_name(field: &'static str, name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AccountError::Invalid {
            field,
            reason: "1 to 200 characters".to_owned(),
        });
    }
    Ok(name.to_owned())
}

fn event(
    org_id: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        at: crate::audit::now(),
        org_id: org_id.to_owned(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail,
    }
}

/// A validated new user, hashed (outside any transaction: Argon2 is slow on purpose).
struct Prepared {
    email: String,
    email_key: String,
    display_name: String,
    hash: String,
}

fn prepare(new: &NewUser<'_>) -> Result<Prepared, AccountError> {
    let (email, email_key) = normalise_email(new.email)?;
    let display_name = if new.display_name.trim().is_empty() {
        email.clone()
    } else {
        check_name("display_name", new.display_name)?
    };
    check_password(new.password)?;
    Ok(Prepared {
        email,
        email_key,
        display_name,
        hash: hash_password(new.password)?,
    })
}

fn insert_user(conn: &mut DbConnection, p: &Prepared, actor: &str) -> Result<User, AccountError> {
    let taken: i64 = users::table
        .filter(users::email_key.eq(&p.email_key))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AccountError::EmailTaken(p.email.clone()));
    }
    let user = User {
        id: random_hex(16)?,
        email: p.email.clone(),
        display_name: p.display_name.clone(),
        created_at: now_micros(),
        language: None,
    };
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&user.id),
            users::email.eq(&user.email),
            users::email_key.eq(&p.email_key),
            users::display_name.eq(&user.display_name),
            users::password_hash.eq(&p.hash),
            users::created_at.eq(user.created_at),
            users::failed_logins.eq(0),
        ))
        .execute(conn)?;
    append_in(
        conn,
        SYSTEM_ORG,
        event(
            SYSTEM_ORG,
            actor,
            "user.created",
            &format!("user:{}", user.id),
            json!({"email": user.email, "display_name": user.display_name}),
        ),
    )?;
    Ok(user)
}

fn insert_org(
    conn: &mut DbConnection,
    name: &str,
    actor: &str,
) -> Result<Organisation, AccountError> {
    let org = Organisation {
        id: random_hex(16)?,
        name: name.to_owned(),
        created_at: now_micros(),
    };
    diesel::insert_into(organisations::table)
        .values((
            organisations::id.eq(&org.id),
            organisations::name.eq(&org.name),
            organisations::created_at.eq(org.created_at),
        ))
        .execute(conn)?;
    append_in(
        conn,
        &org.id,
        event(
            &org.id,
            actor,
            "org.created",
            &format!("org:{}", org.id),
            json!({"name": org.name}),
        ),
    )?;
    Ok(org)
}

fn insert_member(
    conn: &mut DbConnection,
    org_id: &str,
    user: &User,
    role: Role,
    actor: &str,
) -> Result<(), AccountError> {
    let exists: i64 = memberships::table
        .filter(memberships::org_id.eq(org_id))
        .filter(memberships::user_id.eq(&user.id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Err(AccountError::AlreadyMember);
    }
    diesel::insert_into(memberships::table)
        .values((
            memberships::org_id.eq(org_id),
            memberships::user_id.eq(&user.id),
            memberships::role.eq(role.as_str()),
            memberships::created_at.eq(now_micros()),
        ))
        .execute(conn)?;
    append_in(
        conn,
        org_id,
        event(
            org_id,
            actor,
            "member.added",
            &format!("user:{}", user.id),
            json!({"email": user.email, "role": role.as_str()}),
        ),
    )?;
    Ok(())
}

fn find_user_by_email(conn: &mut DbConnection, email_key: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email_key.eq(email_key))
        .select(User::as_select())
        .first(conn)
        .optional()
}

fn new_session(conn: &mut DbConnection, user_id: &str, now: i64) -> Result<String, AccountError> {
    let token = new_token()?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(token_hash(&token)),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(now.saturating_add(SESSION_IDLE_MICROS)),
            sessions::last_seen.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

impl Store {
    /// The number of users (0 before the first start's setup).
    ///
    /// # Errors
    /// A database failure.
    pub fn user_count(&self) -> Result<i64, StoreError> {
        Ok(users::table.count().get_result(&mut *self.conn()?)?)
    }

    /// First start: creates the first administrator and their organisation, in one transaction,
    /// only while no user exists.
    ///
    /// # Errors
    /// [`AccountError::SetupDone`] when a user exists; a bad field.
    pub fn create_first_admin(
        &self,
        new: &NewUser<'_>,
        org_name: &str,
    ) -> Result<(User, Organisation), AccountError> {
        let org_name = check_name("org_name", org_name)?;
        let p = prepare(new)?;
        self.write_tx(|c| {
            let n: i64 = users::table.count().get_result(c)?;
            if n > 0 {
                return Err(AccountError::SetupDone);
            }
            let user = insert_user(c, &p, "setup")?;
            let org = insert_org(c, &org_name, &user.id)?;
            insert_member(c, &org.id, &user, Role::Admin, &user.id)?;
            Ok((user, org))
        })
    }

    /// `vigil admin create-user`: creates a user and makes them a member of the organisation named
    /// `org_name` (created when none has that name) with `role`. Acting as `actor` (e.g. `cli`).
    ///
    /// # Errors
    /// [`AccountError::EmailTaken`], a bad field, or several organisations of that name.
    pub fn admin_create_user(
        &self,
        new: &NewUser<'_>,
        org_name: &str,
        role: Role,
        actor: &str,
    ) -> Result<(User, Organisation), AccountError> {
        let org_name = check_name("org", org_name)?;
        let p = prepare(new)?;
        self.write_tx(|c| {
            let user = insert_user(c, &p, actor)?;
            let found: Vec<Organisation> = organisations::table
                .filter(organisations::name.eq(&org_name))
                .select(Organisation::as_select())
                .limit(2)
                .load(c)?;
            let org = match found.as_slice() {
                [] => insert_org(c, &org_name, actor)?,
                [one] => one.clone(),
                _ => {
                    return Err(AccountError::Invalid {
                        field: "org",
                        reason: format!("several organisations are named {org_name:?}"),
                    });
                }
            };
            insert_member(c, &org.id, &user, role, actor)?;
            Ok((user, org))
        })
    }

    /// A user creates an organisation, of which they become the administrator.
    ///
    /// # Errors
    /// A bad name; a database failure.
    pub fn create_org(&self, user_id: &str, name: &str) -> Result<Organisation, AccountError> {
        let name = check_name("name", name)?;
        self.write_tx(|c| {
            let user: User = users::table
                .find(user_id)
                .select(User::as_select())
                .first(c)
                .optional()?
                .ok_or(AccountError::NotFound)?;
            let org = insert_org(c, &name, user_id)?;
            insert_member(c, &org.id, &user, Role::Admin, user_id)?;
            Ok(org)
        })
    }

    /// The organisations `user_id` belongs to, with their role, by name.
    ///
    /// # Errors
    /// A database failure.
    pub fn memberships_of(&self, user_id: &str) -> Result<Vec<(Organisation, Role)>, StoreError> {
        let rows: Vec<(Organisation, String)> = memberships::table
            .inner_join(organisations::table)
            .filter(memberships::user_id.eq(user_id))
            .order((organisations::name.asc(), organisations::id.asc()))
            .select((Organisation::as_select(), memberships::role))
            .load(&mut *self.conn()?)?;
        Ok(rows
            .into_iter()
            .filter_map(|(o, r)| parse_role(&r).map(|r| (o, r)))
            .collect())
    }

    /// The scope of `user_id` in `org_id`: `None` unless they are a member (an unknown
    /// organisation and another's look the same).
    ///
    /// # Errors
    /// A database failure.
    pub fn scope(&self, user_id: &str, org_id: &str) -> Result<Option<OrgScope>, StoreError> {
        let row: Option<(Organisation, String)> = memberships::table
            .inner_join(organisations::table)
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::org_id.eq(org_id))
            .select((Organisation::as_select(), memberships::role))
            .first(&mut *self.conn()?)
            .optional()?;
        Ok(row.and_then(|(org, role)| {
            parse_role(&role).map(|role| OrgScope {
                org,
                user_id: user_id.to_owned(),
                role,
            })
        }))
    }

    /// The members of the scope's organisation, by name.
    ///
    /// # Errors
    /// A database failure.
    pub fn members(&self, scope: &OrgScope) -> Result<Vec<Member>, StoreError> {
        let rows: Vec<(User, String, i64)> = memberships::table
            .inner_join(users::table)
            .filter(memberships::org_id.eq(scope.org_id()))
            .order((users::display_name.asc(), users::id.asc()))
            .select((
                User::as_select(),
                memberships::role,
                memberships::created_at,
            ))
            .load(&mut *self.conn()?)?;
        Ok(rows
            .into_iter()
            .filter_map(|(user, r, since)| parse_role(&r).map(|role| Member { user, role, since }))
            .collect())
    }

    /// Adds the user with `email` to the scope's organisation with `role`. When no user has that
    /// e-mail and `new_user` gives a name and password, the user is created first (same
    /// transaction). Needs a role that manages members (the caller checks it; checked again here).
    ///
    /// # Errors
    /// [`AccountError::NotFound`] (no such user and no details to create one) on the `email`
    /// field as [`AccountError::Invalid`]; [`AccountError::AlreadyMember`]; a bad field.
    pub fn add_member(
        &self,
        scope: &OrgScope,
        email: &str,
        role: Role,
        new_user: Option<(&str, &str)>,
    ) -> Result<User, AccountError> {
        if !scope
            .role
            .allows(vigil_domain::access::Action::ManageMembers)
        {
            return Err(AccountError::NotFound);
        }
        let (email, key) = normalise_email(email)?;
        // Hash before the transaction if a new user may be needed.
        let prepared = match new_user {
            Some((name, password)) if !password.is_empty() => Some(prepare(&NewUser {
                email: &email,
                display_name: name,
                password,
            })?),
            _ => None,
        };
        self.write_tx(|c| {
            let user = match (find_user_by_email(c, &key)?, &prepared) {
                (Some(u), _) => u,
                (None, Some(p)) => insert_user(c, p, scope.user_id())?,
                (None, None) => return Err(AccountError::NoSuchUser),
            };
            insert_member(c, scope.org_id(), &user, role, scope.user_id())?;
            Ok(user)
        })
    }

    /// Changes the role of member `user_id` of the scope's organisation.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] (not a member, or the scope may not manage members);
    /// [`AccountError::LastAdmin`].
    pub fn change_role(
        &self,
        scope: &OrgScope,
        user_id: &str,
        role: Role,
    ) -> Result<(), AccountError> {
        if !scope
            .role
            .allows(vigil_domain::access::Action::ManageMembers)
        {
            return Err(AccountError::NotFound);
        }
        self.write_tx(|c| {
            let old: String = memberships::table
                .filter(memberships::org_id.eq(scope.org_id()))
                .filter(memberships::user_id.eq(user_id))
                .select(memberships::role)
                .first(c)
                .optional()?
                .ok_or(AccountError::NotFound)?;
            if old == role.as_str() {
                return Ok(());
            }
            if old == Role::Admin.as_str() {
                let admins: i64 = memberships::table
                    .filter(memberships::org_id.eq(scope.org_id()))
                    .filter(memberships::role.eq(Role::Admin.as_str()))
                    .count()
                    .get_result(c)?;
                if admins <= 1 {
                    return Err(AccountError::LastAdmin);
                }
            }
            diesel::update(
                memberships::table
                    .filter(memberships::org_id.eq(scope.org_id()))
                    .filter(memberships::user_id.eq(user_id)),
            )
            .set(memberships::role.eq(role.as_str()))
            .execute(c)?;
            append_in(
                c,
                scope.org_id(),
                event(
                    scope.org_id(),
                    scope.user_id(),
                    "member.role_changed",
                    &format!("user:{user_id}"),
                    json!({"from": old, "to": role.as_str()}),
                ),
            )?;
            Ok(())
        })
    }

    /// Signs in with the system clock. See [`Store::login_at`].
    ///
    /// # Errors
    /// A database failure.
    pub fn login(
        &self,
        email: &str,
        password: &str,
        old_session: Option<&str>,
    ) -> Result<LoginOutcome, AccountError> {
        self.login_at(email, password, old_session, now_micros())
    }

    /// Signs in at time `now` (µs): on success, a new session (the old one, if any, is deleted:
    /// the session id is rotated) and the failure count reset; on failure, the count raised and,
    /// at [`MAX_FAILED_LOGINS`], the account locked for [`LOCKOUT_MICROS`]. Each attempt is
    /// audited.
    ///
    /// # Errors
    /// A database failure.
    pub fn login_at(
        &self,
        email: &str,
        password: &str,
        old_session: Option<&str>,
        now: i64,
    ) -> Result<LoginOutcome, AccountError> {
        let key = email.trim().to_lowercase();
        let found: Option<(String, String, Option<i64>)> = users::table
            .filter(users::email_key.eq(&key))
            .select((users::id, users::password_hash, users::locked_until))
            .first(&mut *self.conn()?)
            .optional()?;
        let Some((user_id, hash, locked_until)) = found else {
            // Same work as for a known e-mail.
            let _ = verify_password(dummy_hash(), password);
            self.write_tx::<_, AccountError>(|c| {
                append_in(
                    c,
                    SYSTEM_ORG,
                    event(
                        SYSTEM_ORG,
                        "anonymous",
                        "login.failed",
                        "user:?",
                        json!({"email": key, "reason": "unknown_email"}),
                    ),
                )?;
                Ok(())
            })?;
            return Ok(LoginOutcome::BadCredentials);
        };
        let subject = format!("user:{user_id}");
        if let Some(until) = locked_until.filter(|u| *u > now) {
            self.write_tx::<_, AccountError>(|c| {
                append_in(
                    c,
                    SYSTEM_ORG,
                    event(
                        SYSTEM_ORG,
                        &user_id,
                        "login.failed",
                        &subject,
                        json!({"reason": "locked"}),
                    ),
                )?;
                Ok(())
            })?;
            return Ok(LoginOutcome::Locked { until });
        }
        let ok = verify_password(&hash, password);
        self.write_tx(|c| {
            if ok {
                diesel::update(users::table.find(&user_id))
                    .set((
                        users::failed_logins.eq(0),
                        users::locked_until.eq(None::<i64>),
                    ))
                    .execute(c)?;
                if let Some(old) = old_session {
                    diesel::delete(sessions::table.find(token_hash(old))).execute(c)?;
                }
                let session = new_session(c, &user_id, now)?;
                append_in(
                    c,
                    SYSTEM_ORG,
                    event(SYSTEM_ORG, &user_id, "login.succeeded", &subject, json!({})),
                )?;
                let user = users::table
                    .find(&user_id)
                    .select(User::as_select())
                    .first(c)?;
                return Ok(LoginOutcome::Success { user, session });
            }
            diesel::update(users::table.find(&user_id))
                .set(users::failed_logins.eq(users::failed_logins + 1))
                .execute(c)?;
            let failures: i64 = users::table
                .find(&user_id)
                .select(users::failed_logins)
                .first(c)?;
            let locked = failures >= MAX_FAILED_LOGINS;
            let until = now.saturating_add(LOCKOUT_MICROS);
            if locked {
                diesel::update(users::table.find(&user_id))
                    .set((
                        users::failed_logins.eq(0),
                        users::locked_until.eq(Some(until)),
                    ))
                    .execute(c)?;
            }
            append_in(
                c,
                SYSTEM_ORG,
                event(
                    SYSTEM_ORG,
                    &user_id,
                    "login.failed",
                    &subject,
                    json!({"reason": "wrong_password", "failures": failures, "locked": locked}),
                ),
            )?;
            Ok(if locked {
                LoginOutcome::Locked { until }
            } else {
                LoginOutcome::BadCredentials
            })
        })
    }

    /// Starts a session for `user_id` without a password (after first-start setup, which has just
    /// checked one).
    ///
    /// # Errors
    /// A database failure.
    pub fn start_session(&self, user_id: &str) -> Result<String, AccountError> {
        self.write_tx(|c| {
            let s = new_session(c, user_id, now_micros())?;
            append_in(
                c,
                SYSTEM_ORG,
                event(
                    SYSTEM_ORG,
                    user_id,
                    "login.succeeded",
                    &format!("user:{user_id}"),
                    json!({"via": "setup"}),
                ),
            )?;
            Ok(s)
        })
    }

    /// The user of a live session at time `now` (µs), pushing its idle expiry forward; `None` for
    /// an unknown or expired token.
    ///
    /// # Errors
    /// A database failure.
    pub fn session_user_at(&self, token: &str, now: i64) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        let id = token_hash(token);
        let row: Option<(User, i64, i64)> = sessions::table
            .inner_join(users::table)
            .filter(sessions::id_hash.eq(&id))
            .select((User::as_select(), sessions::expires_at, sessions::last_seen))
            .first(conn)
            .optional()?;
        let Some((user, expires_at, last_seen)) = row else {
            return Ok(None);
        };
        if expires_at <= now {
            diesel::delete(sessions::table.find(&id)).execute(conn)?;
            return Ok(None);
        }
        if now - last_seen >= TOUCH_EVERY_MICROS {
            diesel::update(sessions::table.find(&id))
                .set((
                    sessions::last_seen.eq(now),
                    sessions::expires_at.eq(now.saturating_add(SESSION_IDLE_MICROS)),
                ))
                .execute(conn)?;
        }
        Ok(Some(user))
    }

    /// [`Store::session_user_at`] with the system clock.
    ///
    /// # Errors
    /// A database failure.
    pub fn session_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        self.session_user_at(token, now_micros())
    }

    /// Ends a session (signing out): the token is refused from now on.
    ///
    /// # Errors
    /// A database failure.
    pub fn logout(&self, token: &str) -> Result<(), AccountError> {
        self.write_tx(|c| {
            let id = token_hash(token);
            let user: Option<String> = sessions::table
                .find(&id)
                .select(sessions::user_id)
                .first(c)
                .optional()?;
            if let Some(user_id) = user {
                diesel::delete(sessions::table.find(&id)).execute(c)?;
                append_in(
                    c,
                    SYSTEM_ORG,
                    event(
                        SYSTEM_ORG,
                        &user_id,
                        "logout",
                        &format!("user:{user_id}"),
                        json!({}),
                    ),
                )?;
            }
            Ok(())
        })
    }

    /// Changes a user's password after checking the current one; ends their other sessions.
    ///
    /// # Errors
    /// [`AccountError::WrongPassword`]; a too short new password.
    pub fn change_password(
        &self,
        user_id: &str,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), AccountError> {
        check_password(new).map_err(|_| AccountError::Invalid {
            field: "new_password",
            reason: format!("at least {MIN_PASSWORD_LEN} characters"),
        })?;
        let hash: String = users::table
            .find(user_id)
            .select(users::password_hash)
            .first(&mut *self.conn()?)
            .optional()?
            .ok_or(AccountError::NotFound)?;
        if !verify_password(&hash, current) {
            return Err(AccountError::WrongPassword);
        }
        let new_hash = hash_password(new)?;
        let keep = keep_session.map(token_hash).unwrap_or_default();
        self.write_tx(|c| {
            diesel::update(users::table.find(user_id))
                .set(users::password_hash.eq(&new_hash))
                .execute(c)?;
            let ended = diesel::delete(
                sessions::table
                    .filter(sessions::user_id.eq(user_id))
                    .filter(sessions::id_hash.ne(&keep)),
            )
            .execute(c)?;
            append_in(
                c,
                SYSTEM_ORG,
                event(
                    SYSTEM_ORG,
                    user_id,
                    "password.changed",
                    &format!("user:{user_id}"),
                    json!({"other_sessions_ended": ended}),
                ),
            )?;
            Ok(())
        })
    }

    /// Sets a user's preferred language (`en`, `fr`, or `None` for the browser's).
    ///
    /// # Errors
    /// A language other than `en` or `fr`; a database failure.
    pub fn set_language(&self, user_id: &str, language: Option<&str>) -> Result<(), AccountError> {
        if language.is_some_and(|l| l != "en" && l != "fr") {
            return Err(AccountError::Invalid {
                field: "language",
                reason: "en or fr".to_owned(),
            });
        }
        self.write_tx(|c| {
            diesel::update(users::table.find(user_id))
                .set(users::language.eq(language))
                .execute(c)?;
            append_in(
                c,
                SYSTEM_ORG,
                event(
                    SYSTEM_ORG,
                    user_id,
                    "user.language_changed",
                    &format!("user:{user_id}"),
                    json!({"language": language}),
                ),
            )?;
            Ok(())
        })
    }

    /// Creates an API token for the scope's user in the scope's organisation: the token, shown
    /// once (only its hash is kept), and its record.
    ///
    /// # Errors
    /// A bad name; a database failure.
    pub fn create_token(
        &self,
        scope: &OrgScope,
        name: &str,
    ) -> Result<(ApiToken, String), AccountError> {
        let name = check_name("name", name)?;
        let raw = format!("{TOKEN_PREFIX}{}", new_token()?);
        let token = ApiToken {
            id: random_hex(8)?,
            name,
            created_at: now_micros(),
            last_used: None,
            revoked_at: None,
        };
        self.write_tx::<_, AccountError>(|c| {
            diesel::insert_into(api_tokens::table)
                .values((
                    api_tokens::id.eq(&token.id),
                    api_tokens::token_hash.eq(token_hash(&raw)),
                    api_tokens::org_id.eq(scope.org_id()),
                    api_tokens::user_id.eq(scope.user_id()),
                    api_tokens::name.eq(&token.name),
                    api_tokens::created_at.eq(token.created_at),
                ))
                .execute(c)?;
            append_in(
                c,
                scope.org_id(),
                event(
                    scope.org_id(),
                    scope.user_id(),
                    "token.created",
                    &format!("api_token:{}", token.id),
                    json!({"name": token.name}),
                ),
            )?;
            Ok(())
        })?;
        Ok((token, raw))
    }

    /// The scope's user's API tokens in the scope's organisation, newest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn tokens(&self, scope: &OrgScope) -> Result<Vec<ApiToken>, StoreError> {
        Ok(api_tokens::table
            .filter(api_tokens::org_id.eq(scope.org_id()))
            .filter(api_tokens::user_id.eq(scope.user_id()))
            .order((api_tokens::created_at.desc(), api_tokens::id.asc()))
            .select(ApiToken::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// Revokes one of the scope's user's tokens in the scope's organisation.
    ///
    /// # Errors
    /// [`AccountError::NotFound`] for another's token or an unknown one.
    pub fn revoke_token(&self, scope: &OrgScope, token_id: &str) -> Result<(), AccountError> {
        self.write_tx(|c| {
            let n = diesel::update(
                api_tokens::table
                    .filter(api_tokens::id.eq(token_id))
                    .filter(api_tokens::org_id.eq(scope.org_id()))
                    .filter(api_tokens::user_id.eq(scope.user_id()))
                    .filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(Some(now_micros())))
            .execute(c)?;
            if n == 0 {
                return Err(AccountError::NotFound);
            }
            append_in(
                c,
                scope.org_id(),
                event(
                    scope.org_id(),
                    scope.user_id(),
                    "token.revoked",
                    &format!("api_token:{token_id}"),
                    json!({}),
                ),
            )?;
            Ok(())
        })
    }

    /// The scope an API bearer token acts in: `None` for an unknown or revoked token, or one whose
    /// user is no longer a member. Records its use.
    ///
    /// # Errors
    /// A database failure.
    pub fn token_auth(&self, raw: &str) -> Result<Option<(User, OrgScope)>, StoreError> {
        if !raw.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = token_hash(raw);
        if let Some(hit) = self.reads.token(&hash) {
            return Ok(Some(hit));
        }
        let generation = self.reads.generation();
        let found = self.token_auth_read(&hash)?;
        if let Some(v) = &found {
            self.reads.put_token(hash, generation, v.clone());
        }
        Ok(found)
    }

    /// [`Store::token_auth`] answered from memory only, without blocking on the database: `None`
    /// when the answer is not kept (then ask [`Store::token_auth`]). Entries follow the read
    /// cache's rules: dropped by any write of the store and after one second.
    #[must_use]
    pub fn token_auth_kept(&self, raw: &str) -> Option<(User, OrgScope)> {
        if !raw.starts_with(TOKEN_PREFIX) {
            return None;
        }
        self.reads.token(&token_hash(raw))
    }

    fn token_auth_read(&self, hash: &str) -> Result<Option<(User, OrgScope)>, StoreError> {
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        let row: Option<TokenRow> = api_tokens::table
            .filter(api_tokens::token_hash.eq(hash))
            .select((
                api_tokens::id,
                api_tokens::org_id,
                api_tokens::user_id,
                api_tokens::revoked_at,
                api_tokens::last_used,
            ))
            .first(conn)
            .optional()?;
        let Some((id, org_id, user_id, None, last_used)) = row else {
            return Ok(None);
        };
        let now = now_micros();
        if last_used.is_none_or(|t| now - t >= TOUCH_EVERY_MICROS) {
            diesel::update(api_tokens::table.find(&id))
                .set(api_tokens::last_used.eq(Some(now)))
                .execute(conn)?;
        }
        let user: Option<User> = users::table
            .find(&user_id)
            .select(User::as_select())
            .first(conn)
            .optional()?;
        let Some(user) = user else {
            return Ok(None);
        };
        drop(pooled);
        Ok(self.scope(&user_id, &org_id)?.map(|s| (user, s)))
    }
}
