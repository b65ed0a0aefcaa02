-- A school's settings for its case records (internal/records): whether an
-- admin's export waits for a DSL's or the head's approval (the default:
-- yes, a two-person action), and how many years after a child's date of
-- birth their record comes up for a retention review (25 by default, the
-- IRMS toolkit's advice for child protection records). A school without a
-- row has the defaults.

-- +goose Up
CREATE TABLE records_settings (
    school_id        bigint      PRIMARY KEY REFERENCES schools (id),
    export_approval  boolean     NOT NULL DEFAULT true,
    retention_years  smallint    NOT NULL DEFAULT 25 CHECK (retention_years BETWEEN 6 AND 100),
    updated_by       bigint      REFERENCES users (id),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE records_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY records_settings_school ON records_settings TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON records_settings FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON records_settings TO haven_app;

-- +goose Down
DROP TABLE records_settings;
