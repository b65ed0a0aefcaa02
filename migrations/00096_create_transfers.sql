-- Transfers of a child's safeguarding file when they leave
-- (internal/records). Keeping Children Safe in Education: the DSL sends
-- the file to the new school's DSL within 5 school days of an in-year
-- move, or within the first 5 school days of a new term, separately from
-- the main pupil file, and gets confirmation of receipt. due_on counts 5
-- school days on the school's calendar from the day the child left.
--
-- The receiving DSL confirms receipt through a one-time link, by name:
-- only the SHA-256 of its token is stored, and it is cleared when used.
-- The link's page has no school in its session, so the token is looked up
-- by transfer_by_receipt (SECURITY DEFINER), which returns only the
-- transfer's school and id.

-- +goose Up
CREATE TABLE child_transfers (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id          bigint      NOT NULL REFERENCES schools (id),
    child_id           bigint      NOT NULL,
    destination_school text        NOT NULL CHECK (destination_school <> '' AND octet_length(destination_school) <= 300),
    destination_dsl    text        NOT NULL CHECK (destination_dsl <> '' AND octet_length(destination_dsl) <= 200),
    destination_email  text        NOT NULL CHECK (destination_email LIKE '_%@_%' AND octet_length(destination_email) <= 320),
    left_on            date        NOT NULL,
    due_on             date        NOT NULL,
    created_by         bigint      NOT NULL REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    file_export_id     bigint,
    sent_at            timestamptz,
    sent_by            bigint      REFERENCES users (id),
    sent_how           text        NOT NULL DEFAULT '' CHECK (octet_length(sent_how) <= 500),
    receipt_hash       bytea       UNIQUE CHECK (octet_length(receipt_hash) = 32),
    received_at        timestamptz,
    received_by_name   text        NOT NULL DEFAULT '' CHECK (octet_length(received_by_name) <= 200),
    last_reminded_on   date,
    UNIQUE (school_id, id),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id),
    FOREIGN KEY (school_id, file_export_id) REFERENCES exports (school_id, id),
    CHECK (received_at IS NULL OR received_by_name <> '')
);
CREATE INDEX child_transfers_open_idx ON child_transfers (school_id, due_on) WHERE received_at IS NULL;
CREATE INDEX child_transfers_child_idx ON child_transfers (school_id, child_id);

ALTER TABLE child_transfers ENABLE ROW LEVEL SECURITY;
CREATE POLICY child_transfers_school ON child_transfers TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON child_transfers FROM PUBLIC;
GRANT SELECT, INSERT ON child_transfers TO haven_app;
GRANT UPDATE (file_export_id, sent_at, sent_by, sent_how, receipt_hash, received_at, received_by_name, last_reminded_on)
    ON child_transfers TO haven_app;

-- +goose StatementBegin
CREATE FUNCTION transfer_by_receipt(p_hash bytea) RETURNS TABLE (school_id bigint, id bigint)
LANGUAGE sql STABLE SECURITY DEFINER
AS $$ SELECT t.school_id, t.id FROM child_transfers t WHERE t.receipt_hash = p_hash AND t.received_at IS NULL $$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION transfer_by_receipt(bytea) SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION transfer_by_receipt(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transfer_by_receipt(bytea) TO haven_app;

-- +goose Down
DROP FUNCTION transfer_by_receipt(bytea);
DROP TABLE child_transfers;
