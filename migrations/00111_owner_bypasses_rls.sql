-- The owning role must bypass row-level security (docs/deployment.md). Every
-- tenant table's policies are FORCEd and written for haven_app, so an owner
-- without BYPASSRLS sees no row of them: the SECURITY DEFINER functions that
-- run as the owner (sign-in's look-ups, the merge of a child, retention's
-- deletion), the views owned by it and the owner's commands (haven audit
-- verify, retention run) would all find nothing, without an error. Refuse
-- to go on instead, saying what to do.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolbypassrls OR rolsuper)) THEN
        RAISE EXCEPTION 'the role % owns Haven''s tables, so it must bypass row-level security: as a superuser, run ALTER ROLE % BYPASSRLS (docs/deployment.md)',
            current_user, quote_ident(current_user) USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
