-- Concerns about adults (internal/allegation, issue 8): the school's chair
-- of governors, who receives concerns about the headteacher and has the
-- head's powers for those records only; and the rules for keeping these
-- records (docs/allegations.md).

-- +goose Up
-- The member of the school who acts as chair of governors in Haven (NULL:
-- none named yet). A school setting, changed by its admins.
ALTER TABLE school_settings ADD COLUMN chair_of_governors bigint REFERENCES users (id);

-- How long allegation records are kept, and when low-level concerns about
-- one adult add up. A school without a row has the defaults (KCSIE Part
-- four: until normal pension age or ten years, whichever is longer).
CREATE TABLE allegation_settings (
    school_id       bigint      PRIMARY KEY REFERENCES schools (id),
    retirement_age  smallint    NOT NULL DEFAULT 67 CHECK (retirement_age BETWEEN 55 AND 75),
    minimum_years   smallint    NOT NULL DEFAULT 10 CHECK (minimum_years BETWEEN 1 AND 50),
    low_level_count integer     NOT NULL DEFAULT 3 CHECK (low_level_count BETWEEN 2 AND 50),
    low_level_days  integer     NOT NULL DEFAULT 365 CHECK (low_level_days BETWEEN 30 AND 3660),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE allegation_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY allegation_settings_school ON allegation_settings TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON allegation_settings FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON allegation_settings TO haven_app;

-- +goose Down
DROP TABLE allegation_settings;
ALTER TABLE school_settings DROP COLUMN chair_of_governors;
