-- The screening of an organisation's parties (SQLite). Keep in step with migrations/postgres:
-- same tables, same columns (a test compares them). Times are BIGINT microseconds since the Unix
-- epoch (UTC); dates are TEXT YYYY-MM-DD; JSON is stored as text.

-- The latest screening of each party: when, against which lists (`lists`: JSON array of
-- {source, version, import}), and its counts (hits at or above the review floor; of them, open
-- alerts: at or above the alert threshold and neither cleared nor confirmed; confirmed matches).
CREATE TABLE party_screenings (
    party_id TEXT PRIMARY KEY NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    screened_at BIGINT NOT NULL,
    screened_by TEXT NOT NULL,
    lists TEXT NOT NULL,
    hit_count BIGINT NOT NULL CHECK (hit_count >= 0),
    open_count BIGINT NOT NULL CHECK (open_count >= 0),
    confirmed_count BIGINT NOT NULL CHECK (confirmed_count >= 0),
    -- When a list import last gave this party a new open hit (shown on the organisation's page
    -- until the party's hits are reviewed).
    new_hits_at BIGINT
);
CREATE INDEX party_screenings_org ON party_screenings (org_id, new_hits_at);

-- The hits of a party's latest screening: one per listed entry. `entry_hash` is the SHA-256 of
-- the entry's canonical serialisation (a clearance applies to that content only); `entry` is the
-- entry as JSON (for the side-by-side review); `explanation` the screening crate's, as JSON.
CREATE TABLE party_hits (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    list_source TEXT NOT NULL,
    list_version TEXT NOT NULL,
    import_id BIGINT NOT NULL,
    entry_id TEXT NOT NULL,
    entry_hash TEXT NOT NULL CHECK (length(entry_hash) = 64),
    entry_name TEXT NOT NULL,
    matched_alias TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL CHECK (score >= 0 AND score <= 1),
    why TEXT NOT NULL,
    explanation TEXT NOT NULL,
    entry TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    UNIQUE (party_id, list_source, entry_id)
);
CREATE INDEX party_hits_org ON party_hits (org_id, party_id);
CREATE INDEX party_hits_entry ON party_hits (list_source, entry_id);

-- Clearances of hits, per (party, list, entry, entry content hash): never deleted; the newest
-- one of a key applies while the entry keeps that content hash, it has not expired
-- (`expires_on`, inclusive) and has not lapsed (`lapsed_at`: the entry changed).
CREATE TABLE hit_clearances (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    party_id TEXT NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    list_source TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    entry_hash TEXT NOT NULL CHECK (length(entry_hash) = 64),
    decision TEXT NOT NULL CHECK (decision IN ('false_match', 'confirmed_match')),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    expires_on TEXT CHECK (expires_on IS NULL OR length(expires_on) = 10),
    decided_by TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    lapsed_at BIGINT
);
CREATE INDEX hit_clearances_key ON hit_clearances (org_id, party_id, list_source, entry_id);
