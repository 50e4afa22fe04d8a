DROP TABLE IF EXISTS operation_holds;
DROP TABLE IF EXISTS operation_parties;
UPDATE operations SET status = 'decided' WHERE status = 'released';
ALTER TABLE operations DROP COLUMN completed_at;
ALTER TABLE operations DROP COLUMN frozen_at;
ALTER TABLE operations DROP COLUMN retain_until;
ALTER TABLE operations DROP CONSTRAINT operations_status_check;
ALTER TABLE operations ADD CONSTRAINT operations_status_check
    CHECK (status IN ('decided', 'blocked'));
