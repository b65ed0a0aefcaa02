-- Row-level security on every table that holds a school's or a person's
-- data (issue 9, docs/security.md "Isolation between schools"), so that a
-- query which forgets its school_id, or takes an id from the URL without a
-- check, still sees nothing of another school.
--
-- The pattern of the earlier migrations, now everywhere: policies TO
-- haven_app read the transaction-local settings that db.InSchool and
-- db.InTx set (app.school_id, app.user_id, app.role); with no setting the
-- predicates are NULL, so a query sees no rows (fail closed).
--
-- This migration
--   1. fences the school's tables that had none (settings, terms,
--      categories, invitations, role requests, memberships);
--   2. fences people's accounts: a user row is seen by that user and by the
--      transaction of a school they belong to; recovery codes and password
--      links likewise;
--   3. fences the audit log: the app reads its school's chain only, and
--      writes to its school's chain, to the deployment-level chain, or,
--      from a transaction with no school, an event about a person's
--      account to a school that person belongs to (auth's auditAccount);
--   4. adds the few SECURITY DEFINER functions for the look-ups that must
--      happen before anyone is known: an account by email at sign-in, an
--      invitation or password link by its token's hash;
--   5. FORCEs row-level security on every table with a school_id column and
--      on the account tables, so the owning role is bound too unless it has
--      BYPASSRLS (docs/deployment.md: the operator gives haven_owner
--      BYPASSRLS for migrations and operator commands; any other role that
--      owns or is granted the owner's rights without it sees nothing).

-- +goose Up

-- 1. The school's tables.
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['school_settings', 'school_terms', 'concern_categories', 'invitations',
                             'role_requests', 'memberships']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I TO haven_app
            USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
            WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))$p$,
            t || '_school', t);
    END LOOP;
END $$;
-- +goose StatementEnd

-- A person sees their own memberships in every school (the school chooser,
-- the second-factor rule), and the settings of the schools they belong to
-- (whether a school requires a second factor, who chairs its governors).
CREATE POLICY memberships_own ON memberships FOR SELECT TO haven_app
    USING (user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint));
CREATE POLICY school_settings_own ON school_settings FOR SELECT TO haven_app
    USING (school_id IN (SELECT m.school_id FROM memberships m
                         WHERE m.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
                           AND m.deactivated_at IS NULL));

-- 2. Accounts. A user row is seen and changed by its own user's
-- transactions, and by the transactions of a school the user belongs to
-- (admins' Users pages, names beside records). Anyone may add an account:
-- an account without a membership opens nothing, and adding one is how an
-- invitation is accepted.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_self ON users TO haven_app
    USING (id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
    WITH CHECK (id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint));
CREATE POLICY users_member ON users TO haven_app
    USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id
                   AND m.school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)))
    WITH CHECK (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id
                   AND m.school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)));
CREATE POLICY users_add ON users FOR INSERT TO haven_app WITH CHECK (true);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['recovery_codes', 'password_tokens']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I TO haven_app
            USING (user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
            WITH CHECK (user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))$p$,
            t || '_self', t);
        EXECUTE format($p$CREATE POLICY %I ON %I TO haven_app
            USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = %I.user_id
                           AND m.school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)))
            WITH CHECK (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = %I.user_id
                           AND m.school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)))$p$,
            t || '_member', t, t, t);
    END LOOP;
END $$;
-- +goose StatementEnd

-- 4. Look-ups before anyone is known. Each is SECURITY DEFINER (it runs as
-- the owner, which row-level security does not bind), answers one narrow
-- question and pins its search_path, so a caller cannot put their own
-- objects in its way.

