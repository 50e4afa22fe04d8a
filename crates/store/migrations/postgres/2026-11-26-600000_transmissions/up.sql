-- Intangible exports (PostgreSQL). Keep in step with migrations/sqlite: same tables, same
-- columns (a test compares them). See the SQLite file for the meaning of each column.
CREATE TABLE transmissions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version_label TEXT NOT NULL CHECK (length(version_label) BETWEEN 1 AND 100),
    recipient_name TEXT NOT NULL,
    recipient_org TEXT NOT NULL,
    country_declared TEXT NOT NULL CHECK (length(country_declared) = 2),
    country_seen TEXT NOT NULL CHECK (length(country_seen) = 2),
    destination TEXT NOT NULL CHECK (length(destination) = 2),
    purpose TEXT NOT NULL CHECK (purpose IN ('download', 'update', 'saas_access', 'remote_support')),
    decision TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'hold')),
    authorisation TEXT NOT NULL,
    licence_id TEXT REFERENCES licences (id) ON DELETE SET NULL,
    unit TEXT,
    reasons_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX transmissions_org ON transmissions (org_id, created_at);
CREATE INDEX transmissions_operation ON transmissions (org_id, operation_id);
