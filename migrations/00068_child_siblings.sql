-- Siblings (internal/pupil): two children of the same school linked as
-- family by a DSL. The link points at the other child's record — never a
-- copied name or label — so a child's page always shows the sibling as
-- they are on the roll now. Stored once, lower id first.

-- +goose Up
CREATE TABLE child_siblings (
    school_id bigint      NOT NULL,
    child_a   bigint      NOT NULL,
    child_b   bigint      NOT NULL,
    linked_by bigint      NOT NULL REFERENCES users (id),
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, child_a, child_b),
    CHECK (child_a < child_b),
    FOREIGN KEY (school_id, child_a) REFERENCES children (school_id, id),
    FOREIGN KEY (school_id, child_b) REFERENCES children (school_id, id)
);
CREATE INDEX child_siblings_b_idx ON child_siblings (school_id, child_b);

ALTER TABLE child_siblings ENABLE ROW LEVEL SECURITY;
CREATE POLICY child_siblings_school ON child_siblings TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON child_siblings FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON child_siblings TO haven_app;

-- +goose Down
DROP TABLE child_siblings;
