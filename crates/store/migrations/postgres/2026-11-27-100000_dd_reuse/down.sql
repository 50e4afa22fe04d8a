DROP TABLE IF EXISTS dd_carried_answers;
ALTER TABLE dd_files DROP COLUMN reused_from;
