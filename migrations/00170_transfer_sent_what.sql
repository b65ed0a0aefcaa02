-- A transfer is recorded as sent only with what was sent (issue 16): the
-- child's file made in Haven and attached to the transfer (sent_export_id,
-- kept apart from file_export_id so a file made later does not change what
-- the receipt page says was sent), or a recorded alternative with its
-- reason — delivered by hand, sent by secure email from the local
-- authority's system, or another way. Transfers sent before this carry
-- neither: what was sent was not recorded then.

-- +goose Up
ALTER TABLE child_transfers
    ADD COLUMN sent_export_id bigint,
    ADD COLUMN sent_alternative text CHECK (sent_alternative IN ('by_hand', 'la_secure_email', 'other')),
    ADD COLUMN sent_reason text NOT NULL DEFAULT '' CHECK (octet_length(sent_reason) <= 2000),
    ADD FOREIGN KEY (school_id, sent_export_id) REFERENCES exports (school_id, id),
    ADD CONSTRAINT child_transfers_sent_one_thing CHECK (sent_export_id IS NULL OR sent_alternative IS NULL),
    ADD CONSTRAINT child_transfers_alternative_reason CHECK (sent_alternative IS NULL OR sent_reason <> '');
GRANT UPDATE (sent_export_id, sent_alternative, sent_reason) ON child_transfers TO haven_app;

-- +goose Down
REVOKE UPDATE (sent_export_id, sent_alternative, sent_reason) ON child_transfers FROM haven_app;
ALTER TABLE child_transfers DROP COLUMN sent_reason, DROP COLUMN sent_alternative, DROP COLUMN sent_export_id;
