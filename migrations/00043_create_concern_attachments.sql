-- Files attached to a concern (internal/concern): PDF, DOCX, PNG, JPEG or
-- HEIC, at most 20 MiB each, their type decided by their content. The bytes
-- live in Postgres, so replicas and backups need nothing else. A file is
-- uploaded while the form is being filled in, keyed by the form's
-- submission_id, and linked to its concern in the submitting transaction.
-- public_id is the random key in download URLs; the person's file name is
-- only a display name.

-- +goose Up
CREATE TABLE concern_attachments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id     uuid        NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    school_id     bigint      NOT NULL REFERENCES schools (id),
    submission_id uuid        NOT NULL,
    concern_id    bigint, -- NULL until the concern is submitted
    uploaded_by   bigint      NOT NULL,
    display_name  text        NOT NULL CHECK (display_name <> '' AND octet_length(display_name) <= 255),
    content_type  text        NOT NULL CHECK (content_type IN ('application/pdf',
                      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                      'image/png', 'image/jpeg', 'image/heic')),
    size_bytes    integer     NOT NULL CHECK (size_bytes BETWEEN 1 AND 20971520),
    sha256        bytea       NOT NULL CHECK (octet_length(sha256) = 32),
    content       bytea       NOT NULL CHECK (octet_length(content) = size_bytes),
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id)
);
-- PDFs, images and DOCX (a ZIP) are already compressed: store them as they are.
ALTER TABLE concern_attachments ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX concern_attachments_submission_idx ON concern_attachments (school_id, submission_id);
CREATE INDEX concern_attachments_concern_idx ON concern_attachments (school_id, concern_id);

ALTER TABLE concern_attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_attachments_school ON concern_attachments TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));
-- A file may be removed by its uploader before the concern is submitted, never after.
CREATE POLICY concern_attachments_delete ON concern_attachments AS RESTRICTIVE FOR DELETE TO haven_app
    USING (concern_id IS NULL AND uploaded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint));

REVOKE ALL ON concern_attachments FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON concern_attachments TO haven_app;
GRANT UPDATE (concern_id) ON concern_attachments TO haven_app;

-- +goose Down
DROP TABLE concern_attachments;
