//! The SQLite write-ahead log is copied back into the database file by a background thread, not
//! by the request that happens to cross the log's size limit.
//!
//! SQLite's default (`wal_autocheckpoint = 1000` pages) makes the committing connection run the
//! checkpoint, with its `fsync`, on the request path: a few milliseconds added to one request in
//! a thousand, which is the whole p99 of a fast endpoint (`POST /api/v1/transmissions`). Every
//! pooled connection therefore turns the automatic checkpoint off ([`crate::SQLITE_INIT`]) and
//! one thread per open [`crate::Store`], on its own connection, runs a `PASSIVE` checkpoint
//! (it never blocks readers or the writer) every [`EVERY`]. The thread ends within one period
//! after the last clone of the store is dropped. When a checkpoint fails it is retried at the
//! next period; the log is never lost, only longer (and SQLite checkpoints it when the last
//! connection closes).

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, SqliteConnection};

/// How often the log is checkpointed.
pub const EVERY: Duration = Duration::from_millis(250);

/// Keeps the checkpoint thread alive while a clone of the store exists.
#[derive(Debug, Clone, Default)]
pub(crate) struct Alive(Arc<()>);

/// Starts the checkpoint thread for the database at `cs` (a SQLite connection string). A failure
/// to start is logged by the caller's error and leaves SQLite's own behaviour: the log grows
/// until the last connection closes.
pub(crate) fn start(cs: &str) -> std::io::Result<Alive> {
    let alive = Alive::default();
    let weak: Weak<()> = Arc::downgrade(&alive.0);
    let cs = cs.to_owned();
    std::thread::Builder::new()
        .name("vigil-wal-checkpoint".to_owned())
        .spawn(move || run(&cs, &weak))?;
    Ok(alive)
}

fn run(cs: &str, alive: &Weak<()>) {
    let Ok(mut conn) = SqliteConnection::establish(cs) else {
        return;
    };
    if diesel::sql_query("PRAGMA busy_timeout = 5000")
        .execute(&mut conn)
        .is_err()
    {
        return;
    }
    loop {
        std::thread::sleep(EVERY);
        if alive.upgrade().is_none() {
            return;
        }
        // PASSIVE: copies what it can without waiting for readers or the writer.
        let _ = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn);
    }
}
