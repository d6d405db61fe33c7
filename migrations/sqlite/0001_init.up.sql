-- pinfs schema 1 for SQLite: the same tables and columns as
-- migrations/postgres/0001_init.up.sql, without the "system." prefix.
-- Type mapping: BIGSERIAL -> INTEGER PRIMARY KEY AUTOINCREMENT (ids are
-- never reused), JSONB -> TEXT checked with json_valid(), TIMESTAMPTZ ->
-- TEXT in RFC 3339 UTC ("2026-11-22T10:00:00.123456Z"; the column defaults
-- can only produce milliseconds), BOOLEAN -> INTEGER 0/1, DOUBLE PRECISION
-- -> REAL. Every column except tenant_id, key and value has a default, so
-- rows written by other tools (the sqlite3 shell, a seeding script) are
-- served as files.
-- The schema version table (pinfs_schema) belongs to the driver, which
-- creates it before applying the first migration: it is not dropped by
-- any down migration.
-- No transaction control here: the driver runs each migration inside its
-- own transaction together with its pinfs_schema row.

CREATE TABLE memory_pins (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL CHECK (json_valid(value)),
    source      TEXT    NOT NULL DEFAULT 'fs',
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ttl_seconds INTEGER CHECK (ttl_seconds IS NULL OR ttl_seconds BETWEEN 0 AND 31536000),
    expires_at  TEXT,
    CONSTRAINT memory_pins_tenant_key_uq UNIQUE (tenant_id, key)
);
CREATE INDEX memory_pins_expires_at_idx ON memory_pins (expires_at)
    WHERE expires_at IS NOT NULL;
CREATE INDEX memory_pins_updated_at_idx ON memory_pins (tenant_id, updated_at);

CREATE TABLE memory_audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    operation     TEXT    NOT NULL,
    tenant_id     TEXT,
    key           TEXT,
    uid           INTEGER,
    subject       TEXT,
    success       INTEGER NOT NULL DEFAULT 1 CHECK (success IN (0, 1)),
    error_code    TEXT,
    latency_ms    REAL,
    value_sha256  TEXT,
    source        TEXT    NOT NULL DEFAULT 'fs'
);
CREATE INDEX memory_audit_tenant_created_idx ON memory_audit (tenant_id, created_at);
CREATE INDEX memory_audit_operation_idx ON memory_audit (operation, created_at);

CREATE TABLE rbac_audit (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    subject         TEXT,
    uid             INTEGER,
    resource        TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    decision        TEXT    NOT NULL,
    reason          TEXT,
    tenant_id       TEXT,
    key             TEXT,
    policy_version  TEXT
);
CREATE INDEX rbac_audit_created_idx ON rbac_audit (created_at);

-- A tenant exists while it has a row here or any live pin.
CREATE TABLE tenants (
    name        TEXT    NOT NULL PRIMARY KEY,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
