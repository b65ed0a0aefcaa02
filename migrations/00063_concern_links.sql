-- Related concerns (internal/concern): a DSL links two concerns of the same
-- school (the same incident seen by two members of staff, a pattern). A
-- link has no direction: it is stored once, lower id first.

-- +goose Up
CREATE TABLE concern_links (
    school_id  bigint      NOT NULL,
    concern_a  bigint      NOT NULL,
    concern_b  bigint      NOT NULL,
    linked_by  bigint      NOT NULL REFERENCES users (id),
    linked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, concern_a, concern_b),
    CHECK (concern_a < concern_b),
    FOREIGN KEY (school_id, concern_a) REFERENCES concerns (school_id, id),
    FOREIGN KEY (school_id, concern_b) REFERENCES concerns (school_id, id)
);
CREATE INDEX concern_links_b_idx ON concern_links (school_id, concern_b);

ALTER TABLE concern_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_links_school ON concern_links TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON concern_links FROM PUBLIC;
GRANT SELECT, INSERT ON concern_links TO haven_app;

-- +goose Down
DROP TABLE concern_links;
