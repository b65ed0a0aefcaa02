-- Removing a record's personal data (allegation.Delete, after two
-- sign-offs) lets it go of its identity too (issue 16 item 1): otherwise
-- the identity would still say that the removed record was about the same
-- person as the records kept. A trigger, so that every way of removing
-- does it.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION allegation_subject_release() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
        NEW.subject_id := NULL;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER allegations_subject_release BEFORE UPDATE ON allegations
    FOR EACH ROW EXECUTE FUNCTION allegation_subject_release();

-- +goose Down
DROP TRIGGER allegations_subject_release ON allegations;
DROP FUNCTION allegation_subject_release();
