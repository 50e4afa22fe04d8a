//! Store conformance tests: every test body runs on SQLite, and on PostgreSQL when
//! `VIGIL_TEST_PG_URL` names a server where the user may create databases (each test gets a fresh
//! database, dropped afterwards). `.ci/run` starts such a server.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
#![cfg_attr(
    not(all(feature = "sqlite", feature = "postgres")),
    allow(unused_imports, dead_code, reason = "helpers of the backend left out")
)]

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::prelude::*;
use diesel::sql_types::Text;
use vigil_screening::{
    BirthDate, EntityKind, Identifier, ListEntry, ListSource, LoadedList, NameQuality,
};
use vigil_store::{Backend, DbConnection, ImportOutcome, ImportStatus, Store, StoreError};

/// A database for one test; a PostgreSQL one is dropped at the end.
struct TestDb {
    store: Option<Store>,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    #[cfg(feature = "sqlite")]
    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("vigil.db").display());
        TestDb {
            store: Some(Store::open(&url).unwrap()),
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    /// `None` when no PostgreSQL server is configured.
    #[cfg(feature = "postgres")]
    fn postgres() -> Option<TestDb> {
        let admin = std::env::var("VIGIL_TEST_PG_URL").ok()?;
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "vigil_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::establish(&admin).expect("VIGIL_TEST_PG_URL reachable");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let url = with_database(&admin, &name);
        Some(TestDb {
            store: Some(Store::open(&url).unwrap()),
            _dir: None,
            pg_drop: Some((admin, name)),
        })
    }

    fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop(self.store.take());
        #[cfg(feature = "postgres")]
        if let Some((admin, name)) = &self.pg_drop
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// The URL with its database name replaced.
#[cfg(feature = "postgres")]
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// Runs the body once per backend: `store_test!(name, |store| { … });`
macro_rules! store_test {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            use super::*;

            fn body($store: &Store) $body

            #[cfg(feature = "sqlite")]
            #[test]
            fn sqlite() {
                let db = TestDb::sqlite();
                assert_eq!(db.store().backend(), Backend::Sqlite);
                body(db.store());
            }

            #[cfg(feature = "postgres")]
            #[test]
            fn postgres() {
                let Some(db) = TestDb::postgres() else {
                    eprintln!("skipped: VIGIL_TEST_PG_URL is not set");
                    return;
                };
                assert_eq!(db.store().backend(), Backend::Postgres);
                body(db.store());
            }
        }
    };
}

fn entry(list: ListSource, id: &str, names: &[&str]) -> ListEntry {
    let mut e = ListEntry::new(list, id, EntityKind::Person);
    for (i, n) in names.iter().enumerate() {
        let q = if i == 0 {
            NameQuality::Primary
        } else {
            NameQuality::Strong
        };
        e.push_name(n, q);
    }
    e
}

/// A small list; `raw` stands for the file bytes (its hash identifies the version).
fn list(source: ListSource, raw: &str, entries: Vec<ListEntry>) -> LoadedList {
    LoadedList::new(
        source,
        raw.as_bytes(),
        Some("2026-02-27".into()),
        Some(format!("v-{raw}")),
        entries,
    )
}

fn un_v1() -> LoadedList {
    let mut e = entry(
        ListSource::Un,
        "QDi.001",
        &["Ivan Ivanovich PETROV", "Иван Петров", "I. Petrov"],
    );
    e.dates_of_birth.push(BirthDate::ymd(1961, 4, 28));
    e.dates_of_birth.push(BirthDate::range(1956, 1958));
    e.push_country("Russian Federation");
    e.identifiers.push(Identifier {
        kind: "Passport".into(),
        value: "753 123 456".into(),
        country: Some("RU".into()),
    });
    e.programmes.push("QDi".into());
    let mut org = ListEntry::new(ListSource::Un, "QDe.002", EntityKind::Organisation);
    org.push_name("AL-BARAKAAT TRADING « Ltd » 🚢", NameQuality::Primary);
    org.push_name("Barakaat Int'l", NameQuality::Weak);
    list(ListSource::Un, "un-1", vec![e, org])
}

fn served_ids(store: &Store) -> Vec<(ListSource, i64)> {
    store
        .served_lists()
        .unwrap()
        .iter()
        .map(|r| (r.source, r.id))
        .collect()
}

