-- Sessions for scs's pgxstore (its README's DDL). Not a tenant table: a
-- session exists before a school is chosen.

-- +goose Up
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

REVOKE ALL ON sessions FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO haven_app;

-- +goose Down
DROP TABLE sessions;
