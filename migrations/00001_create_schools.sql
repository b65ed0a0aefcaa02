-- Schools are Haven's tenants: every tenant row carries school_id. Schools
-- may belong to a trust (a multi-academy trust or a local authority).
-- The app role haven_app must exist before migrating (docs/deployment.md);
-- every migration grants it exactly what the app needs, nothing more.

-- +goose Up
CREATE TABLE trusts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schools (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trust_id   bigint REFERENCES trusts (id),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name       text NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON trusts, schools FROM PUBLIC;
GRANT SELECT ON trusts TO haven_app;
GRANT SELECT, INSERT, UPDATE ON schools TO haven_app;

-- +goose Down
DROP TABLE schools;
DROP TABLE trusts;
