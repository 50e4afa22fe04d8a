-- Reuse of a concluded due-diligence file for the same item and end user (postgres). Keep in step with
-- the other backend's migration: same tables, same columns (a test compares them).
--
-- A new file may start from the latest concluded file of the organisation for the same item and
-- end user (Recommendation (EU) 2024/2659: a file per operation, reusable per end user and item).
-- `dd_files.reused_from` names the file it started from. Each answer carried over is kept in
-- `dd_carried_answers`: the file copied from, the file where the answer was first given (a chain
-- of reuses keeps the first), who gave it and when, who carried it over and when; when an officer
-- changes the answer in the new file, `replaced_by`/`replaced_at` say so and the answer is the
-- new file's own. Ids of other files are kept as text, not foreign keys: the history outlives
-- the files it names.
ALTER TABLE dd_files ADD COLUMN reused_from TEXT;

CREATE TABLE dd_carried_answers (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    file_id TEXT NOT NULL REFERENCES dd_files (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    value TEXT NOT NULL,
    source_file_id TEXT NOT NULL,
    origin_file_id TEXT NOT NULL,
    answered_by TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    carried_by TEXT NOT NULL,
    carried_at BIGINT NOT NULL,
    replaced_by TEXT,
    replaced_at BIGINT,
    UNIQUE (file_id, question)
);
CREATE INDEX dd_carried_answers_file ON dd_carried_answers (org_id, file_id);
