-- Reverts pinfs schema 2 for SQLite.
DROP TRIGGER IF EXISTS memory_pins_tenant_moved;
DROP TRIGGER IF EXISTS memory_pins_tenant_deleted;
DROP TRIGGER IF EXISTS memory_pins_tenant_inserted;
DROP TRIGGER IF EXISTS memory_pins_changed_at;
DROP TRIGGER IF EXISTS tenants_changed_at_new;
DROP TRIGGER IF EXISTS memory_pins_changed_at_new;
ALTER TABLE tenants DROP COLUMN changed_at;
ALTER TABLE memory_pins DROP COLUMN changed_at;
