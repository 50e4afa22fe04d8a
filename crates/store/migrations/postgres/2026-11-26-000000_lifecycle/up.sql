-- The life of an operation after its assessment (PostgreSQL). Keep in step with
-- migrations/sqlite: same tables, same columns (a test compares them). See the SQLite file for
-- the meaning of each column.
ALTER TABLE operations DROP CONSTRAINT operations_status_check;
ALTER TABLE operations ADD CONSTRAINT operations_status_check
    CHECK (status IN ('decided', 'blocked', 'released'));
ALTER TABLE operations ADD COLUMN retain_until TEXT;
ALTER TABLE operations ADD COLUMN frozen_at BIGINT;
ALTER TABLE operations ADD COLUMN completed_at BIGINT;

CREATE TABLE operation_parties (
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    PRIMARY KEY (operation_id, party_id)
);
CREATE INDEX operation_parties_party ON operation_parties (org_id, party_id);

CREATE TABLE operation_holds (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    cause TEXT NOT NULL CHECK (cause IN ('decision', 'screening', 'reclassification', 'due_diligence')),
    detail TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    released_by TEXT,
    released_at BIGINT,
    release_kind TEXT,
    release_reason TEXT,
    release_detail TEXT,
    CHECK ((released_at IS NULL) = (released_by IS NULL))
);
CREATE INDEX operation_holds_op ON operation_holds (org_id, operation_id, created_at);
