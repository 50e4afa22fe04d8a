DROP TRIGGER IF EXISTS operations_frozen;
DROP TABLE IF EXISTS item_releases;
