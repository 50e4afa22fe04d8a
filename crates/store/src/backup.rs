//! Online backups: a consistent copy of a SQLite database while the server runs.
//!
//! SQLite's `VACUUM INTO` writes a compacted, transactionally consistent copy of the database
//! (one read transaction: concurrent writers wait only for the copy, readers never) into a new
//! file. It never overwrites: an existing file is refused before anything is written. PostgreSQL
//! is backed up with its own tools (`pg_dump`, see the README), so [`Store::backup_to`] refuses it.

use std::path::Path;

#[cfg(feature = "sqlite")]
use diesel::RunQueryDsl as _;
#[cfg(feature = "sqlite")]
use diesel::sql_types::Text;

use crate::{Backend, DbConnection, Store, StoreError};

impl Store {
    /// Writes a consistent copy of this SQLite database to `path` (`VACUUM INTO`), a file that
    /// must not exist yet.
    ///
    /// # Errors
    /// [`StoreError::BackupExists`] when `path` exists; [`StoreError::BackupUnsupported`] on
    /// PostgreSQL; [`StoreError::BackupPath`] for a path that is not valid UTF-8; a database
    /// failure (e.g. a directory that does not exist).
    pub fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        if self.backend() != Backend::Sqlite {
            return Err(StoreError::BackupUnsupported);
        }
        if path.exists() {
            return Err(StoreError::BackupExists {
                path: path.to_path_buf(),
            });
        }
        let Some(target) = path.to_str() else {
            return Err(StoreError::BackupPath {
                path: path.to_path_buf(),
            });
        };
        let mut conn = self.conn()?;
        let conn: &mut DbConnection = &mut conn;
        match conn {
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(c) => {
                // The target is a bound parameter: no quoting of the file name.
                diesel::sql_query("VACUUM INTO ?")
                    .bind::<Text, _>(target)
                    .execute(c)?;
                Ok(())
            }
            #[cfg(feature = "postgres")]
            DbConnection::Pg(_) => {
                let _ = target;
                Err(StoreError::BackupUnsupported)
            }
        }
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_a_database_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("v.db").display())).unwrap();
        let target = dir.path().join("copy's.db");
        store.backup_to(&target).unwrap();
        let copy = Store::open(&format!("sqlite://{}", target.display())).unwrap();
        assert_eq!(copy.user_count().unwrap(), 0);
        assert!(matches!(
            store.backup_to(&target),
            Err(StoreError::BackupExists { .. })
        ));
    }
}
