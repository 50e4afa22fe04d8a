DROP TABLE IF EXISTS icp_records;
