DROP TABLE IF EXISTS hit_clearances;
DROP TABLE IF EXISTS party_hits;
DROP TABLE IF EXISTS party_screenings;
