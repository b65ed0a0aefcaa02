-- Who may see a restricted concern, as one function (migration 00064 has
-- the rule): the concern package's queries call it with the reader's id,
-- and the row-level security policy calls it with the transaction's user,
-- so the rule is enforced twice from one statement of it. SECURITY INVOKER
-- (the default): it reads concern_access under the caller's own policies.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION concern_visible_to(p_school bigint, p_concern bigint, p_restricted boolean, p_user bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (SELECT 1 FROM concern_access a
                       WHERE a.school_id = p_school AND a.concern_id = p_concern AND a.kind = 'excluded' AND a.user_id = p_user)
       AND (NOT p_restricted
            OR EXISTS (SELECT 1 FROM concern_access a
                       WHERE a.school_id = p_school AND a.concern_id = p_concern AND a.kind = 'named' AND a.user_id = p_user))
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION concern_visible_to(bigint, bigint, boolean, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION concern_visible_to(bigint, bigint, boolean, bigint) TO haven_app;

DROP POLICY concerns_access ON concerns;
CREATE POLICY concerns_access ON concerns AS RESTRICTIVE TO haven_app
    USING (
        recorded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
        OR (SELECT current_setting('app.role', true)) = 'system'
        OR concern_visible_to(school_id, id, restricted, (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
    );

-- +goose Down
DROP POLICY concerns_access ON concerns;
CREATE POLICY concerns_access ON concerns AS RESTRICTIVE TO haven_app
    USING (
        recorded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
        OR (SELECT current_setting('app.role', true)) = 'system'
        OR (
            NOT EXISTS (SELECT 1 FROM concern_access a
                        WHERE a.school_id = concerns.school_id AND a.concern_id = concerns.id AND a.kind = 'excluded'
                          AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
            AND (NOT restricted
                 OR EXISTS (SELECT 1 FROM concern_access a
                            WHERE a.school_id = concerns.school_id AND a.concern_id = concerns.id AND a.kind = 'named'
                              AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)))
        )
    );
DROP FUNCTION concern_visible_to(bigint, bigint, boolean, bigint);
