-- Product releases and frozen records (PostgreSQL). Keep in step with migrations/sqlite: same
-- tables, same columns (a test compares them). See the SQLite file for the meaning of each
-- column.
CREATE TABLE item_releases (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version_label TEXT NOT NULL CHECK (length(version_label) BETWEEN 1 AND 100),
    answers_json TEXT NOT NULL,
    previous_label TEXT,
    changed_json TEXT NOT NULL,
    reclassification_required TEXT NOT NULL CHECK (reclassification_required IN ('yes', 'no')),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, item_id, version_label)
);
CREATE INDEX item_releases_item ON item_releases (org_id, item_id, created_at);

-- A released operation's record is frozen (Art. 27 of Regulation (EU) 2021/821).
CREATE FUNCTION operations_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.frozen_at IS NOT NULL AND (
        NEW.reference IS DISTINCT FROM OLD.reference
        OR NEW.input_json IS DISTINCT FROM OLD.input_json
        OR NEW.assessment_json IS DISTINCT FROM OLD.assessment_json
        OR NEW.decision IS DISTINCT FROM OLD.decision
        OR NEW.law_version IS DISTINCT FROM OLD.law_version) THEN
        RAISE EXCEPTION 'operation record frozen on release: its input and assessment may not change (Art. 27 of Regulation (EU) 2021/821)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER operations_frozen BEFORE UPDATE ON operations
    FOR EACH ROW EXECUTE FUNCTION operations_frozen();
