-- Restricting a concern (internal/concern): a DSL can restrict a concern to
-- named DSLs, and exclude anyone with a conflict of interest. The rule is
-- enforced twice: in the concern package's queries, and here by a
-- restrictive row-level security policy on concerns, so that a query that
-- forgets it still shows nothing to a DSL who may not see the concern.
-- Every table read through concerns (the queue, the chronology, tasks,
-- attachments' downloads) follows.
--
-- Who may see a concern: its author (they wrote it); the system (escalation
-- jobs, which email a link only); anyone else not excluded from it, and —
-- when it is restricted — named on it.

-- +goose Up
CREATE TABLE concern_access (
    school_id  bigint      NOT NULL,
    concern_id bigint      NOT NULL,
    user_id    bigint      NOT NULL REFERENCES users (id),
    kind       text        NOT NULL CHECK (kind IN ('named', 'excluded')),
    set_by     bigint      NOT NULL REFERENCES users (id),
    set_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, concern_id, user_id),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id)
);

ALTER TABLE concern_access ENABLE ROW LEVEL SECURITY;
CREATE POLICY concern_access_school ON concern_access TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON concern_access FROM PUBLIC;
-- Replaced as a whole when a DSL changes who may see the concern.
GRANT SELECT, INSERT, DELETE ON concern_access TO haven_app;
GRANT UPDATE (kind, set_by, set_at) ON concern_access TO haven_app;

CREATE POLICY concerns_access ON concerns AS RESTRICTIVE TO haven_app
    USING (
        recorded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
        OR (SELECT current_setting('app.role', true)) = 'system'
        OR (
            NOT EXISTS (SELECT 1 FROM concern_access a
                        WHERE a.school_id = concerns.school_id AND a.concern_id = concerns.id AND a.kind = 'excluded'
                          AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
            AND (NOT restricted
                 OR EXISTS (SELECT 1 FROM concern_access a
                            WHERE a.school_id = concerns.school_id AND a.concern_id = concerns.id AND a.kind = 'named'
                              AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)))
        )
    );

-- +goose Down
DROP POLICY concerns_access ON concerns;
DROP TABLE concern_access;
