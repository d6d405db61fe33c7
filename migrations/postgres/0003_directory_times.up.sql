-- pinfs schema 3: directory and change times that every mount can read.
--   memory_pins.changed_at: the pin's ctime, moved by every change of its
--     row (value, name, TTL, source), where updated_at (its mtime) moves
--     only with the value.
--   tenants.changed_at: the tenant directory's mtime, moved whenever an
--     entry appears, goes or is renamed (a pin inserted, deleted, expired or
--     moved), not when a value is overwritten (as on any Unix directory).
-- The change feed's payload tells a new entry ('i') from an overwrite ('u'),
-- so mounts drop what they cached about the directory only when it changed.
ALTER TABLE system.memory_pins ADD COLUMN changed_at TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE system.memory_pins SET changed_at = updated_at;
ALTER TABLE system.tenants ADD COLUMN changed_at TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE system.tenants t SET changed_at = GREATEST(t.created_at,
    (SELECT max(created_at) FROM system.memory_pins p WHERE p.tenant_id = t.name));

CREATE FUNCTION system.pinfs_pin_changed_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER memory_pins_changed_at
    BEFORE UPDATE ON system.memory_pins
    FOR EACH ROW EXECUTE FUNCTION system.pinfs_pin_changed_at();

-- A tenant without a row (pins written by another tool) has no time to move:
-- its directory's time is its newest pin's creation.
CREATE FUNCTION system.pinfs_tenant_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE system.tenants SET changed_at = now() WHERE name = OLD.tenant_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.tenant_id <> OLD.tenant_id) THEN
        UPDATE system.tenants SET changed_at = now() WHERE name = NEW.tenant_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER memory_pins_tenant_changed
    AFTER INSERT OR DELETE OR UPDATE OF tenant_id, key ON system.memory_pins
    FOR EACH ROW EXECUTE FUNCTION system.pinfs_tenant_changed();

CREATE OR REPLACE FUNCTION system.pinfs_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    payload_key TEXT;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND (TG_OP = 'DELETE' OR OLD.key <> NEW.key
                                          OR OLD.tenant_id <> NEW.tenant_id) THEN
        payload_key := CASE WHEN octet_length(OLD.key) > 4000 THEN '' ELSE OLD.key END;
        PERFORM pg_notify('pinfs_changes',
            CASE WHEN TG_OP = 'DELETE' AND OLD.expires_at <= now() THEN 'e:' ELSE 'd:' END
            || octet_length(OLD.tenant_id) || ':' || OLD.tenant_id || payload_key);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        payload_key := CASE WHEN octet_length(NEW.key) > 4000 THEN '' ELSE NEW.key END;
        PERFORM pg_notify('pinfs_changes',
            CASE WHEN TG_OP = 'INSERT' OR OLD.key <> NEW.key OR OLD.tenant_id <> NEW.tenant_id
                 THEN 'i:' ELSE 'u:' END
            || octet_length(NEW.tenant_id) || ':' || NEW.tenant_id || payload_key);
    END IF;
    RETURN NULL;
END
$$;
