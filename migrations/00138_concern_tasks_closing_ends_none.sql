-- +goose Up
-- Closing a concern used to mark its open tasks done, and reopening it
-- did not bring them back: a follow-up vanished from My tasks (issue 15).
-- Closing no longer ends tasks. The tasks it ended are found by their end:
-- done in the closing's own transaction (done_at is the closed event's
-- now()). Those of a concern open again are open again; those of a concern
-- still closed (and chases whose feedback has come since) stay ended, with the outcome 'closed' so the chronology
-- says how they ended.
UPDATE concern_tasks t SET done_at = NULL, done_by = NULL
FROM concern_events e, concerns c
WHERE e.school_id = t.school_id AND e.concern_id = t.concern_id AND e.kind = 'closed' AND e.at = t.done_at
  AND c.school_id = t.school_id AND c.id = t.concern_id AND c.status <> 'closed' AND c.entered_in_error_at IS NULL
  AND t.outcome IS NULL
  AND NOT (t.kind = 'referral_chase' AND EXISTS (SELECT 1 FROM concern_actions a
           WHERE a.school_id = t.school_id AND a.id = t.action_id AND a.feedback_at IS NOT NULL));

UPDATE concern_tasks t SET outcome = 'closed'
FROM concern_events e
WHERE e.school_id = t.school_id AND e.concern_id = t.concern_id AND e.kind = 'closed' AND e.at = t.done_at
  AND t.outcome IS NULL;

-- +goose Down
SELECT 1; -- the tasks reopened cannot be told from the others: nothing to undo
