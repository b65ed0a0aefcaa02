-- Concerns (internal/concern): what a member of staff saw or heard about a
-- child, as submitted. A concern is never edited after submission (only its
-- status, urgency, assignee and categories move, at triage); corrections are
-- addenda. Each concern names its children, each with a role, so that one
-- child's account never appears in another child's file as theirs.
--
-- Every table carries school_id, and the (school_id, …) foreign keys make a
-- row of one school unable to point at another school's concern or child.
-- Row-level security fences the app role to the transaction's school.

-- +goose Up
-- One counter per school and year: the reference C-2026-000123 takes the next
-- number with the row locked in the submitting transaction, so two concerns
-- never share a reference (a rolled-back submission may leave a gap).
CREATE TABLE concern_ref_counters (
    school_id   bigint   NOT NULL REFERENCES schools (id),
    year        smallint NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    last_number integer  NOT NULL DEFAULT 0 CHECK (last_number >= 0),
    PRIMARY KEY (school_id, year)
);

CREATE TABLE concerns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id       bigint      NOT NULL REFERENCES schools (id),
    ref             text        NOT NULL CHECK (ref ~ '^C-[0-9]{4}-[0-9]{6,}$'),
    -- Minted when the form is first shown: the same submission sent twice
    -- (double click, back and resubmit, a retry) finds the first concern.
    submission_id   uuid        NOT NULL,
    recorded_by     bigint      NOT NULL, -- the user who recorded it
    -- Who raised it, when a DSL records a concern passed on by phone or on paper.
    on_behalf_of    text        NOT NULL DEFAULT '' CHECK (octet_length(on_behalf_of) <= 200),
    happened_on     date        NOT NULL,
    happened_approx boolean     NOT NULL DEFAULT false,
    happened_time   text        NOT NULL DEFAULT '' CHECK (octet_length(happened_time) <= 100),
    seen_on         date        NOT NULL, -- when the member of staff saw or heard it
    location        text        NOT NULL DEFAULT '' CHECK (octet_length(location) <= 1000),
    account         text        NOT NULL CHECK (account <> '' AND octet_length(account) <= 40000),
    childs_words    text        NOT NULL DEFAULT '' CHECK (octet_length(childs_words) <= 40000),
    told_dsl        text        NOT NULL CHECK (told_dsl IN ('yes', 'not_yet')),
    told_dsl_who    text        NOT NULL DEFAULT '' CHECK (octet_length(told_dsl_who) <= 200),
    told_dsl_when   text        NOT NULL DEFAULT '' CHECK (octet_length(told_dsl_when) <= 100),
    actions_taken   text        NOT NULL DEFAULT '' CHECK (octet_length(actions_taken) <= 20000),
    in_danger       boolean     NOT NULL,
    -- Category codes (internal/concern categories); optional for staff, the
    -- DSL sets or corrects them at triage.
    categories      text[]      NOT NULL DEFAULT '{}',
    -- The FGM mandatory reporting duty: whether the teacher reported a known
    -- case to the police, and the police reference.
    fgm_police      text        NOT NULL DEFAULT '' CHECK (fgm_police IN ('', 'reported', 'not_yet', 'not_known_case')),
    fgm_police_ref  text        NOT NULL DEFAULT '' CHECK (octet_length(fgm_police_ref) <= 100),
    status          text        NOT NULL DEFAULT 'submitted'
                    CHECK (status IN ('submitted', 'acknowledged', 'in_progress', 'closed')),
    urgency         text        NOT NULL DEFAULT '' CHECK (urgency IN ('', 'low', 'medium', 'high')),
    assigned_to     bigint, -- the DSL who owns it
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, ref),
    UNIQUE (school_id, submission_id),
    UNIQUE (school_id, id)
);
CREATE INDEX concerns_recorded_by_idx ON concerns (school_id, recorded_by, created_at DESC);
CREATE INDEX concerns_status_idx ON concerns (school_id, status, created_at);

-- The children of a concern, each with its role. child_id is NULL for a
-- child who is not known, described instead.
CREATE TABLE concern_children (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id   bigint   NOT NULL,
    concern_id  bigint   NOT NULL,
    position    smallint NOT NULL CHECK (position >= 0),
    child_id    bigint,
    description text     NOT NULL DEFAULT '' CHECK (octet_length(description) <= 2000),
    role        text     NOT NULL CHECK (role IN ('subject', 'alleged_harmer', 'witness', 'mentioned')),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id),
    CHECK ((child_id IS NULL) = (description <> '')),
    UNIQUE (concern_id, position),
    UNIQUE (concern_id, child_id),
    UNIQUE (id, child_id)
);
CREATE INDEX concern_children_child_idx ON concern_children (school_id, child_id);

-- CSE indicators, recorded for one child of a concern (never copied to the
-- others), and by whom: a child's indicators over time are read from here.
CREATE TABLE concern_indicators (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id        bigint      NOT NULL,
    concern_id       bigint      NOT NULL,
    concern_child_id bigint      NOT NULL,
    child_id         bigint, -- the concern_children row's child (NULL: not known)
    code             text        NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]*$' AND octet_length(code) <= 64),
    recorded_by      bigint      NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id),
    FOREIGN KEY (concern_child_id) REFERENCES concern_children (id),
    FOREIGN KEY (concern_child_id, child_id) REFERENCES concern_children (id, child_id),
    UNIQUE (concern_child_id, code)
);
CREATE INDEX concern_indicators_child_idx ON concern_indicators (school_id, child_id, recorded_at);

-- The body map: where a mark or injury is, front or back, with a note. No
-- photographs of injuries: this is the record.
CREATE TABLE concern_body_marks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id        bigint   NOT NULL,
    concern_id       bigint   NOT NULL,
    concern_child_id bigint   NOT NULL REFERENCES concern_children (id),
    position         smallint NOT NULL CHECK (position >= 0),
    region           text     NOT NULL CHECK (region ~ '^[a-z][a-z0-9_]*$' AND octet_length(region) <= 64),
    side             text     NOT NULL CHECK (side IN ('front', 'back')),
    note             text     NOT NULL DEFAULT '' CHECK (octet_length(note) <= 4000),
    FOREIGN KEY (school_id, concern_id) REFERENCES concerns (school_id, id),
    UNIQUE (concern_id, position)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['concern_ref_counters', 'concerns', 'concern_children', 'concern_indicators', 'concern_body_marks']
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

GRANT SELECT, INSERT, UPDATE ON concern_ref_counters TO haven_app;
-- UPDATE for triage (status, urgency, assignee, categories); no DELETE: a
-- concern recorded in error is marked so, never removed.
GRANT SELECT, INSERT, UPDATE ON concerns TO haven_app;
GRANT SELECT, INSERT ON concern_children, concern_indicators, concern_body_marks TO haven_app;

-- +goose Down
DROP TABLE concern_body_marks;
DROP TABLE concern_indicators;
DROP TABLE concern_children;
DROP TABLE concerns;
DROP TABLE concern_ref_counters;
