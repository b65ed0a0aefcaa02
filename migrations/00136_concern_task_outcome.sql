-- +goose Up
-- How a task ended (issue 15): a task ends only when someone marks it done
-- or the thing it waits for arrives, and the chronology says which.
--   done        marked done (a follow-up)
--   feedback    the referral's feedback was recorded (a chase)
--   chased      the DSL chased the agency again (a new chase follows)
--   not_needed  the DSL said the chase is no longer needed, with a note
--   closed      ended by closing the concern, before this migration
--               (closing no longer ends tasks; see 00138)
--   entered_in_error  the concern was marked entered in error
-- A task done before this migration has no outcome (NULL).
ALTER TABLE concern_tasks
    ADD COLUMN outcome text CHECK (outcome IN ('done', 'feedback', 'chased', 'not_needed', 'closed', 'entered_in_error')),
    ADD COLUMN note text NOT NULL DEFAULT '';
GRANT UPDATE (outcome, note) ON concern_tasks TO haven_app;

-- +goose Down
REVOKE UPDATE (outcome, note) ON concern_tasks FROM haven_app;
ALTER TABLE concern_tasks DROP COLUMN outcome, DROP COLUMN note;
