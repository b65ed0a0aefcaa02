-- "My tasks" (internal/concern): follow-up dates of a DSL's actions, and
-- chases of referrals that have had no feedback after one working day. A
-- task belongs to a concern and is assigned to one DSL (handed on when they
-- mark themselves away). Tasks are done, never deleted.

-- +goose Up
CREATE TABLE concern_tasks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id   bigint      NOT NULL,
    concern_id  bigint      NOT NULL,
    action_id   bigint,
    kind        text        NOT NULL CHECK (kind IN ('follow_up', 'referral_chase')),
    due_on      date        NOT NULL,
    assigned_to bigint      NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    done_by     bigint REFERENCES users (id),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id),
    FOREIGN KEY (school_id, action_id) REFERENCES concern_actions (school_id, id),
    UNIQUE (action_id, kind)
);
CREATE INDEX concern_tasks_open_idx ON concern_tasks (school_id, assigned_to, due_on) WHERE done_at IS NULL;
CREATE INDEX concern_tasks_concern_idx ON concern_tasks (school_id, concern_id);

ALTER TABLE concern_tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_tasks_school ON concern_tasks TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON concern_tasks FROM PUBLIC;
GRANT SELECT, INSERT ON concern_tasks TO haven_app;
GRANT UPDATE (assigned_to, done_at, done_by) ON concern_tasks TO haven_app;

-- +goose Down
DROP TABLE concern_tasks;
