//! The SQLite write-ahead log is copied back into the database file by a background thread, not
//! by the request that happens to cross the log's size limit.
//!
//! SQLite's default (`wal_autocheckpoint = 1000` pages) makes the committing connection run the
//! checkpoint, with its `fsync`, on the request path: a few milliseconds added to about one
//! transmission in fifty (each writes ~18 pages), which is the whole p99 of a fast endpoint
//! (`POST /api/v1/transmissions`). Every pooled connection therefore turns the automatic
//! checkpoint off ([`crate::SQLITE_INIT`]) and one thread per open [`crate::Store`], on its own
//! connection, every [`EVERY`]: runs a `PASSIVE` checkpoint (it never blocks readers or the
//! writer), then, when the log is longer than [`RESTART_FRAMES`], a `RESTART` one. The second is
//! needed because SQLite starts the log again from its beginning only once it has been copied
//! entirely, which a passive checkpoint never achieves under a steady stream of writes: the log
//! would grow without end and every read would search a longer one. A restart holds writers back
//! for the short time it copies what the passive one left. The thread ends within one period
//! after the last clone of the store is dropped. A failed checkpoint is tried again at the next
//! period; the log is never lost, only longer (and SQLite checkpoints it when the last
//! connection closes).

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, SqliteConnection};

/// How often the log is checkpointed (a restart blocks writers briefly: once a second keeps
/// that out of the p99 at 200 writes/s).
pub const EVERY: Duration = Duration::from_millis(1000);

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

/// The log's length, in frames (pages), from which it is restarted (SQLite's automatic
/// checkpoint uses 1000; a transmission writes about 18 pages, and a shorter log measured
/// better: `vigil bench http --transmissions-only`).
const RESTART_FRAMES: i32 = 400;

/// Runs `PRAGMA wal_checkpoint(MODE)`: the log's frames and those copied, `None` when it failed
/// or was blocked.
fn checkpoint(conn: &mut SqliteConnection, mode: &str) -> Option<(i32, i32)> {
    let rows: Vec<CheckpointRow> = diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})"))
        .load(conn)
        .ok()?;
    let row = rows.first()?;
    (row.busy == 0).then_some((row.log, row.checkpointed))
}

/// What `PRAGMA wal_checkpoint` answers: whether it was blocked, the log's frames, the frames
/// copied.
#[derive(diesel::QueryableByName)]
struct CheckpointRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    checkpointed: i32,
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
        // PASSIVE: copies what it can without waiting for readers or the writer (the answer
        // rows are read to their end, so that no statement stays open with a read snapshot).
        let passive = checkpoint(&mut conn, "PASSIVE");
        // Under a steady stream of writes a passive checkpoint never catches up with the last
        // frames, and SQLite restarts the log only when it has: it would grow without end,
        // and every read would search a longer log. So once it is long, a RESTART copies what
        // the passive one left (little) and waits for the readers to leave the log, holding
        // writers back for that short moment; the next write then starts the log again.
        if passive.is_some_and(|(log, _)| log >= RESTART_FRAMES) {
            let _ = checkpoint(&mut conn, "RESTART");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DbConnection, Store};
    use vigil_domain::audit::AuditEvent;

    fn log_frames(store: &Store) -> i32 {
        let mut c = store.conn().unwrap_or_else(|e| panic!("{e}"));
        let c: &mut DbConnection = &mut c;
        let DbConnection::Sqlite(c) = c else {
            panic!("a SQLite store");
        };
        checkpoint(c, "PASSIVE").map_or(-1, |(log, _)| log)
    }

    #[test]
    fn the_log_is_restarted_in_the_background_under_writes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .unwrap_or_else(|e| panic!("{e}"));
        let append = |n: u32| {
            for i in 0..n {
                store
                    .append_audit(
                        "org-c",
                        AuditEvent {
                            at: crate::audit::now(),
                            org_id: "org-c".into(),
                            actor: "u".into(),
                            action: "test.written".into(),
                            subject: format!("n:{i}"),
                            detail: serde_json::json!({"pad": "x".repeat(3000)}),
                        },
                    )
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        };
        // About 600 frames: no request runs a checkpoint (the automatic one is off), so without
        // the thread the log would only grow; with it, it is copied back and restarted, and the
        // next write starts a short log.
        append(300);
        std::thread::sleep(EVERY * 3);
        append(1);
        let frames = log_frames(&store);
        assert!(frames < 50, "the log was not restarted: {frames} frames");
    }
}
