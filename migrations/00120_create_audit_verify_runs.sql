-- The result of each full `haven audit verify` run (internal/audit), so the
-- server can report the last one as metrics (haven_audit_verify_*) and an
-- operator is warned when verification fails or stops running. Written by
-- `haven audit verify` as the owning role; the app role only reads it.
-- Counts and times only: no school's name, no row of the trail.

-- +goose Up
CREATE TABLE audit_verify_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    finished_at   timestamptz NOT NULL DEFAULT now(),
    ok            boolean     NOT NULL,
    chains        integer     NOT NULL CHECK (chains >= 0),
    broken_chains integer     NOT NULL CHECK (broken_chains >= 0 AND broken_chains <= chains),
    rows_checked  bigint      NOT NULL CHECK (rows_checked >= 0),
    checkpoints   integer     NOT NULL CHECK (checkpoints >= 0),
    duration      interval    NOT NULL
);
CREATE INDEX audit_verify_runs_finished_idx ON audit_verify_runs (finished_at DESC);
REVOKE ALL ON audit_verify_runs FROM PUBLIC;
GRANT SELECT ON audit_verify_runs TO haven_app;

-- +goose Down
DROP TABLE audit_verify_runs;
