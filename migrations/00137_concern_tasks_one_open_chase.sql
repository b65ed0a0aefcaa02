-- +goose Up
-- A referral chased again gets a new chase task (issue 15): an action may
-- now have several tasks of a kind over time, but only one open at once.
ALTER TABLE concern_tasks DROP CONSTRAINT concern_tasks_action_id_kind_key;
CREATE UNIQUE INDEX concern_tasks_one_open_idx ON concern_tasks (action_id, kind) WHERE done_at IS NULL;

-- +goose Down
DROP INDEX concern_tasks_one_open_idx;
ALTER TABLE concern_tasks ADD CONSTRAINT concern_tasks_action_id_kind_key UNIQUE (action_id, kind);
