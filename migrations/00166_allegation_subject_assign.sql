-- Each new concern about an adult gets its identity as it is stored
-- (issue 16 item 1): the identity of the records of the same handler about
-- the same account, when an account was chosen; or about the same name
-- (subject_key "n:<name>", case and spacing ignored) when none was;
-- otherwise a new one.
--
-- The person reporting may not read any other record (row-level security),
-- so the look-up is a SECURITY DEFINER trigger run as the owner. It returns
-- nothing to the reporter — the insert returns no row — so nobody learns
-- whether anything was reported about that adult before. Whatever
-- subject_id the insert names is ignored.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION allegation_subject_assign() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
AS $$
DECLARE sid bigint;
BEGIN
    NEW.subject_id := NULL;
    IF NEW.deleted_at IS NOT NULL OR NEW.subject_key = '' THEN
        RETURN NEW;
    END IF;
    SELECT a.subject_id INTO sid FROM allegations a
        WHERE a.school_id = NEW.school_id AND a.routed_to = NEW.routed_to AND a.deleted_at IS NULL AND a.subject_id IS NOT NULL
          AND (a.subject_key = NEW.subject_key OR (NEW.subject_user_id IS NOT NULL AND a.subject_user_id = NEW.subject_user_id))
        ORDER BY a.created_at, a.id LIMIT 1;
    IF sid IS NULL THEN
        INSERT INTO allegation_subjects (school_id, routed_to, created_at) VALUES (NEW.school_id, NEW.routed_to, NEW.created_at)
            RETURNING id INTO sid;
    END IF;
    NEW.subject_id := sid;
    RETURN NEW;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION allegation_subject_assign() SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION allegation_subject_assign() FROM PUBLIC;
CREATE TRIGGER allegations_subject_assign BEFORE INSERT ON allegations
    FOR EACH ROW EXECUTE FUNCTION allegation_subject_assign();

-- +goose Down
DROP TRIGGER allegations_subject_assign ON allegations;
DROP FUNCTION allegation_subject_assign();
