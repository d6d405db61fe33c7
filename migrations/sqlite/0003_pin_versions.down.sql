-- Reverts pinfs schema 3 for SQLite.
DROP TRIGGER IF EXISTS memory_pins_version;
DROP TRIGGER IF EXISTS memory_pins_version_new;
ALTER TABLE memory_audit DROP COLUMN version;
ALTER TABLE memory_pins DROP COLUMN version;
