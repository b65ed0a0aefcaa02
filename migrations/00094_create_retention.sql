-- Retention of children's records (internal/records). A child's record
-- comes up for review a number of years after their date of birth (25 by
-- default: records_settings.retention_years), or after the record was
-- made when the date of birth is not known. A DSL may keep it longer
-- (review_after) or mark it "Do not destroy" with a reason — an inquiry's
-- moratorium, a case still open — which blocks deletion until removed.
--
-- Deleting a record takes two people: a DSL and an admin each sign the
-- deletion off (retention_deletions). The second sign-off deletes the
-- child's personal data at once, through retention_delete_child: the app
-- role may not delete case records itself. What is left is the deletion's
-- row — the child's id, who signed off, when and how many records went —
-- and the audit trail, which never held personal data, so every chain
-- still verifies.

-- +goose Up
CREATE TABLE child_retention (
    school_id      bigint      NOT NULL,
    child_id       bigint      NOT NULL,
    do_not_destroy boolean     NOT NULL DEFAULT false,
    dnd_reason     text        NOT NULL DEFAULT '' CHECK (octet_length(dnd_reason) <= 2000),
    dnd_set_by     bigint      REFERENCES users (id),
    dnd_set_at     timestamptz,
    -- A review that kept the record: reviewed again on this date.
    review_after   date,
    reviewed_by    bigint      REFERENCES users (id),
    reviewed_at    timestamptz,
    PRIMARY KEY (school_id, child_id),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id),
    CHECK (NOT do_not_destroy OR dnd_reason <> '')
);

CREATE TABLE retention_deletions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id    bigint      NOT NULL REFERENCES schools (id),
    -- No foreign key: the child's row is what the deletion removes.
    child_id     bigint      NOT NULL,
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'deleted', 'cancelled')),
    dsl_by       bigint      REFERENCES users (id),
    dsl_at       timestamptz,
    admin_by     bigint      REFERENCES users (id),
    admin_at     timestamptz,
    deleted_at   timestamptz,
    -- How many rows of each kind went: {"concerns": 3, "attachments": 1, …}.
    removed      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(removed) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (dsl_by IS NULL OR admin_by IS NULL OR dsl_by <> admin_by)
);
CREATE UNIQUE INDEX retention_deletions_pending_idx ON retention_deletions (school_id, child_id) WHERE status = 'pending';

-- The daily review: one row per school and day, so its email goes once.
CREATE TABLE retention_runs (
    school_id bigint  NOT NULL REFERENCES schools (id),
    run_on    date    NOT NULL,
    due       integer NOT NULL CHECK (due >= 0),
    PRIMARY KEY (school_id, run_on)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['child_retention', 'retention_deletions', 'retention_runs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I TO haven_app
            USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
            WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))$p$,
            t || '_school', t);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    END LOOP;
END $$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE ON child_retention, retention_deletions TO haven_app;
GRANT SELECT, INSERT ON retention_runs TO haven_app;

-- retention_delete_child deletes the personal data of a child whose
-- deletion p_deletion is pending with a DSL's and an admin's sign-offs, in
-- the transaction's school, unless the child is marked "Do not destroy".
-- A concern about the child alone goes whole, with everything recorded on
-- it; a concern that also names other children keeps them, and the child
-- becomes "a child whose record was deleted" on it, with their indicators
-- and body map removed. Siblings, flag acknowledgements, Operation
-- Encompass notifications and the child's files of exports go; a concern
-- about an adult keeps its record (its own retention rules apply) without
-- the link to the child. It returns the counts of what it removed.
-- +goose StatementBegin
CREATE FUNCTION retention_delete_child(p_deletion bigint) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
AS $$
DECLARE
    school bigint := nullif(current_setting('app.school_id', true), '')::bigint;
    d retention_deletions%ROWTYPE;
    whole bigint[];
    n_concerns int; n_named int; n_attachments int; n int;
