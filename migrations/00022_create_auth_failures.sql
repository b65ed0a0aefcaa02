-- Failed sign-in guesses (passwords and security codes), kept in Postgres so
-- the limits hold across every replica. key is 'account:<email as typed,
-- lower-cased>' or 'ip:<address>'; an account key exists whether or not the
-- account does, so being throttled reveals nothing. Rows older than a day
-- are deleted as new ones arrive.

-- +goose Up
CREATE TABLE auth_failures (
    id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_failures_key_idx ON auth_failures (key, at);

REVOKE ALL ON auth_failures FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON auth_failures TO haven_app;

-- +goose Down
DROP TABLE auth_failures;
