-- Addenda (internal/concern): further information added to a submitted
-- concern by its author (or a DSL). A concern is never edited; what comes
-- later is appended here, with who and when.

-- +goose Up
CREATE TABLE concern_addenda (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id  bigint      NOT NULL,
    concern_id bigint      NOT NULL,
    author_id  bigint      NOT NULL,
    body       text        NOT NULL CHECK (body <> '' AND octet_length(body) <= 40000),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id)
);
CREATE INDEX concern_addenda_concern_idx ON concern_addenda (school_id, concern_id, created_at);

ALTER TABLE concern_addenda ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_addenda_school ON concern_addenda TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON concern_addenda FROM PUBLIC;
GRANT SELECT, INSERT ON concern_addenda TO haven_app;

-- +goose Down
DROP TABLE concern_addenda;
