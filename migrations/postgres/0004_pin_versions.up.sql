-- pinfs schema 4: pin versions, for conditional commits and events.
--   memory_pins.version: grows with every committed change of the row, by
--     every writer (a trigger sets it): a value written, a rename onto the
--     key, a TTL or source change. The new version is the largest of the
--     previous one + 1, any larger version the writer gave, and the time of
--     the change in microseconds since the epoch. So a version is never
--     reused by a key, not even after the pin is deleted and written again
--     (a conditional commit against an old version always fails), and no
--     counter is shared between pins, so a version says nothing about other
--     tenants. Rows that exist now get version 1.
--   memory_audit.version: the version an audited operation wrote or read
--     (a refused conditional commit: the version the writer expected).
-- The change feed's payload now carries the version:
--   "OP:VERSION:TENANT_LEN:TENANTKEY", OP in upper case (U, I, D, E);
--   schema 3's lower-case payload had no version.
ALTER TABLE system.memory_pins ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE system.memory_audit ADD COLUMN version BIGINT;

CREATE FUNCTION system.pinfs_pin_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    now_us BIGINT := (extract(epoch from clock_timestamp()) * 1000000)::int8;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := GREATEST(NEW.version, now_us);
    ELSE
        NEW.version := GREATEST(NEW.version, OLD.version + 1, now_us);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER memory_pins_version
    BEFORE INSERT OR UPDATE ON system.memory_pins
    FOR EACH ROW EXECUTE FUNCTION system.pinfs_pin_version();

CREATE OR REPLACE FUNCTION system.pinfs_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    payload_key TEXT;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND (TG_OP = 'DELETE' OR OLD.key <> NEW.key
                                          OR OLD.tenant_id <> NEW.tenant_id) THEN
        payload_key := CASE WHEN octet_length(OLD.key) > 4000 THEN '' ELSE OLD.key END;
        PERFORM pg_notify('pinfs_changes',
            CASE WHEN TG_OP = 'DELETE' AND OLD.expires_at <= now() THEN 'E:' ELSE 'D:' END
            || OLD.version || ':'
            || octet_length(OLD.tenant_id) || ':' || OLD.tenant_id || payload_key);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        payload_key := CASE WHEN octet_length(NEW.key) > 4000 THEN '' ELSE NEW.key END;
        PERFORM pg_notify('pinfs_changes',
            CASE WHEN TG_OP = 'INSERT' OR OLD.key <> NEW.key OR OLD.tenant_id <> NEW.tenant_id
                 THEN 'I:' ELSE 'U:' END
            || NEW.version || ':'
            || octet_length(NEW.tenant_id) || ':' || NEW.tenant_id || payload_key);
    END IF;
    RETURN NULL;
END
$$;
