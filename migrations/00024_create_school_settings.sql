-- Each school's settings (internal/school): who to call, when the school is
-- open, its calendar, the concern categories it uses, escalation limits,
-- cumulative-concern thresholds and whether every member of staff needs a
-- second factor. One row per school, created with the school; the defaults
-- are Haven's (issues 3 and 5).

-- +goose Up
CREATE TABLE school_settings (
    school_id                 bigint PRIMARY KEY REFERENCES schools (id),
    -- [{"name": "...", "phone": "..."}, ...]: the DSLs staff should call.
    dsl_contacts              jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(dsl_contacts) = 'array'),
    -- The local children's services front door ("MASH" in many areas) and
    -- the out-of-hours emergency duty team.
    front_door_name           text NOT NULL DEFAULT '',
    front_door_phone          text NOT NULL DEFAULT '',
    out_of_hours_name         text NOT NULL DEFAULT '',
    out_of_hours_phone        text NOT NULL DEFAULT '',
    -- School hours, in the school's local time (Europe/London), on the
    -- ISO weekdays listed (1 = Monday).
    day_starts                time NOT NULL DEFAULT '08:30',
    day_ends                  time NOT NULL DEFAULT '15:30' CHECK (day_ends > day_starts),
    school_days               smallint[] NOT NULL DEFAULT '{1,2,3,4,5}' CHECK (school_days <@ '{1,2,3,4,5,6,7}'),
    -- An unacknowledged concern escalates after these many minutes.
    urgent_escalation_minutes integer NOT NULL DEFAULT 15 CHECK (urgent_escalation_minutes BETWEEN 1 AND 10080),
    escalation_minutes        integer NOT NULL DEFAULT 1440 CHECK (escalation_minutes BETWEEN 1 AND 10080),
    -- A child is flagged at cumulative_count concerns in cumulative_days, or
    -- when CSE indicators come from cse_staff_threshold different staff.
    cumulative_count          integer NOT NULL DEFAULT 3 CHECK (cumulative_count BETWEEN 2 AND 100),
    cumulative_days           integer NOT NULL DEFAULT 90 CHECK (cumulative_days BETWEEN 1 AND 3660),
    cse_staff_threshold       integer NOT NULL DEFAULT 2 CHECK (cse_staff_threshold BETWEEN 1 AND 100),
    require_2fa_all           boolean NOT NULL DEFAULT false,
    updated_at                timestamptz NOT NULL DEFAULT now()
);

-- The school calendar: terms, each a run of dates the school is open (on
-- its school days).
CREATE TABLE school_terms (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id bigint NOT NULL REFERENCES schools (id),
    name      text NOT NULL CHECK (name <> ''),
    starts_on date NOT NULL,
    ends_on   date NOT NULL CHECK (ends_on >= starts_on)
);
CREATE INDEX school_terms_school_idx ON school_terms (school_id, starts_on);

-- The categories a concern may be given. key is stable (concerns store it);
-- name is what people see. A category removed by the school is kept
-- inactive, so older concerns still name it.
CREATE TABLE concern_categories (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id bigint NOT NULL REFERENCES schools (id),
    key       text NOT NULL CHECK (key ~ '^[a-z0-9]+(_[a-z0-9]+)*$'),
    name      text NOT NULL CHECK (name <> ''),
    position  integer NOT NULL,
    active    boolean NOT NULL DEFAULT true,
    UNIQUE (school_id, key)
);

-- Schools made before this migration get the defaults (schools made later
-- get them from school.Service.Create).
INSERT INTO school_settings (school_id) SELECT id FROM schools;
INSERT INTO concern_categories (school_id, key, name, position)
SELECT s.id, c.key, c.name, c.position
FROM schools s CROSS JOIN (VALUES
    ('cse', 'Child sexual exploitation', 1),
    ('cce', 'Child criminal exploitation / county lines', 2),
    ('sexual_violence_harassment', 'Sexual violence and sexual harassment', 3),
    ('sexual_abuse', 'Sexual abuse', 4),
    ('physical_abuse', 'Physical abuse', 5),
    ('emotional_abuse', 'Emotional abuse', 6),
    ('neglect', 'Neglect', 7),
    ('nudes', 'Sharing nudes and semi-nudes', 8),
    ('online_safety', 'Online safety', 9),
    ('child_on_child', 'Child-on-child abuse', 10),
    ('domestic_abuse', 'Domestic abuse', 11),
    ('radicalisation', 'Radicalisation / Prevent', 12),
    ('fgm', 'FGM', 13),
    ('self_harm_mental_health', 'Self-harm / mental health', 14),
    ('absent_from_education', 'Children absent from education', 15),
    ('other', 'Other', 16)
) AS c (key, name, position);

REVOKE ALL ON school_settings, school_terms, concern_categories FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON school_settings, concern_categories TO haven_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON school_terms TO haven_app;

-- +goose Down
DROP TABLE concern_categories;
DROP TABLE school_terms;
DROP TABLE school_settings;