-- auth_user_id_by_email returns the id of the account with email (stored
-- lower-cased), or NULL: sign-in, password reset, operator commands.
-- +goose StatementBegin
CREATE FUNCTION auth_user_id_by_email(p_email text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
AS $$ SELECT id FROM users WHERE email = p_email $$;
-- +goose StatementEnd

-- auth_invitation_by_token_hash returns the usable invitation (sent, not
-- expired) whose link's token hashes to p_hash, with its school's name and
-- whether the invited address already has an account with a password.
-- +goose StatementBegin
CREATE FUNCTION auth_invitation_by_token_hash(p_hash bytea)
RETURNS TABLE (id bigint, school_id bigint, school_name text, name text, email text, role text,
               deputy boolean, has_account boolean)
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT i.id, i.school_id, s.name, i.name, i.email, i.role, i.deputy,
           EXISTS (SELECT 1 FROM users u WHERE u.email = i.email AND u.password_hash IS NOT NULL)
    FROM invitations i JOIN schools s ON s.id = i.school_id
    WHERE i.token_hash = p_hash AND i.status = 'sent' AND i.expires_at > now()
$$;
-- +goose StatementEnd

-- auth_password_link returns whom the unused, unexpired password link of
-- purpose whose token hashes to p_hash is for.
-- +goose StatementBegin
CREATE FUNCTION auth_password_link(p_hash bytea, p_purpose text)
RETURNS TABLE (user_id bigint, name text, email text)
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT u.id, u.name, u.email FROM password_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = p_hash AND t.purpose = p_purpose AND t.used_at IS NULL AND t.expires_at > now()
$$;
-- +goose StatementEnd

-- audit_subject_in_school reports whether an audit event about a person's
-- account (subject_type 'user', subject_id their id) may go to school's
-- chain from a transaction with no school: the person belongs to it.
-- +goose StatementBegin
CREATE FUNCTION audit_subject_in_school(p_school bigint, p_subject_type text, p_subject_id text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT p_subject_type = 'user' AND p_subject_id ~ '^[1-9][0-9]{0,17}$'
       AND EXISTS (SELECT 1 FROM memberships m WHERE m.school_id = p_school AND m.user_id = p_subject_id::bigint)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION auth_user_id_by_email(text) SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION auth_invitation_by_token_hash(bytea) SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION auth_password_link(bytea, text) SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION audit_subject_in_school(bigint, text, text) SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION auth_user_id_by_email(text), auth_invitation_by_token_hash(bytea),
    auth_password_link(bytea, text), audit_subject_in_school(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_user_id_by_email(text), auth_invitation_by_token_hash(bytea),
    auth_password_link(bytea, text), audit_subject_in_school(bigint, text, text) TO haven_app;

-- 3. The audit log.
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));
CREATE POLICY audit_events_append ON audit_events FOR INSERT TO haven_app
    WITH CHECK (school_id IS NULL
        OR school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)
        OR ((SELECT nullif(current_setting('app.school_id', true), '')) IS NULL
            AND audit_subject_in_school(school_id, subject_type, subject_id)));

-- 5. FORCE everywhere: every table with a school_id column (whoever made
-- it), and the account tables.
-- +goose StatementBegin
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
               AND (c.relname IN ('users', 'recovery_codes', 'password_tokens')
                    OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                               AND a.attname = 'school_id' AND NOT a.attisdropped))
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relforcerowsecurity
    LOOP
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t.relname);
    END LOOP;
END $$;
-- +goose StatementEnd
DROP POLICY audit_events_append ON audit_events;
DROP POLICY audit_events_read ON audit_events;
ALTER TABLE audit_events DISABLE ROW LEVEL SECURITY;
DROP FUNCTION audit_subject_in_school(bigint, text, text);
DROP FUNCTION auth_password_link(bytea, text);
DROP FUNCTION auth_invitation_by_token_hash(bytea);
DROP FUNCTION auth_user_id_by_email(text);
DROP POLICY recovery_codes_self ON recovery_codes;
DROP POLICY recovery_codes_member ON recovery_codes;
DROP POLICY password_tokens_self ON password_tokens;
DROP POLICY password_tokens_member ON password_tokens;
ALTER TABLE recovery_codes DISABLE ROW LEVEL SECURITY;
ALTER TABLE password_tokens DISABLE ROW LEVEL SECURITY;
DROP POLICY users_add ON users;
DROP POLICY users_member ON users;
DROP POLICY users_self ON users;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
DROP POLICY school_settings_own ON school_settings;
DROP POLICY memberships_own ON memberships;
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['school_settings', 'school_terms', 'concern_categories', 'invitations',
                             'role_requests', 'memberships']
    LOOP
        EXECUTE format('DROP POLICY %I ON %I', t || '_school', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END $$;
-- +goose StatementEnd