fn imported(o: ImportOutcome) -> vigil_store::ImportRecord {
    match o {
        ImportOutcome::Imported(r) => r,
        other => panic!("expected a new import, got {other:?}"),
    }
}

store_test!(a_fresh_database_serves_nothing, |store| {
    assert!(store.served_lists().unwrap().is_empty());
    assert!(store.load_served().unwrap().is_empty());
    assert!(store.import_history().unwrap().is_empty());
});

store_test!(an_import_round_trips_every_field, |store| {
    let l = un_v1();
    let r = imported(store.import_list(&l, "data/un.xml").unwrap());
    assert_eq!(r.source, ListSource::Un);
    assert_eq!(r.origin, "data/un.xml");
    assert_eq!(r.status, ImportStatus::Ok);
    assert_eq!(r.entry_count, 2);
    assert_eq!(r.alias_count, 3);
    assert_eq!(
        r.content_sha256.as_deref(),
        Some(l.meta.content_sha256.as_str())
    );
    assert_eq!(r.version.as_deref(), Some("v-un-1"));
    assert_eq!(r.published.as_deref(), Some("2026-02-27"));
    let age = time::OffsetDateTime::now_utc() - r.imported_at;
    assert!(age.whole_seconds().abs() < 60, "{age}");

    let served = store.load_served().unwrap();
    assert_eq!(served.len(), 1);
    assert_eq!(served[0].record, r);
    assert_eq!(served[0].list, l, "entries come back exactly as loaded");
});

store_test!(re_importing_the_same_content_is_a_no_op, |store| {
    let first = imported(store.import_list(&un_v1(), "un.xml").unwrap());
    let again = store.import_list(&un_v1(), "elsewhere/un.xml").unwrap();
    assert_eq!(
        again,
        ImportOutcome::AlreadyImported {
            existing: first.clone(),
            served: true
        }
    );
    assert_eq!(store.import_history().unwrap(), vec![first]);
});

store_test!(the_newest_good_import_per_source_is_served, |store| {
    let un1 = imported(store.import_list(&un_v1(), "un1.xml").unwrap());
    let eu = imported(
        store
            .import_list(
                &list(
                    ListSource::Eu,
                    "eu-1",
                    vec![entry(ListSource::Eu, "13", &["Jane Roe"])],
                ),
                "eu.xml",
            )
            .unwrap(),
    );
    let un2_list = list(
        ListSource::Un,
        "un-2",
        vec![entry(ListSource::Un, "QDi.009", &["John Doe"])],
    );
    let un2 = imported(store.import_list(&un2_list, "un2.xml").unwrap());
    assert!(un2.id > un1.id);
    assert_eq!(
        served_ids(store),
        vec![(ListSource::Eu, eu.id), (ListSource::Un, un2.id)],
        "in source order"
    );
    let served = store.load_served().unwrap();
    let un = served.iter().find(|s| s.record.source == ListSource::Un);
    assert_eq!(un.unwrap().list, un2_list);

    // Re-importing the older version changes nothing and says it is not the served one.
    let again = store.import_list(&un_v1(), "un1.xml").unwrap();
    assert_eq!(
        again,
        ImportOutcome::AlreadyImported {
            existing: un1,
            served: false
        }
    );
    assert!(served_ids(store).contains(&(ListSource::Un, un2.id)));
});

store_test!(a_failed_import_changes_nothing, |store| {
    let good = imported(store.import_list(&un_v1(), "un.xml").unwrap());
    let before = store.load_served().unwrap();

    // Counts that disagree with the entries: detected after the rows were written, so the
    // transaction must roll the import row and every entry back.
    let mut bad = list(
        ListSource::Un,
        "un-truncated",
        (0..2500)
            .map(|i| entry(ListSource::Un, &format!("QDi.{i}"), &["Some Body"]))
            .collect(),
    );
    bad.meta.entry_count = 2600;
    let err = store.import_list(&bad, "un-truncated.xml").unwrap_err();
    assert!(
        matches!(err, StoreError::Inconsistent { .. }),
        "{err:?}: {err}"
    );
    assert_eq!(store.load_served().unwrap(), before);
    assert_eq!(store.import_history().unwrap(), vec![good.clone()]);
    let entries: i64 = {
        let mut c = store.conn().unwrap();
        let c: &mut DbConnection = &mut c;
        vigil_store::schema::list_entries::table
            .count()
            .get_result(c)
            .unwrap()
    };
    assert_eq!(entries, 2, "no entry of the failed import is left");

    // The attempt is recorded, and still nothing changes in what is served.
    let failed = store
        .record_failed_import(ListSource::Un, "un-truncated.xml", None, &err.to_string())
        .unwrap();
    assert_eq!(failed.status, ImportStatus::Failed);
    assert!(failed.error.as_deref().unwrap().contains("rolled back"));
    assert_eq!(store.load_served().unwrap(), before);
    assert_eq!(store.import_history().unwrap(), vec![failed, good]);
});

