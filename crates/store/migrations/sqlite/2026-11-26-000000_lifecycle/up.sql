-- The life of an operation after its assessment (SQLite). Keep in step with migrations/postgres:
-- same tables, same columns (a test compares them).
--
-- `operations.status`: 'decided' (may go ahead), 'blocked' (an open hold), 'released' (every hold
-- released by an officer). New columns: the Art. 27 retention date (`retain_until`, YYYY-MM-DD,
-- from the assessment; deletion is refused before it), when the record was frozen (on release)
-- and when the export was carried out (`completed_at`: the operation is no longer open).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with its rows.
CREATE TABLE operations_new (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    input_json TEXT NOT NULL,
    assessment_json TEXT NOT NULL,
    decision TEXT NOT NULL,
    law_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('decided', 'blocked', 'released')),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retain_until TEXT,
    frozen_at BIGINT,
    completed_at BIGINT
);
INSERT INTO operations_new (id, org_id, reference, input_json, assessment_json, decision,
    law_version, status, created_by, created_at)
SELECT id, org_id, reference, input_json, assessment_json, decision, law_version, status,
    created_by, created_at FROM operations;
DROP TABLE operations;
ALTER TABLE operations_new RENAME TO operations;
CREATE INDEX operations_org ON operations (org_id, created_at);
CREATE INDEX operations_org_status ON operations (org_id, status);

-- The organisation's party records an operation names (built from the form, a CSV line, or
-- matched by role, name and country), so a new screening hit on a party finds its operations.
CREATE TABLE operation_parties (
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    PRIMARY KEY (operation_id, party_id)
);
CREATE INDEX operation_parties_party ON operation_parties (org_id, party_id);

-- Why an operation is blocked: one row per hold, open until an officer releases it.
-- `cause`: 'decision' (the assessment's decision blocks it), 'screening' (a screening hit, e.g.
-- after a list update), 'reclassification' (a new item version must be classified first),
-- 'due_diligence' (the due-diligence file is open or concluded "aware"). `detail` is JSON.
CREATE TABLE operation_holds (
    id TEXT PRIMARY KEY NOT NULL,
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
