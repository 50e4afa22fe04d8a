-- Due-diligence files, notifications and the authorities' answers (PostgreSQL). Keep in step
-- with migrations/sqlite: same tables, same columns (a test compares them). See the SQLite file
-- for the meaning of each column.
CREATE TABLE dd_files (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    item_id TEXT REFERENCES items (id) ON DELETE SET NULL,
    party_id TEXT REFERENCES parties (id) ON DELETE SET NULL,
    item_name TEXT NOT NULL,
    end_user_name TEXT NOT NULL,
    end_user_country TEXT NOT NULL,
    catalogue_version TEXT NOT NULL,
    answers_json TEXT NOT NULL,
    evaluation_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'concluded')),
    conclusion TEXT CHECK (conclusion IN ('aware', 'not_aware')),
    justification TEXT,
    concluded_by TEXT,
    concluded_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((status = 'concluded') = (conclusion IS NOT NULL))
);
CREATE INDEX dd_files_operation ON dd_files (org_id, operation_id, created_at);
CREATE INDEX dd_files_subject ON dd_files (org_id, item_name, end_user_name);

-- Every change of an answer (the file keeps its current answers; this keeps how they came).
CREATE TABLE dd_answer_changes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    file_id TEXT NOT NULL REFERENCES dd_files (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX dd_answer_changes_file ON dd_answer_changes (org_id, file_id, changed_at);

-- The Art. 5(2) notification drafted when a file concludes "aware": the letter (in the
-- authority's language), when and under which reference it was sent, and the authority's answer
-- (`licence_required` or `not_required`, with its reference and date).
CREATE TABLE dd_notifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    file_id TEXT NOT NULL REFERENCES dd_files (id) ON DELETE CASCADE,
    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    authority TEXT NOT NULL CHECK (length(authority) > 0),
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'answered')),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_on TEXT,
    sent_reference TEXT,
    sent_by TEXT,
    sent_at BIGINT,
    answer TEXT CHECK (answer IN ('licence_required', 'not_required')),
    answer_reference TEXT,
    answer_date TEXT,
    recorded_by TEXT,
    recorded_at BIGINT
);
CREATE INDEX dd_notifications_operation ON dd_notifications (org_id, operation_id, created_at);

-- An answer "licence required" binds later operations with the same item and end user: they
-- need an authorisation under Art. 5(1) (the authority has informed the exporter).
CREATE TABLE dd_binding_answers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    notification_id TEXT NOT NULL REFERENCES dd_notifications (id) ON DELETE CASCADE,
    item_id TEXT REFERENCES items (id) ON DELETE SET NULL,
    item_name TEXT NOT NULL,
    party_id TEXT REFERENCES parties (id) ON DELETE SET NULL,
    end_user_name TEXT NOT NULL,
    end_user_country TEXT NOT NULL,
    authority TEXT NOT NULL,
    answer_reference TEXT NOT NULL,
    answer_date TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX dd_binding_answers_org ON dd_binding_answers (org_id, item_name);
