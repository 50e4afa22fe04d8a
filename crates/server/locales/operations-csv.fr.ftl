# operations-csv (fr).
