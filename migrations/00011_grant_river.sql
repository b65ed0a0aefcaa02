-- River's job tables (00003–00010) are worked by the app role: River inserts,
-- locks, updates and deletes (cleans) jobs, elects a leader and notifies.
-- Granted by name pattern so the grant follows River's own set of tables.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relname LIKE 'river\_%' AND c.relkind IN ('r', 'S')
    LOOP
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t.relname);
        IF t.relkind = 'S' THEN
            EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO haven_app', t.relname);
        ELSIF t.relname = 'river_migration' THEN
            EXECUTE format('GRANT SELECT ON %I TO haven_app', t.relname);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO haven_app', t.relname);
        END IF;
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relname LIKE 'river\_%' AND c.relkind IN ('r', 'S')
    LOOP
        EXECUTE format('REVOKE ALL ON %I FROM haven_app', t.relname);
    END LOOP;
END $$;
-- +goose StatementEnd
