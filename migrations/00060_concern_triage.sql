-- The DSL's work on a concern (internal/concern): acknowledging it,
-- assigning it, its urgency and categories, closing, reopening and marking
-- it entered in error. The concern's account is never edited; only these
-- fields of its row move, each move recorded as a concern_events row.
--
-- version: optimistic concurrency. Every change is UPDATE … WHERE version =
-- the version the DSL's page showed; a stale page changes nothing and is
-- shown what changed since (the events with a higher version).
--
-- queue_rank orders the Safeguarding queue: unacknowledged concerns about a
-- child in immediate danger first, then other unacknowledged ones, then the
-- rest by urgency, closed last. It is stored so the queue's keyset index can
-- use it.

-- +goose Up
ALTER TABLE concerns
    ADD COLUMN version                 integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD COLUMN acknowledged_at         timestamptz,
    ADD COLUMN acknowledged_by         bigint REFERENCES users (id),
    ADD COLUMN closed_at               timestamptz,
    ADD COLUMN outcome_summary         text        NOT NULL DEFAULT '' CHECK (octet_length(outcome_summary) <= 40000),
    -- A concern recorded on the wrong child, or by mistake: off every
    -- chronology and the queue, kept (and audited) for ever.
    ADD COLUMN entered_in_error_at     timestamptz,
    ADD COLUMN entered_in_error_reason text        NOT NULL DEFAULT '' CHECK (octet_length(entered_in_error_reason) <= 4000),
    -- Restricted to the DSLs named in concern_access (migration 00064).
    ADD COLUMN restricted              boolean     NOT NULL DEFAULT false,
    ADD COLUMN queue_rank              smallint    GENERATED ALWAYS AS (
        CASE
            WHEN status = 'closed' THEN 9
            WHEN status = 'submitted' AND in_danger THEN 0
            WHEN status = 'submitted' THEN 1
            WHEN urgency = 'high' THEN 2
            WHEN urgency = 'medium' THEN 3
            WHEN urgency = 'low' THEN 4
            ELSE 5
        END) STORED;

CREATE INDEX concerns_queue_idx ON concerns (school_id, queue_rank, created_at, id)
    WHERE entered_in_error_at IS NULL;
CREATE INDEX concerns_assigned_idx ON concerns (school_id, assigned_to) WHERE status <> 'closed';

-- What happened to a concern after it was submitted, in order: each row is
-- one change by a DSL (or the system), with the version it made. Reasons
-- are the DSL's words (reopening, entered in error, closing's outcome).
CREATE TABLE concern_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id  bigint      NOT NULL,
    concern_id bigint      NOT NULL,
    version    integer     NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('acknowledged', 'assigned', 'urgency', 'categories', 'decision',
                   'closed', 'reopened', 'entered_in_error', 'restricted', 'linked')),
    actor_id   bigint REFERENCES users (id), -- NULL: the system
    at         timestamptz NOT NULL DEFAULT now(),
    reason     text        NOT NULL DEFAULT '' CHECK (octet_length(reason) <= 40000),
    -- Small facts of the change: the user assigned, the urgency, categories.
    details    jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id)
);
CREATE INDEX concern_events_concern_idx ON concern_events (school_id, concern_id, version);

ALTER TABLE concern_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_events_school ON concern_events TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON concern_events FROM PUBLIC;
-- Append-only: a concern's history is never rewritten.
GRANT SELECT, INSERT ON concern_events TO haven_app;

-- +goose Down
DROP TABLE concern_events;
DROP INDEX concerns_assigned_idx;
DROP INDEX concerns_queue_idx;
ALTER TABLE concerns
    DROP COLUMN queue_rank,
    DROP COLUMN restricted,
    DROP COLUMN entered_in_error_reason,
    DROP COLUMN entered_in_error_at,
    DROP COLUMN outcome_summary,
    DROP COLUMN closed_at,
    DROP COLUMN acknowledged_by,
    DROP COLUMN acknowledged_at,
    DROP COLUMN version;
