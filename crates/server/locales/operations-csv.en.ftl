# operations-csv (en).
