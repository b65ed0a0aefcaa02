-- How many concerns wait for a DSL to acknowledge them, by how long they
-- have waited, across every school: the metric haven_concerns_unacknowledged
-- (internal/app). Row-level security shows the app role no concern without a
-- school set, and a count across schools is no school's business, so this is
-- one narrow SECURITY DEFINER function owned by the owner: it returns four
-- counts and nothing else — no school, no reference, no row. Concerns marked
-- entered in error are left out (they are off the queue).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION unacknowledged_concern_ages() RETURNS TABLE (band text, concerns bigint)
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT b.band, count(c.id)
    FROM (VALUES (1, '<15m'), (2, '15m-1h'), (3, '1h-24h'), (4, '>24h')) AS b (n, band)
    LEFT JOIN concerns c
        ON c.status = 'submitted' AND c.entered_in_error_at IS NULL
        AND b.n = CASE
            WHEN c.created_at > now() - interval '15 minutes' THEN 1
            WHEN c.created_at > now() - interval '1 hour' THEN 2
            WHEN c.created_at > now() - interval '24 hours' THEN 3
            ELSE 4 END
    GROUP BY b.n, b.band
    ORDER BY b.n
$$;
-- +goose StatementEnd

-- A SECURITY DEFINER function must not find objects through a search_path
-- its caller controls: pin it to this schema (whatever goose migrates into).
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION unacknowledged_concern_ages() SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION unacknowledged_concern_ages() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION unacknowledged_concern_ages() TO haven_app;

-- +goose Down
DROP FUNCTION unacknowledged_concern_ages();
