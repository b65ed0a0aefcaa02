-- A subject access request is read-only once disclosed (issue 16): its
-- passages' decisions, redactions and reasons are then the disclosure's
-- log, passage by passage, and a correction is a new request. The records
-- service refuses a review after disclosure; this trigger makes sure no
-- other path changes a disclosed passage either.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION sar_passage_not_disclosed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sar_disclosures x WHERE x.school_id = OLD.school_id AND x.request_id = OLD.request_id) THEN
        RAISE EXCEPTION 'subject access request % has been disclosed: its passages cannot change', OLD.request_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER sar_passages_read_only_after_disclosure BEFORE UPDATE ON sar_passages
    FOR EACH ROW EXECUTE FUNCTION sar_passage_not_disclosed();

-- +goose Down
DROP TRIGGER sar_passages_read_only_after_disclosure ON sar_passages;
DROP FUNCTION sar_passage_not_disclosed();
