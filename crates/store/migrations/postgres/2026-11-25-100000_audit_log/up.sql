-- The audit trail (PostgreSQL). Keep in step with migrations/sqlite: same tables, same columns (a
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

-- Rows cannot be changed or removed through SQL: UPDATE, DELETE (and so INSERT … ON CONFLICT DO
-- UPDATE) and TRUNCATE are refused. The table's owner or a superuser can still drop or disable
-- the triggers: the hash chain is what detects that (`vigil audit verify`). Deployments should
-- also run the application as a role that owns neither the table nor the trigger function.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
