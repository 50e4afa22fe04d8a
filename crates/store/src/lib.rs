//! Vigil's database layer: one diesel code path for SQLite (bundled, the default) and PostgreSQL.
//!
//! **What this crate owns**
//! - opening the database named by a URL (`sqlite://PATH`, a bare path, or `postgres://…`),
//!   with per-connection SQLite settings, a small connection pool and the versioned migrations of
//!   each backend (`migrations/sqlite`, `migrations/postgres`: same tables, same columns);
//! - the imported sanctions lists ([`lists`]): one row per import attempt, the entries of each
//!   good import, "newest good import per source is served", re-import of the same content as a
//!   no-op, imports as one transaction;
//! - the audit trail ([`audit`]): an append-only, hash-chained log per organisation, appended in
//!   the same transaction as the change it records, and its verification;
//! - the records of the workspace ([`records`]): items and their classification records,
//!   parties, operations and their assessments, each read and written through an organisation
//!   scope and audited in the same transaction.
//!
//! **What it must never do**
//! - decide anything: screening is `vigil-screening`'s, decisions are `vigil-domain`'s;
//! - print a database password (URLs are redacted in every error).
//!
//! Everything here is blocking; an async caller runs it on a blocking thread.
//!
//! Cargo features: `sqlite` and `postgres`, both on by default; a build without `postgres` needs
//! no libpq and refuses `postgres://` URLs with a clear error.

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("vigil-store needs the `sqlite` or the `postgres` feature (or both)");

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod backup;
#[cfg(feature = "sqlite")]
mod checkpoint;
pub mod due_diligence;
pub mod icp;
pub mod licences;
pub mod lifecycle;
pub mod lists;
pub mod party_screening;
mod read_cache;
pub mod records;
pub mod releases;
pub mod retention;
pub mod review;
pub mod schema;
pub mod spdx;
pub mod transmissions;

use std::path::PathBuf;
use std::time::Duration;

use diesel::Connection as _;
#[cfg(feature = "postgres")]
use diesel::PgConnection;
#[cfg(feature = "sqlite")]
use diesel::SqliteConnection;
#[cfg(feature = "sqlite")]
use diesel::connection::SimpleConnection as _;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness as _, embed_migrations};
use thiserror::Error;

pub use audit::{AuditFilter, SYSTEM_ORG};
pub use lists::{ImportOutcome, ImportRecord, ImportStatus, ServedList};

/// A connection to either backend. Queries written against [`schema`] run on both; code that
/// must differ per backend matches on the variant (keep that rare).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// SQLite (bundled libsqlite3).
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteConnection),
    /// PostgreSQL (libpq).
    #[cfg(feature = "postgres")]
    Pg(PgConnection),
}

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Settings applied to every SQLite connection: wait for a busy database rather than fail,
/// enforce foreign keys, write-ahead log for concurrent readers.
/// The automatic checkpoint is off: [`checkpoint`] runs it off the request path.
#[cfg(feature = "sqlite")]
const SQLITE_INIT: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                           PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                           PRAGMA wal_autocheckpoint = 0;";

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A parsed database location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// A SQLite file (created on first open).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as given.
    Postgres(String),
}

impl DbUrl {
    /// Reads `sqlite://PATH`, `sqlite:PATH`, `postgres://…`, `postgresql://…`, or a bare file
    /// path (SQLite).
    ///
    /// # Errors
    /// [`StoreError::BadUrl`] for an empty location or an unsupported scheme.
    pub fn parse(url: &str) -> Result<DbUrl, StoreError> {
        let url = url.trim();
        let bad = |reason: &str| StoreError::BadUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if let Some((scheme, _)) = url.split_once("://") {
            return Err(bad(&format!(
                "unsupported scheme `{scheme}` (use sqlite://PATH, a file path, or postgres://…)"
            )));
        } else {
            url
        };
        if path.is_empty() {
            return Err(bad("no file path"));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Sqlite(_) => Backend::Sqlite,
            DbUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The location for messages, without any password.
    pub fn display(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbUrl::Postgres(u) => redact(u),
        }
    }

    fn connection_string(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => p.display().to_string(),
            DbUrl::Postgres(u) => u.clone(),
        }
    }
}

