DROP TABLE IF EXISTS transmissions;
