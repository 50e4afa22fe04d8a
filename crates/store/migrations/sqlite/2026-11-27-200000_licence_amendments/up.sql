-- Amendments of licences by their authority (SQLite). Keep in step with migrations/postgres:
-- same table, same columns (a test compares them). The licence row and its quotas hold the
-- terms in force; each amendment keeps the authority's reference and date, what changed (JSON
-- array of {field, before, after}), the terms before it (JSON) and its document, if any.
CREATE TABLE licence_amendments (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    licence_id TEXT NOT NULL REFERENCES licences (id) ON DELETE CASCADE,
    reference TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    amended_on TEXT NOT NULL CHECK (length(amended_on) = 10),
    changes_json TEXT NOT NULL,
    terms_before_json TEXT NOT NULL,
    document_id TEXT,
    amended_by TEXT NOT NULL,
    amended_at BIGINT NOT NULL
);
CREATE INDEX licence_amendments_licence ON licence_amendments (org_id, licence_id, amended_at);
