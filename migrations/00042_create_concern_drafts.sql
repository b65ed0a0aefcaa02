-- Drafts of concerns not yet submitted (internal/concern): the form as its
-- author left it, saved every 20 seconds with JavaScript or by "Save draft".
-- A draft is a concern not yet told, so it is never purged without a DSL's
-- sign-off; submitting deletes it in the same transaction that stores the
-- concern. submission_id is the form's idempotency key, carried into the
-- concern.
--
-- Row-level security: the school fence, and only the author sees or changes
-- a draft, except that DSLs may read them (unsent drafts older than a day
-- are listed for the DSL).

-- +goose Up
CREATE TABLE concern_drafts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id     bigint      NOT NULL REFERENCES schools (id),
    author_id     bigint      NOT NULL,
    submission_id uuid        NOT NULL,
    -- The form's fields as JSON (internal/concern Form).
    data          jsonb       NOT NULL CHECK (jsonb_typeof(data) = 'object' AND octet_length(data::text) <= 300000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    saved_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, submission_id)
);
CREATE INDEX concern_drafts_author_idx ON concern_drafts (school_id, author_id, saved_at DESC);

ALTER TABLE concern_drafts ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_drafts_school ON concern_drafts AS RESTRICTIVE TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));
CREATE POLICY concern_drafts_author ON concern_drafts TO haven_app
    USING (author_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
    WITH CHECK (author_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint));
CREATE POLICY concern_drafts_dsl_read ON concern_drafts FOR SELECT TO haven_app
    USING ((SELECT current_setting('app.role', true)) = 'dsl');

REVOKE ALL ON concern_drafts FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON concern_drafts TO haven_app;

-- +goose Down
DROP TABLE concern_drafts;
