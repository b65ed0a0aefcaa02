-- Acknowledged cumulative-concern flags (internal/concern). A child is
-- flagged when concerns about them add up (a count in a window, or CSE
-- indicators from several staff: the school's settings). The flag is worked
-- out each time from the concerns themselves; a DSL acknowledging it, with
-- a written reason, is recorded here. The acknowledgement covers what was
-- recorded up to then: the next concern raises the flag again.

-- +goose Up
CREATE TABLE child_flag_acks (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id bigint      NOT NULL,
    child_id  bigint      NOT NULL,
    kind      text        NOT NULL CHECK (kind IN ('count', 'cse_staff')),
    reason    text        NOT NULL CHECK (reason <> '' AND octet_length(reason) <= 20000),
    acked_by  bigint      NOT NULL REFERENCES users (id),
    acked_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id)
);
CREATE INDEX child_flag_acks_child_idx ON child_flag_acks (school_id, child_id, kind, acked_at);

ALTER TABLE child_flag_acks ENABLE ROW LEVEL SECURITY;
CREATE POLICY child_flag_acks_school ON child_flag_acks TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON child_flag_acks FROM PUBLIC;
GRANT SELECT, INSERT ON child_flag_acks TO haven_app;

-- +goose Down
DROP TABLE child_flag_acks;