store_test!(large_lists_are_written_in_batches, |store| {
    let entries: Vec<ListEntry> = (0..2345)
        .map(|i| {
            entry(
                ListSource::Ofac,
                &i.to_string(),
                &[&format!("Name {i}"), &format!("Alias {i}")],
            )
        })
        .collect();
    let l = list(ListSource::Ofac, "ofac-big", entries);
    let r = imported(store.import_list(&l, "sdn.xml").unwrap());
    assert_eq!((r.entry_count, r.alias_count), (2345, 2345));
    let served = store.load_served().unwrap();
    assert_eq!(served[0].list, l, "file order is kept across batches");
});

store_test!(a_reopened_database_keeps_its_lists, |store| {
    imported(store.import_list(&un_v1(), "un.xml").unwrap());
    // Migrations are idempotent: opening again applies nothing and loses nothing.
    let url = match store.backend() {
        Backend::Sqlite => store.location(),
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let admin = std::env::var("VIGIL_TEST_PG_URL").unwrap();
            let mut c = store.conn().unwrap();
            let c: &mut DbConnection = &mut c;
            #[derive(QueryableByName)]
            struct Db {
                #[diesel(sql_type = Text)]
                name: String,
            }
            let db: Db = diesel::sql_query("SELECT current_database() AS name")
                .get_result(c)
                .unwrap();
            with_database(&admin, &db.name)
        }
        #[cfg(not(feature = "postgres"))]
        Backend::Postgres => unreachable!("no PostgreSQL in this build"),
    };
    let again = Store::open(&url).unwrap();
    assert_eq!(again.load_served().unwrap().len(), 1);
});

#[cfg(all(feature = "sqlite", feature = "postgres"))]
#[test]
fn the_two_migration_sets_give_the_same_tables_and_columns() {
    let sqlite = TestDb::sqlite();
    let Some(pg) = TestDb::postgres() else {
        eprintln!("skipped: VIGIL_TEST_PG_URL is not set");
        return;
    };
    #[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    let mut lite: Vec<Column> = {
        let mut c = sqlite.store().conn().unwrap();
        let c: &mut DbConnection = &mut c;
        diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap()
    };
    let mut post: Vec<Column> = {
        let mut c = pg.store().conn().unwrap();
        let c: &mut DbConnection = &mut c;
        diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap()
    };
    lite.sort();
    post.sort();
    assert!(lite.len() >= 40, "{lite:?}");
    assert_eq!(lite, post);
}

#[cfg(all(feature = "sqlite", feature = "postgres"))]
#[test]
fn a_bad_location_is_a_clear_error() {
    let e = Store::open("mysql://u:pw@h/db").unwrap_err();
    assert!(matches!(e, StoreError::BadUrl { .. }), "{e}");
    let e = Store::open("/nonexistent-dir/x/vigil.db").unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot open the database sqlite:///nonexistent-dir/x/vigil.db"),
        "{e}"
    );
    let e = Store::open("postgres://vigil:secret@127.0.0.1:1/vigil").unwrap_err();
    assert!(matches!(e, StoreError::Connect { .. }), "{e}");
    assert!(!format!("{e:#}").contains("secret"), "{e:#}");
}

#[path = "store/audit.rs"]
mod audit;

#[path = "store/accounts.rs"]
mod accounts;

#[path = "store/records.rs"]
mod records;

#[path = "store/lifecycle.rs"]
mod lifecycle;

#[path = "store/licences.rs"]
mod licences;

#[path = "store/attachments.rs"]
mod attachments;

#[path = "store/party_screening.rs"]
mod party_screening;

#[path = "store/retention.rs"]
mod retention;

#[path = "store/icp.rs"]
mod icp;

#[path = "store/due_diligence.rs"]
mod due_diligence;

#[path = "store/transmissions.rs"]
mod transmissions;
