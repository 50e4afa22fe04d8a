-- The records of the workspace (SQLite): items and their classification records, parties,
-- operations and their assessments. Keep in step with migrations/postgres: same tables, same
-- columns (a test compares them). Every row belongs to one organisation; times are BIGINT
-- microseconds since the Unix epoch (UTC); JSON is stored as text, exactly as produced.

-- The product master.
CREATE TABLE items (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (kind IN ('hardware', 'software', 'technology')),
    description TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX items_org ON items (org_id, created_at);

-- The classification of one version or release of an item: the product sheet, Vigil's output,
-- and what the user decided (the Annex I entries and the Art. 2(20) reading).
CREATE TABLE classifications (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version_label TEXT NOT NULL CHECK (length(version_label) BETWEEN 1 AND 100),
    sheet_json TEXT NOT NULL,
    result_json TEXT NOT NULL,
    entries_json TEXT NOT NULL,
    cyber_surveillance TEXT NOT NULL CHECK (cyber_surveillance IN ('yes', 'no')),
    law_version TEXT NOT NULL,
    classified_by TEXT NOT NULL,
    classified_at BIGINT NOT NULL
);
CREATE INDEX classifications_item ON classifications (org_id, item_id, classified_at);

-- A party of operations (consignee, end user, broker …).
CREATE TABLE parties (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    country TEXT NOT NULL CHECK (length(country) = 2),
    notes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX parties_org ON parties (org_id, created_at);

-- An export operation: the OPERATION input, its assessment, the decision and its status.
CREATE TABLE operations (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    input_json TEXT NOT NULL,
    assessment_json TEXT NOT NULL,
    decision TEXT NOT NULL,
    law_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('decided', 'blocked')),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX operations_org ON operations (org_id, created_at);
CREATE INDEX operations_org_status ON operations (org_id, status);
