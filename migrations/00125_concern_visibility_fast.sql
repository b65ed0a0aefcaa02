-- Who may see a concern, checked fast (issue 11; docs/performance.md).
--
-- concern_visible_to() cannot be inlined (it holds sub-selects), so the
-- policy ran it as a function call for every row a query touched: about
-- 20 µs a row, most of a Safeguarding queue page at scale and nearly all of
-- its counts per status. The policy now first asks, once per query, whether
-- the reader is excluded from anything at all in the school: when they are
-- not, every concern of the school that is not restricted is visible to
-- them, exactly as concern_visible_to() would say, and the function only
-- runs for restricted concerns and for readers with an exclusion. Same
-- rule, same answers (the concern package's restriction tests hold).
--
-- The first index finds a reader's exclusions in a school; the second lets
-- the counts per status read the index alone (no table rows): every column
-- the counts and the policy look at is in it.

-- +goose Up
DROP POLICY concerns_access ON concerns;
CREATE POLICY concerns_access ON concerns AS RESTRICTIVE TO haven_app
    USING (
        recorded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
        OR (SELECT current_setting('app.role', true)) = 'system'
        OR (NOT restricted
            AND school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)
            AND NOT EXISTS (SELECT 1 FROM concern_access a
                            WHERE a.school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint)
                              AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
                              AND a.kind = 'excluded'))
        OR concern_visible_to(school_id, id, restricted, (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
    );

CREATE INDEX concern_access_excluded_idx ON concern_access (school_id, user_id) WHERE kind = 'excluded';
CREATE INDEX concerns_status_counts_idx ON concerns (school_id, status)
    INCLUDE (id, restricted, recorded_by, entered_in_error_at);

-- +goose Down
DROP INDEX concerns_status_counts_idx;
DROP INDEX concern_access_excluded_idx;
DROP POLICY concerns_access ON concerns;
CREATE POLICY concerns_access ON concerns AS RESTRICTIVE TO haven_app
    USING (
        recorded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
        OR (SELECT current_setting('app.role', true)) = 'system'
        OR concern_visible_to(school_id, id, restricted, (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
    );
