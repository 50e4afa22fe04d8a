DROP TABLE list_entries;
DROP TABLE list_imports;
