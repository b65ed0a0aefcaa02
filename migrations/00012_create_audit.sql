-- The audit trail (docs/audit.md): an append-only, hash-chained log of every
-- change and every view. One chain per school, keyed by chain_id = the
-- school's id, plus the deployment-level chain (chain_id 0) for events that
-- belong to no school. audit_heads holds each chain's last seq and hash; the
-- insert trigger locks that one row, so appends to one chain queue up while
-- appends to different chains never wait for each other.
--
-- The app role may INSERT the content columns and SELECT; the trigger (a
-- SECURITY DEFINER function owned by the owner) sets chain_id, seq,
-- occurred_at, prev_hash and row_hash itself, so the app can neither choose
-- a sequence number nor forge a hash, and it has no right at all on
-- audit_heads or audit_checkpoints. Other triggers refuse UPDATE, DELETE and
-- TRUNCATE on the audit tables, whoever asks; only a superuser (or the owner,
-- by disabling triggers) can alter rows, and `haven audit verify` names the
-- first row so altered.

-- +goose Up
CREATE TABLE audit_heads (
    chain_id  bigint PRIMARY KEY CHECK (chain_id >= 0),
    last_seq  bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    last_hash bytea  NOT NULL DEFAULT decode(repeat('00', 32), 'hex') CHECK (octet_length(last_hash) = 32)
);

CREATE TABLE audit_events (
    chain_id      bigint      NOT NULL,
    seq           bigint      NOT NULL CHECK (seq >= 1),
    school_id     bigint      REFERENCES schools (id),
    occurred_at   timestamptz NOT NULL,
    actor_user_id bigint      CHECK (actor_user_id > 0), -- NULL: no signed-in user; no foreign key, users outlive nothing here
    actor_role    text        NOT NULL DEFAULT '' CHECK (octet_length(actor_role) <= 32),
    action        text        NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' AND octet_length(action) <= 64),
    subject_type  text        NOT NULL DEFAULT '' CHECK (subject_type ~ '^([a-z][a-z0-9_]*)?$' AND octet_length(subject_type) <= 32),
    subject_id    text        NOT NULL DEFAULT '' CHECK (octet_length(subject_id) <= 200),
    request_id    text        NOT NULL DEFAULT '' CHECK (octet_length(request_id) <= 200),
    client_addr   text        NOT NULL DEFAULT '' CHECK (octet_length(client_addr) <= 64),
    user_agent    text        NOT NULL DEFAULT '' CHECK (octet_length(user_agent) <= 512),
    -- details is text, not jsonb: the hash covers these exact bytes.
    details       text        NOT NULL DEFAULT '{}' CHECK (octet_length(details) <= 4096 AND jsonb_typeof(details::jsonb) = 'object'),
    prev_hash     bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    row_hash      bytea       NOT NULL CHECK (octet_length(row_hash) = 32),
    PRIMARY KEY (chain_id, seq),
    CHECK (chain_id = coalesce(school_id, 0))
);
-- For the audit log page's "person" filter and the "Who has seen this" list.
CREATE INDEX audit_events_actor_idx ON audit_events (chain_id, actor_user_id, seq);
CREATE INDEX audit_events_subject_idx ON audit_events (chain_id, subject_type, subject_id, seq);

-- Signed chain heads, written by `haven audit checkpoint` as the owner. The
-- private key never reaches the database: only the public key is stored.
CREATE TABLE audit_checkpoints (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain_id   bigint      NOT NULL CHECK (chain_id >= 0),
    seq        bigint      NOT NULL CHECK (seq >= 1),
    row_hash   bytea       NOT NULL CHECK (octet_length(row_hash) = 32),
    signed_at  timestamptz NOT NULL,
    public_key bytea       NOT NULL CHECK (octet_length(public_key) = 32),
    signature  bytea       NOT NULL CHECK (octet_length(signature) = 64)
);
CREATE INDEX audit_checkpoints_chain_idx ON audit_checkpoints (chain_id, seq);

