-- Roll imports (internal/pupil): a CSV exported from the school's
-- management information system, kept as uploaded so that its preview and
-- its import read the same bytes. Nothing reaches the roll until someone
-- looks at the preview — row by row, with each problem's line — and
-- presses Import; a file with any problem is refused whole. applied_at
-- marks an import done (it cannot be applied twice).

-- +goose Up
CREATE TABLE roll_imports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id   bigint      NOT NULL REFERENCES schools (id),
    uploaded_by bigint      NOT NULL REFERENCES users (id),
    file_name   text        NOT NULL CHECK (octet_length(file_name) <= 255),
    content     bytea       NOT NULL CHECK (octet_length(content) <= 5242880),
    created_at  timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz,
    -- What the import did: {"added": n, "updated": n, "merged": n, "unchanged": n}.
    result      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(result) = 'object')
);
CREATE INDEX roll_imports_school_idx ON roll_imports (school_id, created_at DESC);

ALTER TABLE roll_imports ENABLE ROW LEVEL SECURITY;
CREATE POLICY roll_imports_school ON roll_imports TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON roll_imports FROM PUBLIC;
GRANT SELECT, INSERT ON roll_imports TO haven_app;
GRANT UPDATE (applied_at, result) ON roll_imports TO haven_app;

-- +goose Down
DROP TABLE roll_imports;
