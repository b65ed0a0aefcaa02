-- Escalations of unacknowledged concerns (internal/concern): one row per
-- round, written in the same transaction as the round's emails are
-- enqueued, so a round runs once however often its job runs (a retry, a
-- restart, two replicas). Round n falls due n time limits after the
-- concern was submitted (the school's urgent limit when a child is in
-- immediate danger, its ordinary limit otherwise).

-- +goose Up
CREATE TABLE concern_escalations (
    school_id    bigint      NOT NULL,
    concern_id   bigint      NOT NULL,
    round        integer     NOT NULL CHECK (round >= 1),
    escalated_at timestamptz NOT NULL DEFAULT now(),
    recipients   integer     NOT NULL CHECK (recipients >= 0),
    PRIMARY KEY (school_id, concern_id, round),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id)
);

ALTER TABLE concern_escalations ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_escalations_school ON concern_escalations TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON concern_escalations FROM PUBLIC;
GRANT SELECT, INSERT ON concern_escalations TO haven_app;

-- +goose Down
DROP TABLE concern_escalations;
