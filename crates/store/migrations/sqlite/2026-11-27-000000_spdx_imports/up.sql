-- SPDX 3 imports of export-control assessments (SQLite). Keep in step with migrations/postgres:
-- same tables, same columns (a test compares them).
--
-- One row per imported document (`content_sha256`: the same document is imported once per
-- organisation), and one row per assessment read from it. An imported assessment never replaces
-- the organisation's own classification: it is a proposal (`status` 'proposed') that an officer
-- accepts into a classification record (`classification_id`), or, when it states no EU
-- classification (only e.g. a US ECCN), 'informative'. `cyber_surveillance` is the Art. 2(20)
-- reading the document states ('unknown' when it states none). `foreign_json` keeps the
-- classifications read against other specifications (JSON array).
CREATE TABLE spdx_imports (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    document_id TEXT NOT NULL,
    document_name TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    UNIQUE (org_id, content_sha256)
);
CREATE INDEX spdx_imports_org ON spdx_imports (org_id, imported_at);

CREATE TABLE spdx_assessments (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    import_id TEXT NOT NULL REFERENCES spdx_imports (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version_label TEXT NOT NULL CHECK (length(version_label) BETWEEN 1 AND 100),
    element_id TEXT NOT NULL,
    assessment_id TEXT NOT NULL,
    entries_json TEXT NOT NULL,
    not_listed TEXT NOT NULL CHECK (not_listed IN ('yes', 'no')),
    foreign_json TEXT NOT NULL,
    cyber_surveillance TEXT NOT NULL CHECK (cyber_surveillance IN ('yes', 'no', 'unknown')),
    assessor TEXT NOT NULL,
    assessed_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'informative', 'accepted')),
    classification_id TEXT REFERENCES classifications (id) ON DELETE SET NULL,
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX spdx_assessments_org ON spdx_assessments (org_id, item_id);
CREATE INDEX spdx_assessments_import ON spdx_assessments (org_id, import_id);
