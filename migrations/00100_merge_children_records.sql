-- Merging a child added inline into the roll child (migration 00093) also
-- moves the records made since about the child: transfers (00096), files
-- received from another Haven (00095), subject access requests (00098) and
-- retention markers (00094: a "Do not destroy" on either child holds for
-- the one record, and a pending deletion of either is cancelled). The
-- function is replaced whole, so its pinned search_path is set again.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION merge_inline_child(p_from bigint, p_into bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
AS $$
DECLARE
    school bigint := nullif(current_setting('app.school_id', true), '')::bigint;
    n int;
BEGIN
    IF school IS NULL OR p_from = p_into THEN
        RAISE EXCEPTION 'merge_inline_child: no school, or a child merged into itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM children WHERE school_id = school AND id = p_from AND added_inline FOR UPDATE;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN
        RAISE EXCEPTION 'merge_inline_child: % is not a child added inline in this school', p_from USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM 1 FROM children WHERE school_id = school AND id = p_into FOR UPDATE;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN
        RAISE EXCEPTION 'merge_inline_child: % is not a child of this school', p_into USING ERRCODE = 'no_data_found';
    END IF;
    IF EXISTS (SELECT 1 FROM concern_children a JOIN concern_children b ON b.concern_id = a.concern_id
               WHERE a.school_id = school AND a.child_id = p_from AND b.child_id = p_into) THEN
        RAISE EXCEPTION 'merge_inline_child: a concern names both children' USING ERRCODE = 'unique_violation';
    END IF;
    -- Indicators point at their concern_children row together with its
    -- child id: let go of the child id, move the rows, then point again.
    UPDATE concern_indicators SET child_id = NULL WHERE school_id = school AND child_id = p_from;
    UPDATE concern_children SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE concern_indicators i SET child_id = p_into FROM concern_children cc
        WHERE i.school_id = school AND i.child_id IS NULL AND cc.id = i.concern_child_id AND cc.child_id = p_into;
    UPDATE child_flag_acks SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    INSERT INTO child_siblings (school_id, child_a, child_b, linked_by, linked_at)
        SELECT school, least(other, p_into), greatest(other, p_into), linked_by, linked_at
        FROM (SELECT CASE WHEN child_a = p_from THEN child_b ELSE child_a END AS other, linked_by, linked_at
              FROM child_siblings WHERE school_id = school AND (child_a = p_from OR child_b = p_from)) s
        WHERE other <> p_into
        ON CONFLICT DO NOTHING;
    DELETE FROM child_siblings WHERE school_id = school AND (child_a = p_from OR child_b = p_from);
    UPDATE encompass_notifications SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE allegations SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE exports SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE child_transfers SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE received_files SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE sar_requests SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    -- A "Do not destroy" marker or a review on either child holds for the one record.
    INSERT INTO child_retention (school_id, child_id, do_not_destroy, dnd_reason, dnd_set_by, dnd_set_at, review_after, reviewed_by, reviewed_at)
        SELECT school_id, p_into, do_not_destroy, dnd_reason, dnd_set_by, dnd_set_at, review_after, reviewed_by, reviewed_at
        FROM child_retention WHERE school_id = school AND child_id = p_from
        ON CONFLICT (school_id, child_id) DO UPDATE SET
            do_not_destroy = child_retention.do_not_destroy OR EXCLUDED.do_not_destroy,
            dnd_reason = CASE WHEN child_retention.do_not_destroy THEN child_retention.dnd_reason ELSE EXCLUDED.dnd_reason END,
            dnd_set_by = CASE WHEN child_retention.do_not_destroy THEN child_retention.dnd_set_by ELSE EXCLUDED.dnd_set_by END,
            dnd_set_at = CASE WHEN child_retention.do_not_destroy THEN child_retention.dnd_set_at ELSE EXCLUDED.dnd_set_at END,
            review_after = greatest(child_retention.review_after, EXCLUDED.review_after);
    DELETE FROM child_retention WHERE school_id = school AND child_id = p_from;
    UPDATE retention_deletions SET status = 'cancelled' WHERE school_id = school AND child_id IN (p_from, p_into) AND status = 'pending';
    DELETE FROM children WHERE school_id = school AND id = p_from;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION merge_inline_child(bigint, bigint) SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION merge_inline_child(p_from bigint, p_into bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
AS $$
DECLARE
    school bigint := nullif(current_setting('app.school_id', true), '')::bigint;
    n int;
BEGIN
    IF school IS NULL OR p_from = p_into THEN
        RAISE EXCEPTION 'merge_inline_child: no school, or a child merged into itself' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM children WHERE school_id = school AND id = p_from AND added_inline FOR UPDATE;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN
        RAISE EXCEPTION 'merge_inline_child: % is not a child added inline in this school', p_from USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM 1 FROM children WHERE school_id = school AND id = p_into FOR UPDATE;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN
        RAISE EXCEPTION 'merge_inline_child: % is not a child of this school', p_into USING ERRCODE = 'no_data_found';
    END IF;
    IF EXISTS (SELECT 1 FROM concern_children a JOIN concern_children b ON b.concern_id = a.concern_id
               WHERE a.school_id = school AND a.child_id = p_from AND b.child_id = p_into) THEN
        RAISE EXCEPTION 'merge_inline_child: a concern names both children' USING ERRCODE = 'unique_violation';
    END IF;
    -- Indicators point at their concern_children row together with its
    -- child id: let go of the child id, move the rows, then point again.
    UPDATE concern_indicators SET child_id = NULL WHERE school_id = school AND child_id = p_from;
    UPDATE concern_children SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE concern_indicators i SET child_id = p_into FROM concern_children cc
        WHERE i.school_id = school AND i.child_id IS NULL AND cc.id = i.concern_child_id AND cc.child_id = p_into;
    UPDATE child_flag_acks SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    INSERT INTO child_siblings (school_id, child_a, child_b, linked_by, linked_at)
        SELECT school, least(other, p_into), greatest(other, p_into), linked_by, linked_at
        FROM (SELECT CASE WHEN child_a = p_from THEN child_b ELSE child_a END AS other, linked_by, linked_at
              FROM child_siblings WHERE school_id = school AND (child_a = p_from OR child_b = p_from)) s
        WHERE other <> p_into
        ON CONFLICT DO NOTHING;
    DELETE FROM child_siblings WHERE school_id = school AND (child_a = p_from OR child_b = p_from);
    UPDATE encompass_notifications SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE allegations SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    UPDATE exports SET child_id = p_into WHERE school_id = school AND child_id = p_from;
    DELETE FROM children WHERE school_id = school AND id = p_from;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION merge_inline_child(bigint, bigint) SET search_path = pg_catalog, %I, pg_temp', current_schema());
END $$;
-- +goose StatementEnd