BEGIN
    SELECT * INTO d FROM retention_deletions WHERE id = p_deletion AND school_id = school FOR UPDATE;
    IF NOT FOUND OR d.status <> 'pending' OR d.dsl_by IS NULL OR d.admin_by IS NULL THEN
        RAISE EXCEPTION 'retention_delete_child: deletion % is not pending with both sign-offs in this school', p_deletion
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT 1 FROM child_retention WHERE school_id = school AND child_id = d.child_id AND do_not_destroy) THEN
        RAISE EXCEPTION 'retention_delete_child: the child is marked Do not destroy' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM children WHERE school_id = school AND id = d.child_id FOR UPDATE;

    -- Concerns naming no other known child go whole.
    SELECT coalesce(array_agg(cc.concern_id), '{}') INTO whole FROM concern_children cc
    WHERE cc.school_id = school AND cc.child_id = d.child_id
      AND NOT EXISTS (SELECT 1 FROM concern_children o WHERE o.school_id = school AND o.concern_id = cc.concern_id
                      AND o.child_id IS NOT NULL AND o.child_id <> d.child_id);
    n_concerns := cardinality(whole);
    DELETE FROM concern_indicators WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_body_marks WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_children WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_attachments WHERE school_id = school AND concern_id = ANY (whole);
    GET DIAGNOSTICS n_attachments = ROW_COUNT;
    DELETE FROM concern_addenda WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_decisions WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_tasks WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_actions WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_events WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_links WHERE school_id = school AND (concern_a = ANY (whole) OR concern_b = ANY (whole));
    DELETE FROM concern_access WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concern_escalations WHERE school_id = school AND concern_id = ANY (whole);
    DELETE FROM concerns WHERE school_id = school AND id = ANY (whole);

    -- Concerns that name other children keep them.
    DELETE FROM concern_indicators i USING concern_children cc
        WHERE i.concern_child_id = cc.id AND cc.school_id = school AND cc.child_id = d.child_id;
    DELETE FROM concern_body_marks m USING concern_children cc
        WHERE m.concern_child_id = cc.id AND cc.school_id = school AND cc.child_id = d.child_id;
    UPDATE concern_children SET child_id = NULL, description = 'A child whose record was deleted under the retention policy'
        WHERE school_id = school AND child_id = d.child_id;
    GET DIAGNOSTICS n_named = ROW_COUNT;

    DELETE FROM child_flag_acks WHERE school_id = school AND child_id = d.child_id;
    DELETE FROM child_siblings WHERE school_id = school AND (child_a = d.child_id OR child_b = d.child_id);
    DELETE FROM encompass_access a USING encompass_notifications e
        WHERE a.school_id = school AND e.school_id = school AND a.notification_id = e.id AND e.child_id = d.child_id;
    DELETE FROM encompass_notifications WHERE school_id = school AND child_id = d.child_id;
    UPDATE allegations SET child_id = NULL WHERE school_id = school AND child_id = d.child_id;
    DELETE FROM export_chunks c USING exports e
        WHERE c.school_id = school AND e.school_id = school AND c.export_id = e.id AND e.child_id = d.child_id;
    UPDATE exports SET child_id = NULL, status = CASE WHEN status = 'ready' THEN 'expired' ELSE status END
        WHERE school_id = school AND child_id = d.child_id;
    DELETE FROM child_retention WHERE school_id = school AND child_id = d.child_id;
    DELETE FROM children WHERE school_id = school AND id = d.child_id;

    UPDATE retention_deletions SET status = 'deleted', deleted_at = now(),
        removed = jsonb_build_object('concerns', n_concerns, 'named_in', n_named, 'attachments', n_attachments)
        WHERE id = p_deletion;
    RETURN jsonb_build_object('concerns', n_concerns, 'named_in', n_named, 'attachments', n_attachments);
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION retention_delete_child(bigint) SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION retention_delete_child(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retention_delete_child(bigint) TO haven_app;

-- +goose Down
DROP FUNCTION retention_delete_child(bigint);
DROP TABLE retention_runs;
DROP TABLE retention_deletions;
DROP TABLE child_retention;
