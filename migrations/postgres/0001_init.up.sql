-- pinfs schema 1: the seed's memory-pin tables plus what pinfs needs.
-- Every column except tenant_id, key and value has a default, so rows
-- written by other tools (psql, a seeding service) are served as files.
-- Names use the "C" collation: keys list in byte order, by the unique index.
CREATE SCHEMA IF NOT EXISTS system;

CREATE TABLE system.memory_pins (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   TEXT        COLLATE "C" NOT NULL,
    key         TEXT        COLLATE "C" NOT NULL,
    value       JSONB       NOT NULL,
    source      TEXT        NOT NULL DEFAULT 'fs',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ttl_seconds INTEGER     CHECK (ttl_seconds IS NULL OR ttl_seconds BETWEEN 0 AND 31536000),
    expires_at  TIMESTAMPTZ,
    CONSTRAINT memory_pins_tenant_key_uq UNIQUE (tenant_id, key)
);
CREATE INDEX memory_pins_expires_at_idx ON system.memory_pins (expires_at)
    WHERE expires_at IS NOT NULL;
CREATE INDEX memory_pins_updated_at_idx ON system.memory_pins (tenant_id, updated_at);

CREATE TABLE system.memory_audit (
    id            BIGSERIAL PRIMARY KEY,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    operation     TEXT        NOT NULL,
    tenant_id     TEXT,
    key           TEXT,
    uid           BIGINT,
    subject       TEXT,
    success       BOOLEAN     NOT NULL DEFAULT true,
    error_code    TEXT,
    latency_ms    DOUBLE PRECISION,
    value_sha256  TEXT,
    source        TEXT        NOT NULL DEFAULT 'fs'
);
CREATE INDEX memory_audit_tenant_created_idx ON system.memory_audit (tenant_id, created_at);
CREATE INDEX memory_audit_operation_idx ON system.memory_audit (operation, created_at);

CREATE TABLE system.rbac_audit (
    id              BIGSERIAL PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    subject         TEXT,
    uid             BIGINT,
    resource        TEXT        NOT NULL,
    action          TEXT        NOT NULL,
    decision        TEXT        NOT NULL,
    reason          TEXT,
    tenant_id       TEXT,
    key             TEXT,
    policy_version  TEXT
);
CREATE INDEX rbac_audit_created_idx ON system.rbac_audit (created_at);

-- A tenant exists while it has a row here or any pin.
CREATE TABLE system.tenants (
    name        TEXT COLLATE "C" PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
