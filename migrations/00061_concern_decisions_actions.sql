-- A DSL's decisions and actions on a concern (internal/concern): each is a
-- chronology entry, appended and never edited.
--
-- A decision always has its reason — a decision not to refer included, as
-- statutory guidance requires — whether parents or carers were told or
-- their consent sought (or why not: telling them can put the child at more
-- risk), and the child's wishes and feelings.
--
-- An action is what was done: when, a note, the agency's reference and an
-- optional follow-up date. A referral waits for the agency's feedback;
-- without it after one working day the DSL is prompted to chase
-- (concern_tasks, migration 00062).

-- +goose Up
CREATE TABLE concern_decisions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id       bigint      NOT NULL,
    concern_id      bigint      NOT NULL,
    outcome         text        NOT NULL CHECK (outcome IN ('no_further_action', 'monitor', 'early_help', 'social_care',
                        'police', 'prevent', 'nrm', 'other_agency', 'advice_only')),
    reason          text        NOT NULL CHECK (reason <> '' AND octet_length(reason) <= 40000),
    parents         text        NOT NULL CHECK (parents IN ('told', 'consent_sought', 'not_told')),
    parents_why_not text        NOT NULL DEFAULT '' CHECK (octet_length(parents_why_not) <= 20000),
    childs_wishes   text        NOT NULL CHECK (childs_wishes <> '' AND octet_length(childs_wishes) <= 20000),
    decided_by      bigint      NOT NULL REFERENCES users (id),
    decided_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (parents <> 'not_told' OR parents_why_not <> ''),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id),
    UNIQUE (school_id, id)
);
CREATE INDEX concern_decisions_concern_idx ON concern_decisions (school_id, concern_id, decided_at);

CREATE TABLE concern_actions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id     bigint      NOT NULL,
    concern_id    bigint      NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('conversation_child', 'parent_contact', 'referral', 'police_report',
                      'advice_sought', 'multi_agency_meeting', 'safety_plan', 'monitoring', 'other')),
    action_on     date        NOT NULL, -- when it was done
    note          text        NOT NULL CHECK (note <> '' AND octet_length(note) <= 40000),
    agency_ref    text        NOT NULL DEFAULT '' CHECK (octet_length(agency_ref) <= 200),
    follow_up_on  date,
    recorded_by   bigint      NOT NULL REFERENCES users (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    -- A referral's feedback from the agency, once it comes.
    feedback_at   timestamptz,
    feedback_by   bigint REFERENCES users (id),
    feedback_note text        NOT NULL DEFAULT '' CHECK (octet_length(feedback_note) <= 20000),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id),
    UNIQUE (school_id, id)
);
CREATE INDEX concern_actions_concern_idx ON concern_actions (school_id, concern_id, action_on);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['concern_decisions', 'concern_actions']
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

GRANT SELECT, INSERT ON concern_decisions, concern_actions TO haven_app;
-- Only the feedback on a referral is written later.
GRANT UPDATE (feedback_at, feedback_by, feedback_note) ON concern_actions TO haven_app;

-- +goose Down
DROP TABLE concern_actions;
DROP TABLE concern_decisions;
