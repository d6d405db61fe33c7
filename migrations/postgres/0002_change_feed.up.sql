-- pinfs schema 2: every change to a pin is announced on channel
-- "pinfs_changes", so every mount of this database drops what it cached and
-- /.system/events can show it. The payload is "OP:TENANT_LEN:TENANTKEY"
-- (OP: u upsert, d delete, e expiry), never the value, and always under NOTIFY's
-- 8000-byte limit: a key too long to fit is sent empty, which readers take
-- as "anything in this tenant may have changed".
CREATE FUNCTION system.pinfs_notify_change() RETURNS trigger
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

CREATE TRIGGER memory_pins_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON system.memory_pins
    FOR EACH ROW EXECUTE FUNCTION system.pinfs_notify_change();
