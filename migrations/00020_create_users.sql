-- People who sign in to Haven, and their role in each school they work in.
-- users is not a tenant table: one person may work in several schools, each
-- through a membership (the tenant row). Emails are stored lower-cased, so
-- uniqueness and sign-in ignore case.

-- +goose Up
CREATE TABLE users (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               text NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '_%@_%'),
    name                text NOT NULL CHECK (name <> ''),
    -- PHC-encoded argon2id; NULL until the person sets a password through an
    -- invitation or a set-password link.
    password_hash       text,
    password_changed_at timestamptz,
    -- TOTP (RFC 6238): the base32 secret once enrolment is confirmed, and the
    -- secret being enrolled until then.
    totp_secret         text,
    totp_pending_secret text,
    totp_enrolled_at    timestamptz,
    -- The last time step (Unix time / 30) a code was accepted for: a code for
    -- this step or an earlier one is a replay and is refused.
    totp_last_step      bigint NOT NULL DEFAULT 0,
    -- Copied into each session at sign-in and compared on every request:
    -- bumping it ends every session of the user at once.
    session_epoch       integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id      bigint NOT NULL REFERENCES schools (id),
    user_id        bigint NOT NULL REFERENCES users (id),
    role           text NOT NULL CHECK (role IN ('staff', 'dsl', 'head', 'admin')),
    -- A Deputy DSL is a DSL marked deputy.
    deputy         boolean NOT NULL DEFAULT false CHECK (NOT deputy OR role = 'dsl'),
    -- A deactivated member cannot sign in to the school; rows are never
    -- deleted, so the audit trail keeps naming real people.
    deactivated_at timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

REVOKE ALL ON users, memberships FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON users, memberships TO haven_app;

-- +goose Down
DROP TABLE memberships;
DROP TABLE users;
