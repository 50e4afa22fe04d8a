DROP TABLE IF EXISTS licence_amendments;
