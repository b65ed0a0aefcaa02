-- One-time secrets of the account system. Every token and recovery code is
-- stored as its SHA-256 hash: they are random (at least 128 bits for tokens,
-- 80 bits for recovery codes), so a fast hash is enough, and a copy of the
-- database does not let anyone use them.

-- +goose Up
CREATE TABLE recovery_codes (
    user_id    bigint NOT NULL REFERENCES users (id),
    code_hash  bytea NOT NULL CHECK (octet_length(code_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Links that let a person set their password: 'reset' (asked for by the
-- person, valid 1 hour) and 'set' (printed by `haven user create`, 24 hours).
CREATE TABLE password_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    purpose    text NOT NULL CHECK (purpose IN ('reset', 'set')),
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_tokens_user_idx ON password_tokens (user_id);

-- An admin's invitation to join a school with a role. A DSL or head
-- invitation waits for approval (token_hash NULL) before it is sent.
CREATE TABLE invitations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id   bigint NOT NULL REFERENCES schools (id),
    email       text NOT NULL CHECK (email = lower(email) AND email LIKE '_%@_%'),
    name        text NOT NULL CHECK (name <> ''),
    role        text NOT NULL CHECK (role IN ('staff', 'dsl', 'head', 'admin')),
    deputy      boolean NOT NULL DEFAULT false CHECK (NOT deputy OR role = 'dsl'),
    status      text NOT NULL CHECK (status IN ('awaiting_approval', 'sent', 'accepted', 'rejected', 'withdrawn')),
    token_hash  bytea UNIQUE CHECK (octet_length(token_hash) = 32),
    invited_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    expires_at  timestamptz,
    accepted_at timestamptz,
    user_id     bigint REFERENCES users (id),
    CHECK (status <> 'sent' OR (token_hash IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX invitations_school_idx ON invitations (school_id, status);

REVOKE ALL ON recovery_codes, password_tokens, invitations FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO haven_app;
GRANT SELECT, INSERT, UPDATE ON password_tokens, invitations TO haven_app;

-- +goose Down
DROP TABLE invitations;
DROP TABLE password_tokens;
DROP TABLE recovery_codes;
