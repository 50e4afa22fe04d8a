DROP TABLE IF EXISTS dd_binding_answers;
DROP TABLE IF EXISTS dd_notifications;
DROP TABLE IF EXISTS dd_answer_changes;
DROP TABLE IF EXISTS dd_files;
