-- The app role may read goose's bookkeeping, so `haven serve` can run with
-- DATABASE_URL alone (the app role) and no owner credentials: at start it
-- checks the migrations with the app role, finds none pending and goes on;
-- with some pending it stops, naming them, until `haven migrate` is run as
-- the owner (docs/deployment.md). The table holds version numbers and
-- times, nothing else.

-- +goose Up
GRANT SELECT ON goose_db_version TO haven_app;

-- +goose Down
REVOKE SELECT ON goose_db_version FROM haven_app;
