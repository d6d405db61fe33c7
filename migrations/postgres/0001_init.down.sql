DROP TABLE IF EXISTS system.tenants;
DROP TABLE IF EXISTS system.rbac_audit;
DROP TABLE IF EXISTS system.memory_audit;
DROP TABLE IF EXISTS system.memory_pins;
