-- Reverts pinfs schema 1 for SQLite (pinfs_schema is the driver's and stays).
DROP TABLE IF EXISTS tenants;
DROP TABLE IF EXISTS rbac_audit;
DROP TABLE IF EXISTS memory_audit;
DROP TABLE IF EXISTS memory_pins;
