-- pinfs schema 3 for SQLite: the pin versions of migrations/postgres/0004.
-- A version grows with every committed change of a row: the larger of the
-- previous one + 1 and the time of the change in microseconds since the
-- epoch, so a key never gets back a version it had. pinfs's driver sets
-- it in each statement that changes a row; the triggers below give one to
-- rows other writers (the sqlite3 shell, a script) insert without one or
-- update without raising it (their times have SQLite's milliseconds).
-- Rows that exist now get version 1.
ALTER TABLE memory_pins ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE memory_audit ADD COLUMN version INTEGER;

CREATE TRIGGER memory_pins_version_new AFTER INSERT ON memory_pins
    WHEN NEW.version = 1
BEGIN
    UPDATE memory_pins
    SET version = max(2, CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))
    WHERE id = NEW.id;
END;

CREATE TRIGGER memory_pins_version AFTER UPDATE ON memory_pins
    WHEN NEW.version <= OLD.version
BEGIN
    UPDATE memory_pins
    SET version = max(OLD.version + 1,
                      CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))
    WHERE id = NEW.id;
END;
