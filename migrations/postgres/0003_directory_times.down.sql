-- Reverts pinfs schema 3: the times go, the feed payload is schema 2's again.
DROP TRIGGER IF EXISTS memory_pins_tenant_changed ON system.memory_pins;
DROP FUNCTION IF EXISTS system.pinfs_tenant_changed();
DROP TRIGGER IF EXISTS memory_pins_changed_at ON system.memory_pins;
DROP FUNCTION IF EXISTS system.pinfs_pin_changed_at();
ALTER TABLE system.tenants DROP COLUMN IF EXISTS changed_at;
ALTER TABLE system.memory_pins DROP COLUMN IF EXISTS changed_at;

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
            'u:' || octet_length(NEW.tenant_id) || ':' || NEW.tenant_id || payload_key);
    END IF;
    RETURN NULL;
END
$$;
