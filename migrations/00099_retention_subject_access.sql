-- Deleting a child's record under retention also deletes the subject
-- access requests about them (migration 00098) and their disclosure log.
-- The function is replaced whole, so its pinned search_path is set again.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION retention_delete_child(p_deletion bigint) RETURNS jsonb
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
    DELETE FROM child_transfers WHERE school_id = school AND child_id = d.child_id;
    DELETE FROM sar_disclosures x USING sar_requests r
        WHERE x.school_id = school AND r.school_id = school AND x.request_id = r.id AND r.child_id = d.child_id;
    DELETE FROM sar_passages p USING sar_requests r
        WHERE p.school_id = school AND r.school_id = school AND p.request_id = r.id AND r.child_id = d.child_id;
    DELETE FROM sar_requests WHERE school_id = school AND child_id = d.child_id;
    DELETE FROM received_file_attachments a USING received_files f
        WHERE a.school_id = school AND f.school_id = school AND a.received_file_id = f.id AND f.child_id = d.child_id;
    DELETE FROM received_files WHERE school_id = school AND child_id = d.child_id;
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION retention_delete_child(p_deletion bigint) RETURNS jsonb
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
    DELETE FROM child_transfers WHERE school_id = school AND child_id = d.child_id;
    DELETE FROM received_file_attachments a USING received_files f
        WHERE a.school_id = school AND f.school_id = school AND a.received_file_id = f.id AND f.child_id = d.child_id;
    DELETE FROM received_files WHERE school_id = school AND child_id = d.child_id;
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
