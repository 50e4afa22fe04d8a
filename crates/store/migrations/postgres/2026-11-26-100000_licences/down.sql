DROP TABLE IF EXISTS attachments;
DROP TABLE IF EXISTS general_authorisation_uses;
DROP TABLE IF EXISTS licence_drawdowns;
DROP TABLE IF EXISTS licence_quotas;
DROP TABLE IF EXISTS licences;
