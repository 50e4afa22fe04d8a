-- Intangible exports (SQLite). Keep in step with migrations/postgres: same tables, same columns
-- (a test compares them).
--
-- A transmission is software or technology made available by electronic means — a download, an
-- update, SaaS access — or remote support (technical assistance, Art. 8 of Regulation (EU)
-- 2021/821), asked for by the organisation's download portal, update server or SaaS login before
-- it serves the item. Each one is recorded as an export event: an operation (`operation_id`, type
-- `electronic_transmission`, Art. 2(2)(d); or `technical_assistance` for remote support) with
-- its assessment, and this row with who received what, where, the decision given to the caller
-- (`allow`, `deny`, `hold`) and the authorisation that covered it. `destination` is the country
-- the decision rests on: the country seen (e.g. from IP geolocation) when it differs from the
-- declared one. `licence_id` names the licence drawn on (one unit of `unit`), if any.
CREATE TABLE transmissions (
    id TEXT PRIMARY KEY NOT NULL,
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
