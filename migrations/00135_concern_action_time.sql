-- +goose Up
-- The time of day an action was done, when the DSL gives it (issue 15):
-- the action form asks the date and, optionally, the time. A chronology
-- orders an action by this moment (action_on + action_time, in London);
-- without it, by when the action was recorded. A wall-clock time in the
-- school's zone, like action_on, not an instant.
ALTER TABLE concern_actions ADD COLUMN action_time time;

-- +goose Down
ALTER TABLE concern_actions DROP COLUMN action_time;
