-- Children's files received from another Haven (internal/records): the
-- package's JSON as it came and its attachments, matched to the child on
-- this school's roll by UPN when there is one. A received file is kept
-- beside the child's own record, never mixed into it: it is what the
-- previous school recorded.

-- +goose Up
CREATE TABLE received_files (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id   bigint      NOT NULL REFERENCES schools (id),
    child_id    bigint,
    from_school text        NOT NULL CHECK (octet_length(from_school) <= 300),
    child_name  text        NOT NULL CHECK (child_name <> '' AND octet_length(child_name) <= 500),
    package     jsonb       NOT NULL CHECK (jsonb_typeof(package) = 'object'),
    imported_by bigint      NOT NULL REFERENCES users (id),
    imported_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, id),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id)
);
CREATE INDEX received_files_child_idx ON received_files (school_id, child_id);

CREATE TABLE received_file_attachments (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id        bigint NOT NULL,
    received_file_id bigint NOT NULL,
    concern_ref      text   NOT NULL CHECK (octet_length(concern_ref) <= 64),
    name             text   NOT NULL CHECK (name <> '' AND octet_length(name) <= 300),
    content          bytea  NOT NULL,
    FOREIGN KEY (school_id, received_file_id) REFERENCES received_files (school_id, id)
);
ALTER TABLE received_file_attachments ALTER COLUMN content SET STORAGE EXTERNAL;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['received_files', 'received_file_attachments']
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

GRANT SELECT, INSERT ON received_files, received_file_attachments TO haven_app;

-- +goose Down
DROP TABLE received_file_attachments;
DROP TABLE received_files;
