-- Naming the chair of governors is a two-person action, like giving the
-- DSL or head role (issue 16 item 13): the chair receives the concerns
-- about the headteacher and has the head's powers over them, so an admin
-- asks (School settings) and a DSL or the head — not the admin, not the
-- person named — approves on "Role requests". A request for 'chair' is
-- about an existing member; approving it sets school_settings.
-- chair_of_governors. Removing the chair needs nobody's approval.

-- +goose Up
ALTER TABLE role_requests DROP CONSTRAINT role_requests_role_check;
ALTER TABLE role_requests ADD CONSTRAINT role_requests_role_check CHECK (role IN ('dsl', 'head', 'chair'));
ALTER TABLE role_requests ADD CONSTRAINT role_requests_chair_member CHECK (role <> 'chair' OR user_id IS NOT NULL);

-- +goose Down
ALTER TABLE role_requests DROP CONSTRAINT role_requests_chair_member;
DELETE FROM role_requests WHERE role = 'chair';
ALTER TABLE role_requests DROP CONSTRAINT role_requests_role_check;
ALTER TABLE role_requests ADD CONSTRAINT role_requests_role_check CHECK (role IN ('dsl', 'head'));
