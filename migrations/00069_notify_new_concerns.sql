-- The Safeguarding queue's live banner ("N new concerns — show them"):
-- each new concern notifies the channel haven_concerns with its school's id
-- — only the id, never anything of the concern — once its transaction
-- commits. The web server LISTENs on one dedicated connection and tells
-- that school's open queue pages, which count what they may see.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION notify_new_concern() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('haven_concerns', NEW.school_id::text);
    RETURN NULL;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION notify_new_concern() FROM PUBLIC;

CREATE TRIGGER concerns_notify AFTER INSERT ON concerns
    FOR EACH ROW EXECUTE FUNCTION notify_new_concern();

-- +goose Down
DROP TRIGGER concerns_notify ON concerns;
DROP FUNCTION notify_new_concern();
