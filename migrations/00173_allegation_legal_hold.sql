-- A legal hold on a concern about an adult (issue 16): its handler (the
-- head, or the chair of governors when it is about the head) may place it
-- at any time, with a reason — an inquiry's moratorium, say — and lift it
-- with a reason. While held the record is never due for review or removal:
-- allegation_retention (what a second person signing off sees) leaves it
-- out, so no sign-off can be made on it, and `haven retention run` skips it
-- and says so. The reasons stay here, never in the audit trail.

-- +goose Up
ALTER TABLE allegations
    ADD COLUMN legal_hold boolean NOT NULL DEFAULT false,
    ADD COLUMN hold_reason text NOT NULL DEFAULT '' CHECK (octet_length(hold_reason) <= 2000),
    ADD COLUMN hold_set_by bigint REFERENCES users (id),
    ADD COLUMN hold_set_at timestamptz,
    ADD COLUMN hold_lifted_reason text NOT NULL DEFAULT '' CHECK (octet_length(hold_lifted_reason) <= 2000),
    ADD COLUMN hold_lifted_by bigint REFERENCES users (id),
    ADD COLUMN hold_lifted_at timestamptz,
    ADD CONSTRAINT allegations_hold_reason CHECK (NOT legal_hold OR hold_reason <> '');

CREATE OR REPLACE VIEW allegation_retention WITH (security_barrier = true) AS
    SELECT a.school_id, a.id, a.ref, a.routed_to, a.kind, a.status, a.outcome, a.outcome_at, a.subject_dob IS NOT NULL AS dob_known,
           a.retain_until, a.subject_left_on, a.reviewed_at, a.review_after, a.deleted_at, a.created_at
    FROM allegations a
    WHERE a.school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)
      AND a.deleted_at IS NULL
      AND NOT a.legal_hold
      AND (a.review_after IS NULL OR a.review_after <= current_date)
      AND (a.outcome IN ('false', 'malicious') OR a.retain_until <= current_date
           OR (a.kind = 'low_level' AND a.subject_left_on <= current_date))
      AND coalesce(a.subject_user_id, 0) <> coalesce((SELECT nullif(current_setting('app.user_id', true), '')::bigint), -1)
      AND ((SELECT current_setting('app.role', true)) IN ('head', 'admin', 'system')
           OR EXISTS (SELECT 1 FROM school_settings s WHERE s.school_id = a.school_id
                      AND s.chair_of_governors = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)));

-- +goose Down
CREATE OR REPLACE VIEW allegation_retention WITH (security_barrier = true) AS
    SELECT a.school_id, a.id, a.ref, a.routed_to, a.kind, a.status, a.outcome, a.outcome_at, a.subject_dob IS NOT NULL AS dob_known,
           a.retain_until, a.subject_left_on, a.reviewed_at, a.review_after, a.deleted_at, a.created_at
    FROM allegations a
    WHERE a.school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)
      AND a.deleted_at IS NULL
      AND (a.review_after IS NULL OR a.review_after <= current_date)
      AND (a.outcome IN ('false', 'malicious') OR a.retain_until <= current_date
           OR (a.kind = 'low_level' AND a.subject_left_on <= current_date))
      AND coalesce(a.subject_user_id, 0) <> coalesce((SELECT nullif(current_setting('app.user_id', true), '')::bigint), -1)
      AND ((SELECT current_setting('app.role', true)) IN ('head', 'admin', 'system')
           OR EXISTS (SELECT 1 FROM school_settings s WHERE s.school_id = a.school_id
                      AND s.chair_of_governors = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)));
ALTER TABLE allegations DROP CONSTRAINT allegations_hold_reason, DROP COLUMN hold_lifted_at, DROP COLUMN hold_lifted_by,
    DROP COLUMN hold_lifted_reason, DROP COLUMN hold_set_at, DROP COLUMN hold_set_by, DROP COLUMN hold_reason, DROP COLUMN legal_hold;
