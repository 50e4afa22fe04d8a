DROP TABLE IF EXISTS operation_holds;
DROP TABLE IF EXISTS operation_parties;
CREATE TABLE operations_old (
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
INSERT INTO operations_old SELECT id, org_id, reference, input_json, assessment_json, decision,
    law_version, CASE status WHEN 'released' THEN 'decided' ELSE status END, created_by, created_at
    FROM operations;
DROP TABLE operations;
ALTER TABLE operations_old RENAME TO operations;
CREATE INDEX operations_org ON operations (org_id, created_at);
CREATE INDEX operations_org_status ON operations (org_id, status);
