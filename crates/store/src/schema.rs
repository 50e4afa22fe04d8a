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

diesel::table! {
    /// The audit trail: append-only (triggers refuse UPDATE and DELETE), one hash chain per
    /// organisation.
    audit_log (org_id, seq) {
        /// The organisation whose chain this row belongs to.
        org_id -> Text,
        /// Position in the organisation's chain, from 1.
        seq -> BigInt,
        /// When, RFC 3339 UTC text exactly as hashed.
        at -> Text,
        /// Who (user id, `cli`, `system` …).
        actor -> Text,
        /// What, e.g. `list.imported`.
        action -> Text,
        /// The record concerned, e.g. `list_import:3`.
        subject -> Text,
        /// Details, JSON text.
        detail -> Text,
        /// Hash of the previous row of the chain (the genesis hash for seq 1).
        prev_hash -> Text,
        /// SHA-256 of this row's canonical serialisation (hex).
        hash -> Text,
    }
}

diesel::joinable!(list_entries -> list_imports (import_id));
diesel::allow_tables_to_appear_in_same_query!(list_imports, list_entries);
