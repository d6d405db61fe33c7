DROP TRIGGER IF EXISTS memory_pins_notify_change ON system.memory_pins;
DROP FUNCTION IF EXISTS system.pinfs_notify_change();
