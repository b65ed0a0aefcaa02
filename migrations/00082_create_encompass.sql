-- Operation Encompass (internal/encompass, issue 8): the police tell the
-- school, before the next school day, that a child was involved in a
-- domestic abuse incident. A DSL records the notification and the support
-- offered, as a restricted entry on the child's chronology.
--
-- Visible to DSLs only, with the restriction rules of concerns (migration
-- 00064): restricted by default to the DSLs named on it (the one who
-- recorded it always named); anyone excluded for a conflict of interest
-- never sees it. Enforced by the package's queries and by row-level
-- security here. The system (retention, exports) sees all.

-- +goose Up
CREATE TABLE encompass_ref_counters (
    school_id   bigint   NOT NULL REFERENCES schools (id),
    year        smallint NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    last_number integer  NOT NULL DEFAULT 0 CHECK (last_number >= 0),
    PRIMARY KEY (school_id, year)
);

CREATE TABLE encompass_notifications (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id   bigint      NOT NULL REFERENCES schools (id),
    ref         text        NOT NULL CHECK (ref ~ '^E-[0-9]{4}-[0-9]{6,}$'),
    child_id    bigint      NOT NULL,
    -- When the police told the school, and when the incident was.
    notified_on date        NOT NULL,
    incident_on date,
    police_ref  text        NOT NULL DEFAULT '' CHECK (octet_length(police_ref) <= 100),
    -- What the police shared, and the support the school offers the child.
    details     text        NOT NULL CHECK (details <> '' AND octet_length(details) <= 20000),
    support     text        NOT NULL CHECK (support <> '' AND octet_length(support) <= 20000),
    restricted  boolean     NOT NULL DEFAULT true,
    recorded_by bigint      NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id),
    UNIQUE (school_id, ref),
    UNIQUE (school_id, id)
);
CREATE INDEX encompass_notifications_child_idx ON encompass_notifications (school_id, child_id, notified_on);
CREATE INDEX encompass_notifications_created_idx ON encompass_notifications (school_id, created_at DESC);

CREATE TABLE encompass_access (
    school_id       bigint      NOT NULL,
    notification_id bigint      NOT NULL,
    user_id         bigint      NOT NULL REFERENCES users (id),
    kind            text        NOT NULL CHECK (kind IN ('named', 'excluded')),
    set_by          bigint      NOT NULL REFERENCES users (id),
    set_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, notification_id, user_id),
    FOREIGN KEY (school_id, notification_id) REFERENCES encompass_notifications (school_id, id)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['encompass_ref_counters', 'encompass_notifications', 'encompass_access']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I TO haven_app
            USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
            WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))$p$,
            t || '_school', t);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    END LOOP;
END $$;
-- +goose StatementEnd

-- Who may see a notification: the system; a DSL of the school who recorded
-- it, or who is not excluded and — when it is restricted — is named on it.
-- Nobody else: not staff, not the head, not an admin.
CREATE POLICY encompass_notifications_access ON encompass_notifications AS RESTRICTIVE TO haven_app
    USING (
        (SELECT current_setting('app.role', true)) = 'system'
        OR ((SELECT current_setting('app.role', true)) = 'dsl' AND (
            recorded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
            OR (
                NOT EXISTS (SELECT 1 FROM encompass_access a
                            WHERE a.school_id = encompass_notifications.school_id AND a.notification_id = encompass_notifications.id
                              AND a.kind = 'excluded'
                              AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
                AND (NOT restricted
                     OR EXISTS (SELECT 1 FROM encompass_access a
                                WHERE a.school_id = encompass_notifications.school_id AND a.notification_id = encompass_notifications.id
                                  AND a.kind = 'named'
                                  AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)))
            )
        ))
    );
-- The access lists (ids and kinds, nothing of a notification's content)
-- are for DSLs and the system only. Not "follows its notification": the
-- notifications policy reads this table, and a policy here reading the
-- notifications would recurse.
CREATE POLICY encompass_access_access ON encompass_access AS RESTRICTIVE TO haven_app
    USING ((SELECT current_setting('app.role', true)) IN ('dsl', 'system'))
    WITH CHECK ((SELECT current_setting('app.role', true)) IN ('dsl', 'system'));

GRANT SELECT, INSERT, UPDATE ON encompass_ref_counters TO haven_app;
-- UPDATE only of who may see it: a notification, once recorded, is not edited.
GRANT SELECT, INSERT ON encompass_notifications TO haven_app;
GRANT UPDATE (restricted) ON encompass_notifications TO haven_app;
GRANT SELECT, INSERT, DELETE ON encompass_access TO haven_app;
GRANT UPDATE (kind, set_by, set_at) ON encompass_access TO haven_app;

-- +goose Down
DROP TABLE encompass_access;
DROP TABLE encompass_notifications;
DROP TABLE encompass_ref_counters;
