-- Product releases and frozen records (SQLite). Keep in step with migrations/postgres: same
-- tables, same columns (a test compares them).
--
-- A release is a version of an item (software releases) registered with its answers to the
-- classification questions (the facts of the product sheet). When its answers differ from the
-- previous classified version's, it is flagged 'reclassification_required' = 'yes' (the
-- classification of an earlier version no longer describes it); an operation naming such a
-- version, or a version never classified, is held (cause 'reclassification') until an officer
-- or operator records a classification for it (Art. 2(1) and Annex I: the classification is of
-- the item as exported). `changed_json` names the facts whose answers changed; `previous_label`
-- the version compared against (NULL: none classified before).
CREATE TABLE item_releases (
    id TEXT PRIMARY KEY NOT NULL,
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

-- A released operation's record is frozen (`frozen_at`): its input, assessment, decision and law
-- version may no longer change (Art. 27 of Regulation (EU) 2021/821: the records kept are those
-- the decision rested on).
CREATE TRIGGER operations_frozen BEFORE UPDATE OF reference, input_json, assessment_json, decision, law_version ON operations
WHEN OLD.frozen_at IS NOT NULL AND (
    NEW.reference IS NOT OLD.reference OR NEW.input_json IS NOT OLD.input_json
    OR NEW.assessment_json IS NOT OLD.assessment_json OR NEW.decision IS NOT OLD.decision
    OR NEW.law_version IS NOT OLD.law_version)
BEGIN
    SELECT RAISE(ABORT, 'operation record frozen on release: its input and assessment may not change (Art. 27 of Regulation (EU) 2021/821)');
END;
