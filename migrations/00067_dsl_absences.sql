-- A DSL marking themselves away (internal/concern): their open concerns and
-- tasks are handed to a named colleague when they go; the row says who is
-- away and to whom their work went, until they are back.

-- +goose Up
CREATE TABLE dsl_absences (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id  bigint      NOT NULL REFERENCES schools (id),
    user_id    bigint      NOT NULL REFERENCES users (id),
    handed_to  bigint      NOT NULL REFERENCES users (id),
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    CHECK (handed_to <> user_id)
);
CREATE UNIQUE INDEX dsl_absences_current_idx ON dsl_absences (school_id, user_id) WHERE ended_at IS NULL;

ALTER TABLE dsl_absences ENABLE ROW LEVEL SECURITY;
CREATE POLICY dsl_absences_school ON dsl_absences TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON dsl_absences FROM PUBLIC;
GRANT SELECT, INSERT ON dsl_absences TO haven_app;
GRANT UPDATE (ended_at) ON dsl_absences TO haven_app;

-- +goose Down
DROP TABLE dsl_absences;
