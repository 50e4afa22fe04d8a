-- The authorisations register (PostgreSQL): individual and global export authorisations (Art. 12 of
-- Regulation (EU) 2021/821) with their quotas and draw-downs, the organisation's use of Union
-- general export authorisations (Annex II), and documents attached to any record. Keep in step
-- with migrations/sqlite: same tables, same columns (a test compares them). Times are BIGINT
-- microseconds since the Unix epoch (UTC); dates are TEXT YYYY-MM-DD; JSON is stored as text.

-- A licence and its terms (validated by vigil-domain before they are stored).
CREATE TABLE licences (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'global')),
    number TEXT NOT NULL CHECK (char_length(number) BETWEEN 1 AND 100),
    authority TEXT NOT NULL CHECK (char_length(authority) BETWEEN 1 AND 200),
    entries_json TEXT NOT NULL,
    destinations_json TEXT NOT NULL,
    end_users_json TEXT NOT NULL,
    valid_from TEXT NOT NULL CHECK (char_length(valid_from) = 10),
    valid_until TEXT NOT NULL CHECK (char_length(valid_until) = 10 AND valid_until >= valid_from),
    large_project TEXT NOT NULL CHECK (large_project IN ('yes', 'no')),
    conditions TEXT NOT NULL,
    reporting TEXT NOT NULL,
    document_id TEXT,
    law_version TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, number)
);
CREATE INDEX licences_org ON licences (org_id, valid_until);

-- The quantitative limits of a licence, one per unit (EUR in cents).
CREATE TABLE licence_quotas (
    licence_id TEXT NOT NULL REFERENCES licences (id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    unit TEXT NOT NULL CHECK (unit IN ('eur', 'pieces', 'seats', 'installations', 'downloads', 'customers', 'hours')),
    total BIGINT NOT NULL CHECK (total > 0),
    PRIMARY KEY (licence_id, unit)
);

-- What an operation drew on a licence, one row per unit.
CREATE TABLE licence_drawdowns (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    licence_id TEXT NOT NULL REFERENCES licences (id) ON DELETE CASCADE,
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    unit TEXT NOT NULL CHECK (unit IN ('eur', 'pieces', 'seats', 'installations', 'downloads', 'customers', 'hours')),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    used_on TEXT NOT NULL CHECK (char_length(used_on) = 10),
    drawn_by TEXT NOT NULL,
    drawn_at BIGINT NOT NULL
);
CREATE INDEX licence_drawdowns_licence ON licence_drawdowns (org_id, licence_id, drawn_at);
CREATE INDEX licence_drawdowns_operation ON licence_drawdowns (org_id, operation_id);

-- An organisation's use of a Union general export authorisation (EU001 to EU008).
CREATE TABLE general_authorisation_uses (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    ugea_id TEXT NOT NULL CHECK (ugea_id IN ('EU001', 'EU002', 'EU003', 'EU004', 'EU005', 'EU006', 'EU007', 'EU008')),
    registration_ref TEXT,
    registered_on TEXT CHECK (registered_on IS NULL OR char_length(registered_on) = 10),
    first_use_on TEXT CHECK (first_use_on IS NULL OR char_length(first_use_on) = 10),
    notice_sent_on TEXT CHECK (notice_sent_on IS NULL OR char_length(notice_sent_on) = 10),
    last_report_on TEXT CHECK (last_report_on IS NULL OR char_length(last_report_on) = 10),
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (org_id, ugea_id)
);

-- A document attached to a record (subject such as licence:ID); at most 10 MiB.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    subject TEXT NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    filename TEXT NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    content_type TEXT NOT NULL CHECK (char_length(content_type) BETWEEN 1 AND 255),
    size BIGINT NOT NULL CHECK (size BETWEEN 0 AND 10485760),
    sha256 TEXT NOT NULL CHECK (char_length(sha256) = 64),
    data BYTEA NOT NULL CHECK (octet_length(data) = size),
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX attachments_subject ON attachments (org_id, subject, uploaded_at);
