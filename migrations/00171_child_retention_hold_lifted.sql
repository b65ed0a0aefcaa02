-- A legal hold ("Do not destroy", do_not_destroy with dnd_reason) can be
-- placed on a child's record at any time, ahead of its review date, and
-- lifted with a reason too (issue 16). The reason for lifting is kept
-- here, never in the audit trail, which holds no text typed by a person.

-- +goose Up
ALTER TABLE child_retention
    ADD COLUMN hold_lifted_reason text NOT NULL DEFAULT '' CHECK (octet_length(hold_lifted_reason) <= 2000),
    ADD COLUMN hold_lifted_by bigint REFERENCES users (id),
    ADD COLUMN hold_lifted_at timestamptz;

-- +goose Down
ALTER TABLE child_retention DROP COLUMN hold_lifted_at, DROP COLUMN hold_lifted_by, DROP COLUMN hold_lifted_reason;
