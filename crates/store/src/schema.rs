//! The tables, shared by both backends (the migrations in `migrations/sqlite` and
//! `migrations/postgres` create the same tables and columns; `tests/store.rs` checks it).
//!
//! Portable types only: `BigInt`, `Text`, timestamps as `BigInt` microseconds since the Unix epoch
//! (UTC), JSON as `Text`.

diesel::table! {
    /// One row per import attempt of a list file.
    list_imports (id) {
        /// Import number, increasing.
        id -> BigInt,
        /// `ListSource` short name (`un`, `eu`, `ofac-csv` …).
        source -> Text,
        /// Where the file came from (the path given on import).
        origin -> Text,
        /// Publication date or generation timestamp the file gives.
        published -> Nullable<Text>,
        /// Version or file id the file gives.
        version -> Nullable<Text>,
        /// SHA-256 of the raw file (NULL for a failed attempt that never read it whole).
        content_sha256 -> Nullable<Text>,
        /// Number of entries stored.
        entry_count -> BigInt,
        /// Number of names beyond each entry's primary name.
        alias_count -> BigInt,
        /// When, in microseconds since the Unix epoch (UTC).
        imported_at -> BigInt,
        /// `ok` or `failed`.
        status -> Text,
        /// Why a failed attempt failed.
        error -> Nullable<Text>,
    }
}

diesel::table! {
    /// The entries of a good import, in file order.
    list_entries (import_id, seq) {
        /// The import.
        import_id -> BigInt,
        /// Position in the file, from 0.
        seq -> BigInt,
        /// The list's own identifier.
        entry_id -> Text,
        /// `person`, `organisation` …
        kind -> Text,
        /// The entry's primary name.
        primary_name -> Text,
        /// The whole `ListEntry` as JSON.
        data -> Text,
    }
}

diesel::joinable!(list_entries -> list_imports (import_id));
diesel::allow_tables_to_appear_in_same_query!(list_imports, list_entries);