-- audit_field is one length-prefixed field of the canonical encoding: the
-- text's UTF-8 byte length as a 4-byte big-endian integer, then the bytes.
-- +goose StatementBegin
CREATE FUNCTION audit_field(t text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT int4send(octet_length(convert_to(t, 'UTF8'))) || convert_to(t, 'UTF8') $$;
-- +goose StatementEnd

-- audit_row_hash is SHA-256(prev_hash ‖ canonical fields), exactly as
-- docs/audit.md describes and internal/audit recomputes in Go.
-- +goose StatementBegin
CREATE FUNCTION audit_row_hash(e audit_events) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT sha256(e.prev_hash
    || audit_field('haven-audit/v1')
    || audit_field(e.chain_id::text)
    || audit_field(e.seq::text)
    || audit_field(to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    || audit_field(coalesce(e.actor_user_id::text, ''))
    || audit_field(e.actor_role)
    || audit_field(e.action)
    || audit_field(e.subject_type)
    || audit_field(e.subject_id)
    || audit_field(e.request_id)
    || audit_field(e.client_addr)
    || audit_field(e.user_agent)
    || audit_field(e.details)) $$;
-- +goose StatementEnd

-- audit_append chains each new row: it locks the chain's head row (creating
-- it on the chain's first event), takes the next seq and the previous hash,
-- stamps the time and computes the row's hash, then moves the head. The lock
-- is held until the caller's transaction ends, which is why Record is the
-- transaction's last statement; a rollback undoes the head move too, so seq
-- has no gaps.
-- +goose StatementBegin
CREATE FUNCTION audit_append() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
AS $$
DECLARE
    h audit_heads%ROWTYPE;
BEGIN
    NEW.chain_id := coalesce(NEW.school_id, 0);
    INSERT INTO audit_heads (chain_id) VALUES (NEW.chain_id) ON CONFLICT (chain_id) DO NOTHING;
    SELECT * INTO STRICT h FROM audit_heads WHERE chain_id = NEW.chain_id FOR UPDATE;
    NEW.seq := h.last_seq + 1;
    NEW.occurred_at := clock_timestamp();
    NEW.prev_hash := h.last_hash;
    NEW.row_hash := audit_row_hash(NEW);
    UPDATE audit_heads SET last_seq = NEW.seq, last_hash = NEW.row_hash WHERE chain_id = NEW.chain_id;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_append BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_append();

-- A SECURITY DEFINER function must not find objects through a search_path
-- its caller controls: pin it to this schema (whatever goose migrates into).
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION audit_append() SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION audit_row_hash(audit_events) SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_refuse() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- A head only ever moves forward by one row.
-- +goose StatementBegin
CREATE FUNCTION audit_head_forward() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.chain_id <> OLD.chain_id OR NEW.last_seq <> OLD.last_seq + 1 THEN
        RAISE EXCEPTION 'audit_heads only moves forward by one row' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_heads_forward BEFORE UPDATE ON audit_heads
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward();

REVOKE ALL ON audit_heads, audit_events, audit_checkpoints FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_field(text), audit_row_hash(audit_events), audit_append(),
    audit_refuse(), audit_head_forward() FROM PUBLIC;
-- The app writes events (the trigger fills in the chain columns) and reads
-- them for the audit log page; nothing on the heads or the checkpoints.
GRANT SELECT ON audit_events TO haven_app;
GRANT INSERT (school_id, actor_user_id, actor_role, action, subject_type, subject_id,
    request_id, client_addr, user_agent, details) ON audit_events TO haven_app;

-- +goose Down
DROP TABLE audit_checkpoints;
DROP FUNCTION audit_row_hash(audit_events);
DROP TABLE audit_events;
DROP TABLE audit_heads;
DROP FUNCTION audit_append(), audit_head_forward(), audit_refuse(), audit_field(text);
