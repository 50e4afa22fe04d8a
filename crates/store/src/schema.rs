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

diesel::table! {
    /// Organisations (exporters): every record of the workspace belongs to one.
    organisations (id) {
        /// Random id (hex).
        id -> Text,
        /// Name shown.
        name -> Text,
        /// When, in microseconds since the Unix epoch (UTC).
        created_at -> BigInt,
    }
}

diesel::table! {
    /// People who sign in.
    users (id) {
        /// Random id (hex).
        id -> Text,
        /// E-mail as given.
        email -> Text,
        /// E-mail lower-cased (unique).
        email_key -> Text,
        /// Name shown.
        display_name -> Text,
        /// Argon2id PHC string.
        password_hash -> Text,
        /// When created (µs).
        created_at -> BigInt,
        /// Sign-in refused until then (µs), after too many failures.
        locked_until -> Nullable<BigInt>,
        /// Failed sign-ins since the last success or lock-out.
        failed_logins -> BigInt,
        /// Preferred language (`en`, `fr`), if chosen.
        language -> Nullable<Text>,
    }
}

diesel::table! {
    /// A user's role in an organisation.
    memberships (org_id, user_id) {
        /// The organisation.
        org_id -> Text,
        /// The user.
        user_id -> Text,
        /// `admin`, `officer`, `operator` or `auditor`.
        role -> Text,
        /// When added (µs).
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Server-side sessions (only the SHA-256 of the cookie's token is kept).
    sessions (id_hash) {
        /// SHA-256 (hex) of the session token.
        id_hash -> Text,
        /// The user.
        user_id -> Text,
        /// When created (µs).
        created_at -> BigInt,
        /// Idle expiry (µs), pushed forward on use.
        expires_at -> BigInt,
        /// Last use (µs).
        last_seen -> BigInt,
    }
}

diesel::table! {
    /// API bearer tokens of a user in one organisation (only the SHA-256 is kept).
    api_tokens (id) {
        /// Random id (hex), shown in lists.
        id -> Text,
        /// SHA-256 (hex) of the token.
        token_hash -> Text,
        /// The organisation the token acts in.
        org_id -> Text,
        /// The user the token acts as.
        user_id -> Text,
        /// Name given by the user.
        name -> Text,
        /// When created (µs).
        created_at -> BigInt,
        /// Last use (µs).
        last_used -> Nullable<BigInt>,
        /// When revoked (µs); a revoked token is refused.
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// The product master of an organisation.
    items (id) {
        /// Random id (hex).
        id -> Text,
        /// The organisation.
        org_id -> Text,
        /// Name.
        name -> Text,
        /// `hardware`, `software` or `technology`.
        kind -> Text,
        /// Description in the vendor's words.
        description -> Text,
        /// The user who created it.
        created_by -> Text,
        /// When created (µs).
        created_at -> BigInt,
    }
}

diesel::table! {
    /// The classification record of one version or release of an item.
    classifications (id) {
        /// Random id (hex).
        id -> Text,
        /// The organisation.
        org_id -> Text,
        /// The item.
        item_id -> Text,
        /// Version or release label.
        version_label -> Text,
        /// The product sheet (ItemSheet JSON).
        sheet_json -> Text,
        /// Vigil's classification (Classification JSON).
        result_json -> Text,
        /// The Annex I entries the user chose (JSON array of codes).
        entries_json -> Text,
        /// The user's Art. 2(20) reading: `yes` or `no`.
        cyber_surveillance -> Text,
        /// Law version of the classification.
        law_version -> Text,
        /// Who classified.
        classified_by -> Text,
        /// When (µs).
        classified_at -> BigInt,
    }
}

diesel::table! {
    /// Parties of an organisation's operations.
    parties (id) {
        /// Random id (hex).
        id -> Text,
        /// The organisation.
        org_id -> Text,
        /// Contract role (`consignee`, `end_user` …).
        role -> Text,
        /// Name.
        name -> Text,
        /// ISO 3166-1 alpha-2 country.
        country -> Text,
        /// Free notes.
        notes -> Text,
        /// The user who created it.
        created_by -> Text,
        /// When created (µs).
        created_at -> BigInt,
    }
}

diesel::table! {
    /// Export operations and their assessments.
    operations (id) {
        /// Random id (hex).
        id -> Text,
        /// The organisation.
        org_id -> Text,
        /// The exporter's reference.
        reference -> Text,
        /// The OPERATION input (JSON).
        input_json -> Text,
        /// The assessment (JSON).
        assessment_json -> Text,
        /// The decision (contract name).
        decision -> Text,
        /// Law version of the assessment.
        law_version -> Text,
        /// `decided`, `blocked` or `released`.
        status -> Text,
        /// The user who created it.
        created_by -> Text,
        /// When created (µs).
        created_at -> BigInt,
        /// Keep the record until at least this date (Art. 27; `YYYY-MM-DD`).
        retain_until -> Nullable<Text>,
        /// When the record was frozen (on release; µs).
        frozen_at -> Nullable<BigInt>,
        /// When the export was carried out (µs): the operation is no longer open.
        completed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// The party records an operation names.
    operation_parties (operation_id, party_id) {
        /// The organisation.
        org_id -> Text,
        /// The operation.
        operation_id -> Text,
        /// The party.
        party_id -> Text,
    }
}

diesel::table! {
    /// Why an operation is blocked: one row per hold, open until released.
    operation_holds (id) {
        /// Random id (hex).
        id -> Text,
        /// The organisation.
        org_id -> Text,
        /// The operation.
        operation_id -> Text,
        /// `decision`, `screening`, `reclassification` or `due_diligence`.
        cause -> Text,
        /// What triggered it (JSON).
        detail -> Text,
        /// Who or what put it (user id, or `system`).
        created_by -> Text,
        /// When (µs).
        created_at -> BigInt,
        /// The officer who released it.
        released_by -> Nullable<Text>,
        /// When released (µs).
        released_at -> Nullable<BigInt>,
        /// How: `licence`, `screening_cleared`, `authority_answer`, `review`.
        release_kind -> Nullable<Text>,
        /// The officer's reason.
        release_reason -> Nullable<Text>,
        /// What the release rests on (JSON: licence and draw-down, authority reference …).
        release_detail -> Nullable<Text>,
    }
}

diesel::joinable!(list_entries -> list_imports (import_id));
diesel::joinable!(memberships -> organisations (org_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(classifications -> items (item_id));
diesel::joinable!(operation_parties -> operations (operation_id));
diesel::joinable!(operation_parties -> parties (party_id));
diesel::joinable!(operation_holds -> operations (operation_id));
diesel::allow_tables_to_appear_in_same_query!(list_imports, list_entries);
diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    memberships,
    sessions,
    api_tokens,
    items,
    classifications,
    parties,
    operations,
    operation_parties,
    operation_holds
);

diesel::table! {
    /// Imported SPDX 3 documents of export-control assessments (one per document and
    /// organisation).
    spdx_imports (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The SpdxDocument's spdxId.
        document_id -> Text,
        /// The SpdxDocument's name.
        document_name -> Text,
        /// The document's `specVersion`.
        spec_version -> Text,
        /// SHA-256 of the document as received (hex).
        content_sha256 -> Text,
        /// Imported by (user id).
        imported_by -> Text,
        /// When (µs).
        imported_at -> BigInt,
    }
}

diesel::table! {
    /// The export-control assessments read from an imported SPDX document: proposals an
    /// officer accepts into a classification record (never a silent replacement).
    spdx_assessments (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// The import.
        import_id -> Text,
        /// The item matched (by name) or created.
        item_id -> Text,
        /// The package's version (the version label).
        version_label -> Text,
        /// The package's spdxId.
        element_id -> Text,
        /// The assessment's spdxId.
        assessment_id -> Text,
        /// The EU Annex I entries (JSON array).
        entries_json -> Text,
        /// `yes` when the document states "not listed in Annex I".
        not_listed -> Text,
        /// Classifications against other specifications (JSON array).
        foreign_json -> Text,
        /// `yes`, `no` or `unknown`.
        cyber_surveillance -> Text,
        /// The assessor named by the document.
        assessor -> Text,
        /// The assessment time, as given.
        assessed_at -> Text,
        /// `proposed`, `informative` or `accepted`.
        status -> Text,
        /// The classification record made on acceptance.
        classification_id -> Nullable<Text>,
        /// Accepted by (user id).
        decided_by -> Nullable<Text>,
        /// When accepted (µs).
        decided_at -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(spdx_imports, spdx_assessments);

diesel::table! {
    /// Amendments of licences by their authority (`vigil_store::licences`).
    licence_amendments (id) {
        /// Random id (hex).
        id -> Text,
        /// Organisation.
        org_id -> Text,
        /// Licence.
        licence_id -> Text,
        /// The authority's reference.
        reference -> Text,
        /// Day of the amendment (YYYY-MM-DD).
        amended_on -> Text,
        /// What changed (JSON array of {field, before, after}).
        changes_json -> Text,
        /// The terms before (JSON, as typed).
        terms_before_json -> Text,
        /// The amendment's document (attachment id).
        document_id -> Nullable<Text>,
        /// Recorded by (user id).
        amended_by -> Text,
        /// When (µs).
        amended_at -> BigInt,
    }
}
