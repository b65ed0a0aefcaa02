-- Merging a child added inline into the same child on the roll
-- (internal/pupil): every record that names the inline child is moved to
-- the roll child — concerns, indicators, flag acknowledgements, siblings,
-- Operation Encompass notifications, concerns about adults, exports — and
-- the inline child's row is deleted, so the child has one record.
--
-- The app role may not update other packages' tables nor delete children,
-- so the move is one SECURITY DEFINER function, owned by the owner, that
-- checks what the app could not be trusted to: both children belong to the
-- transaction's school (app.school_id, set by db.InSchool), the one merged
-- away was added inline, and the two are different children. A concern that
-- already names both children cannot be merged (it would name the child
-- twice): the function refuses with SQLSTATE 23505 and changes nothing.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION merge_inline_child(p_from bigint, p_into bigint) RETURNS void
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
REVOKE ALL ON FUNCTION merge_inline_child(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION merge_inline_child(bigint, bigint) TO haven_app;

-- +goose Down
DROP FUNCTION merge_inline_child(bigint, bigint);
