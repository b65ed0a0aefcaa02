-- Exports of a school's case records (internal/records): who asked, why,
-- what (format and filters), who approved, how far the background job has
-- got, and the file itself, stored in Postgres in chunks so that replicas
-- and backups need nothing else and no export ever touches a local disk.
--
-- An admin's export waits for a DSL or the head to approve it (unless the
-- school dropped the approval); a DSL's or the head's runs at once. Only
-- the person who asked may download it; the file is deleted 7 days after it
-- is ready (the row stays, as the record of the export). public_id is the
-- random key in URLs.
--
-- kind: 'concerns' is the school's concerns with their decisions and
-- actions (CSV, XLSX or JSON); 'child_file' a child's file as a
-- password-protected PDF; 'transfer_package' a child's file as an
-- encrypted package for another Haven.

-- +goose Up
CREATE TABLE exports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id       uuid        NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    school_id       bigint      NOT NULL REFERENCES schools (id),
    kind            text        NOT NULL DEFAULT 'concerns' CHECK (kind IN ('concerns', 'child_file', 'transfer_package')),
    format          text        NOT NULL CHECK (format IN ('csv', 'xlsx', 'json', 'pdf', 'package')),
    child_id        bigint, -- for a child's file
    -- {"from": "2026-09-01", "to": "2026-12-31", "status": "closed", "category": "cse"}
    filters         jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(filters) = 'object'),
    reason          text        NOT NULL CHECK (reason <> '' AND octet_length(reason) <= 2000),
    requested_by    bigint      REFERENCES users (id), -- NULL: an operator's `haven export`
    requested_role  text        NOT NULL CHECK (requested_role IN ('dsl', 'head', 'admin', 'system')),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    status          text        NOT NULL CHECK (status IN ('awaiting_approval', 'rejected', 'queued', 'running',
                        'ready', 'failed', 'expired')),
    decided_by      bigint      REFERENCES users (id),
    decided_at      timestamptz,
    decision_note   text        NOT NULL DEFAULT '' CHECK (octet_length(decision_note) <= 2000),
    rows_total      integer     NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    rows_done       integer     NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    size_bytes      bigint      NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    sha256          bytea       CHECK (octet_length(sha256) = 32),
    started_at      timestamptz,
    ready_at        timestamptz,
    expires_at      timestamptz,
    downloads       integer     NOT NULL DEFAULT 0 CHECK (downloads >= 0),
    last_download_at timestamptz,
    failure         text        NOT NULL DEFAULT '' CHECK (octet_length(failure) <= 500),
    UNIQUE (school_id, id),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id)
);
CREATE INDEX exports_school_idx ON exports (school_id, requested_at DESC);
CREATE INDEX exports_expiry_idx ON exports (expires_at) WHERE status = 'ready';

-- The file, in order: chunks of at most a few MiB, written as the job
-- goes, so memory stays flat however large the school.
CREATE TABLE export_chunks (
    school_id bigint  NOT NULL,
    export_id bigint  NOT NULL,
    seq       integer NOT NULL CHECK (seq >= 0),
    data      bytea   NOT NULL,
    PRIMARY KEY (export_id, seq),
    FOREIGN KEY (school_id, export_id) REFERENCES exports (school_id, id)
);
-- XLSX is a ZIP and the PDF and package are encrypted: don't compress again.
ALTER TABLE export_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['exports', 'export_chunks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I TO haven_app
            USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
            WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))$p$,
            t || '_school', t);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    END LOOP;
END $$;
-- +goose StatementEnd

-- The row is the lasting record of an export: never deleted. Its chunks
-- are deleted when the export expires (or is written again after a failed
-- attempt).
GRANT SELECT, INSERT, UPDATE ON exports TO haven_app;
GRANT SELECT, INSERT, DELETE ON export_chunks TO haven_app;

-- +goose Down
DROP TABLE export_chunks;
DROP TABLE exports;
