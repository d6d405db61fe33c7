-- Reverts pinfs schema 4: versions go, the feed payload is schema 3's again.
DROP TRIGGER IF EXISTS memory_pins_version ON system.memory_pins;
DROP FUNCTION IF EXISTS system.pinfs_pin_version();
ALTER TABLE system.memory_audit DROP COLUMN IF EXISTS version;
ALTER TABLE system.memory_pins DROP COLUMN IF EXISTS version;

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
