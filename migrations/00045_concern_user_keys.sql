-- Who recorded, uploaded or wrote each row of a concern is a user of
-- Haven (users, migrations 00020): users are never deleted, so these keys
-- always name a real person.

-- +goose Up
ALTER TABLE children ADD FOREIGN KEY (added_by) REFERENCES users (id);
ALTER TABLE concerns ADD FOREIGN KEY (recorded_by) REFERENCES users (id);
ALTER TABLE concerns ADD FOREIGN KEY (assigned_to) REFERENCES users (id);
ALTER TABLE concern_indicators ADD FOREIGN KEY (recorded_by) REFERENCES users (id);
ALTER TABLE concern_drafts ADD FOREIGN KEY (author_id) REFERENCES users (id);
ALTER TABLE concern_attachments ADD FOREIGN KEY (uploaded_by) REFERENCES users (id);
ALTER TABLE concern_addenda ADD FOREIGN KEY (author_id) REFERENCES users (id);

-- +goose Down
ALTER TABLE concern_addenda DROP CONSTRAINT concern_addenda_author_id_fkey;
ALTER TABLE concern_attachments DROP CONSTRAINT concern_attachments_uploaded_by_fkey;
ALTER TABLE concern_drafts DROP CONSTRAINT concern_drafts_author_id_fkey;
ALTER TABLE concern_indicators DROP CONSTRAINT concern_indicators_recorded_by_fkey;
ALTER TABLE concerns DROP CONSTRAINT concerns_assigned_to_fkey;
ALTER TABLE concerns DROP CONSTRAINT concerns_recorded_by_fkey;
ALTER TABLE children DROP CONSTRAINT children_added_by_fkey;
