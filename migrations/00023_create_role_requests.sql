-- Giving someone the DSL or head role is a two-person action: an admin asks,
-- a DSL or the head of the school (not the admin, not the person) approves.
-- A request is about an existing member (user_id) or an invitation.
-- 'unapproved' records a grant made without a second person: the first DSL
-- or head of a new school, or an operator's break-glass command.

-- +goose Up
CREATE TABLE role_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id     bigint NOT NULL REFERENCES schools (id),
    user_id       bigint REFERENCES users (id),
    invitation_id bigint REFERENCES invitations (id),
    role          text NOT NULL CHECK (role IN ('dsl', 'head')),
    deputy        boolean NOT NULL DEFAULT false CHECK (NOT deputy OR role = 'dsl'),
    status        text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn', 'unapproved')),
    requested_by  bigint REFERENCES users (id),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    decided_by    bigint REFERENCES users (id),
    decided_at    timestamptz,
    CHECK ((user_id IS NULL) <> (invitation_id IS NULL))
);
CREATE INDEX role_requests_school_idx ON role_requests (school_id, status);

REVOKE ALL ON role_requests FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON role_requests TO haven_app;

-- +goose Down
DROP TABLE role_requests;
