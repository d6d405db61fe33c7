-- pinfs schema 2 for SQLite: the times of migrations/postgres/0003 (a pin's
-- ctime, a tenant directory's mtime), kept by triggers the same way.
-- SQLite has no feed: this daemon is the only writer it caches for.
-- SQLite cannot add a column whose default is not a constant: an empty
-- changed_at is filled by the insert triggers below. Times made by the
-- triggers have milliseconds (what strftime('%f') gives).
ALTER TABLE memory_pins ADD COLUMN changed_at TEXT NOT NULL DEFAULT '';
UPDATE memory_pins SET changed_at = updated_at;
ALTER TABLE tenants ADD COLUMN changed_at TEXT NOT NULL DEFAULT '';
UPDATE tenants SET changed_at = max(created_at,
    coalesce((SELECT max(created_at) FROM memory_pins p WHERE p.tenant_id = tenants.name), ''));

CREATE TRIGGER memory_pins_changed_at_new AFTER INSERT ON memory_pins
    WHEN NEW.changed_at = ''
BEGIN
    UPDATE memory_pins SET changed_at = NEW.created_at WHERE id = NEW.id;
END;

CREATE TRIGGER tenants_changed_at_new AFTER INSERT ON tenants
    WHEN NEW.changed_at = ''
BEGIN
    UPDATE tenants SET changed_at = NEW.created_at WHERE name = NEW.name;
END;

CREATE TRIGGER memory_pins_changed_at AFTER UPDATE ON memory_pins
    WHEN NEW.changed_at = OLD.changed_at
BEGIN
    UPDATE memory_pins SET changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;

CREATE TRIGGER memory_pins_tenant_inserted AFTER INSERT ON memory_pins
BEGIN
    UPDATE tenants SET changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE name = NEW.tenant_id;
END;

CREATE TRIGGER memory_pins_tenant_deleted AFTER DELETE ON memory_pins
BEGIN
    UPDATE tenants SET changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE name = OLD.tenant_id;
END;

CREATE TRIGGER memory_pins_tenant_moved AFTER UPDATE OF tenant_id, key ON memory_pins
    WHEN NEW.tenant_id <> OLD.tenant_id OR NEW.key <> OLD.key
BEGIN
    UPDATE tenants SET changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE name IN (OLD.tenant_id, NEW.tenant_id);
END;
