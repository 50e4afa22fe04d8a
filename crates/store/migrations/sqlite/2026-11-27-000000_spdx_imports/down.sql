DROP TABLE IF EXISTS spdx_assessments;
DROP TABLE IF EXISTS spdx_imports;
