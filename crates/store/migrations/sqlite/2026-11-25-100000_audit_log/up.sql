-- The audit trail (SQLite). Keep in step with migrations/postgres: same tables, same columns (a
-- test compares them).
--
-- Append-only and hash-chained: one chain per organisation, numbered from 1 (`seq`), each row
-- storing the SHA-256 of the previous row (`prev_hash`, the genesis hash for seq 1) and its own
-- (`hash`, over a canonical serialisation of seq, at, org_id, actor, action, subject, detail and
-- prev_hash: see vigil_domain::audit). `at` is RFC 3339 UTC text exactly as hashed; `detail` is
-- JSON text.
CREATE TABLE audit_log (
    org_id TEXT NOT NULL,
    seq BIGINT NOT NULL CHECK (seq >= 1),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);

CREATE INDEX audit_log_org_at ON audit_log (org_id, at);

-- Rows cannot be changed or removed through SQL: every UPDATE and DELETE is refused, and so is an
-- INSERT that would replace an existing row (INSERT OR REPLACE deletes without firing the DELETE
-- trigger). Someone with write access to the file can still drop the triggers: the hash chain is
-- what detects that (`vigil audit verify`).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;

CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE org_id = NEW.org_id AND seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: replacing a row refused');
END;
