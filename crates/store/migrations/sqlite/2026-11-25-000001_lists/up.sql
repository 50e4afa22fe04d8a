-- Imported sanctions lists (SQLite). Keep in step with migrations/postgres: same tables, same
-- columns (a test compares them).

-- One row per import attempt. `status` is 'ok' (the list was stored whole) or 'failed' (nothing
-- was stored; `error` says why). The newest 'ok' import of a source is the one served.
CREATE TABLE list_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    published TEXT,
    version TEXT,
    content_sha256 TEXT,
    entry_count BIGINT NOT NULL,
    alias_count BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error TEXT,
    CHECK (status = 'failed' OR content_sha256 IS NOT NULL)
);

-- Re-importing the same content of a source is a no-op: at most one good import per content hash.
CREATE UNIQUE INDEX list_imports_source_hash ON list_imports (source, content_sha256)
    WHERE status = 'ok';
CREATE INDEX list_imports_source_id ON list_imports (source, id);

-- The entries of a good import, in file order. `data` is the whole `ListEntry` as JSON; the key
-- columns are copied out for queries and people reading the database.
CREATE TABLE list_entries (
    import_id BIGINT NOT NULL REFERENCES list_imports (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    entry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    primary_name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);

CREATE INDEX list_entries_entry_id ON list_entries (import_id, entry_id);