/// Replaces the password of a `scheme://user:password@host` URL by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Errors of the store.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL cannot be used.
    #[error("invalid database URL {url:?}: {reason}")]
    BadUrl {
        /// The URL (password redacted).
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The database cannot be opened.
    #[error("cannot open the database {url}")]
    Connect {
        /// The URL (password redacted).
        url: String,
        /// The driver's error.
        #[source]
        source: diesel::ConnectionError,
    },
    /// The migrations failed.
    #[error("cannot migrate the database {url}: {message}")]
    Migration {
        /// The URL (password redacted).
        url: String,
        /// The migration harness's error.
        message: String,
    },
    /// No connection could be had from the pool.
    #[error("no database connection available")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    /// A stored entry cannot be read back.
    #[error("import #{import}: stored entry {seq} is unreadable")]
    Corrupt {
        /// The import.
        import: i64,
        /// The entry's position.
        seq: i64,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A stored value is not one this version knows.
    #[error("import #{import}: unknown {what} {value:?} in the database")]
    Unknown {
        /// The import.
        import: i64,
        /// Which column.
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// An entry cannot be serialised.
    #[error("entry {entry_id}: cannot serialise")]
    Encode {
        /// The entry.
        entry_id: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// An audit event cannot be appended (nothing was written).
    #[error("audit event for organisation {org_id:?} refused: {reason}")]
    BadAuditEvent {
        /// The chain it was to be appended to.
        org_id: String,
        /// What is wrong.
        reason: String,
    },
    /// A backup would overwrite an existing file.
    #[error("{}: the file exists; a backup never overwrites a file", path.display())]
    BackupExists {
        /// The file.
        path: PathBuf,
    },
    /// A backup path that SQLite cannot be given (not UTF-8).
    #[error("{}: the backup path is not valid UTF-8", path.display())]
    BackupPath {
        /// The path.
        path: PathBuf,
    },
    /// Online backups are SQLite's; PostgreSQL is backed up with `pg_dump`.
    #[error(
        "vigil backup copies SQLite databases; back up PostgreSQL with pg_dump (see the README: Backup and restore)"
    )]
    BackupUnsupported,
    /// A list's counts disagree with what was written: the import was rolled back.
    #[error("{source_name} import rolled back: {message}")]
    Inconsistent {
        /// The list source.
        source_name: String,
        /// What disagreed.
        message: String,
    },
}

#[derive(Debug, Clone, Copy)]
struct ConnectionInit;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for ConnectionInit {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        init_connection(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

fn init_connection(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => c.batch_execute(SQLITE_INIT),
        #[cfg(feature = "postgres")]
        DbConnection::Pg(_) => Ok(()),
    }
}

/// A pooled connection.
pub type Conn = PooledConnection<ConnectionManager<DbConnection>>;

/// The database: a small connection pool on a migrated database.
#[derive(Clone)]
pub struct Store {
    pool: Pool<ConnectionManager<DbConnection>>,
    url: DbUrl,
    /// SQLite: keeps the write-ahead-log checkpoint thread running (see [`checkpoint`]).
    #[cfg(feature = "sqlite")]
    _checkpoints: Option<checkpoint::Alive>,
    /// Reads of the transmissions' hot path, invalidated by every write (see [`read_cache`]).
    reads: std::sync::Arc<read_cache::ReadCache>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url.display())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (and creates, for SQLite) the database at `url` and applies pending migrations.
    ///
    /// # Errors
    /// A bad URL, an unreachable server, or a failed migration.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_url(DbUrl::parse(url)?)
    }

    /// Like [`Store::open`], with a parsed URL.
    ///
    /// # Errors
    /// An unreachable server or a failed migration.
    pub fn open_url(url: DbUrl) -> Result<Store, StoreError> {
        let cs = url.connection_string();
        // One direct connection first: a clear driver error at once (rather than a pool
        // timeout), and the migrations run on it.
        let connected = match &url {
            #[cfg(feature = "sqlite")]
            DbUrl::Sqlite(_) => SqliteConnection::establish(&cs).map(DbConnection::Sqlite),
            #[cfg(feature = "postgres")]
            DbUrl::Postgres(_) => PgConnection::establish(&cs).map(DbConnection::Pg),
            #[allow(
                unreachable_patterns,
                reason = "reached when a backend is not compiled in"
            )]
            other => {
                return Err(StoreError::BadUrl {
                    url: other.display(),
                    reason: "this build of Vigil was compiled without that database backend"
                        .to_owned(),
                });
            }
        };
        let mut conn = connected.map_err(|source| StoreError::Connect {
            url: url.display(),
            source,
        })?;
        init_connection(&mut conn)?;
        let migrated = match &mut conn {
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            #[cfg(feature = "postgres")]
            DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|_| ()),
        };
        migrated.map_err(|e| StoreError::Migration {
            url: url.display(),
            message: e.to_string(),
        })?;
        drop(conn);
        let max_size = match url {
            // SQLite has one writer; a few readers are plenty.
            DbUrl::Sqlite(_) => 4,
            DbUrl::Postgres(_) => 8,
        };
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(ConnectionInit))
            .build(ConnectionManager::<DbConnection>::new(&cs))?;
        #[cfg(feature = "sqlite")]
        let checkpoints = match url {
            #[cfg(feature = "sqlite")]
            DbUrl::Sqlite(_) => Some(checkpoint::start(&cs).map_err(|e| StoreError::Connect {
                url: url.display(),
                source: diesel::ConnectionError::BadConnection(format!(
                    "cannot start the checkpoint thread: {e}"
                )),
            })?),
            #[allow(
                unreachable_patterns,
                reason = "reached when the SQLite backend is not compiled in"
            )]
            _ => None,
        };
        Ok(Store {
            pool,
            url,
            #[cfg(feature = "sqlite")]
            _checkpoints: checkpoints,
            reads: std::sync::Arc::default(),
        })
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// The database location, without any password.
    pub fn location(&self) -> String {
        self.url.display()
    }

    /// A connection from the pool.
    ///
    /// # Errors
    /// [`StoreError::Pool`] when none is available in time.
    pub fn conn(&self) -> Result<Conn, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` in one write transaction on a pooled connection. On SQLite the first statement is
    /// a write that changes nothing (and fires no trigger), so that SQLite takes its write lock
    /// now rather than fail to upgrade a read lock later (see [`crate::audit`]).
    /// When it ends, every read kept in memory is out of date (see [`read_cache`]).
    pub(crate) fn write_tx<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let r = self.write_tx_keeping_reads(f);
        self.reads.invalidate();
        r
    }

    /// [`Store::write_tx`] for a transaction that writes none of the tables the read cache
    /// depends on (tokens, users, memberships, organisations, items, classifications, releases):
    /// recording a transmission.
    pub(crate) fn write_tx_keeping_reads<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        conn.transaction(|c| {
            // SQLite only: PostgreSQL locks rows as they are written, and the round trip would
            // be wasted there.
            #[cfg(feature = "sqlite")]
            if matches!(c, DbConnection::Sqlite(_)) {
                diesel::RunQueryDsl::execute(
                    diesel::sql_query("UPDATE organisations SET id = id WHERE 0 = 1"),
                    c,
                )?;
            }
            f(c)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read() {
        assert_eq!(
            DbUrl::parse("sqlite://vigil.db").ok(),
            Some(DbUrl::Sqlite("vigil.db".into()))
        );
        assert_eq!(
            DbUrl::parse("sqlite:///var/lib/vigil.db").ok(),
            Some(DbUrl::Sqlite("/var/lib/vigil.db".into()))
        );
        assert_eq!(
            DbUrl::parse("data/v.db").ok(),
            Some(DbUrl::Sqlite("data/v.db".into()))
        );
        assert_eq!(
            DbUrl::parse("postgresql://u:p@h/db").ok(),
            Some(DbUrl::Postgres("postgresql://u:p@h/db".into()))
        );
        assert!(matches!(
            DbUrl::parse("mysql://h/db"),
            Err(StoreError::BadUrl { .. })
        ));
        assert!(matches!(
            DbUrl::parse("sqlite://"),
            Err(StoreError::BadUrl { .. })
        ));
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://vigil:s3cret@db.example:5432/vigil?sslmode=require"),
            "postgres://vigil:***@db.example:5432/vigil?sslmode=require"
        );
        assert_eq!(redact("postgres://vigil@h/db"), "postgres://vigil@h/db");
        assert_eq!(redact("vigil.db"), "vigil.db");
        let e = DbUrl::parse("mysql://u:pw@h/db")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| !e.contains("pw@")));
    }
}
