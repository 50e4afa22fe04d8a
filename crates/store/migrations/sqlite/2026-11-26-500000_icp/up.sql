-- The records of an organisation's internal compliance programme (SQLite): policies, named
-- responsible persons, training and audit records, each filed under one of the seven elements of
-- Commission Recommendation (EU) 2019/1318. Keep in step with migrations/postgres: same tables,
-- same columns (a test compares them). Times are BIGINT microseconds since the Unix epoch (UTC);
-- dates are TEXT YYYY-MM-DD.

CREATE TABLE icp_records (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    element INTEGER NOT NULL CHECK (element BETWEEN 1 AND 7),
    kind TEXT NOT NULL CHECK (kind IN ('policy', 'responsible_person', 'training', 'audit', 'other')),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    person_name TEXT NOT NULL CHECK (length(person_name) <= 200),
    person_role TEXT NOT NULL CHECK (length(person_role) <= 200),
    record_date TEXT NOT NULL CHECK (length(record_date) = 10),
    details TEXT NOT NULL CHECK (length(details) <= 10000),
    attachment_id TEXT REFERENCES attachments (id),
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX icp_records_org ON icp_records (org_id, element, record_date);
