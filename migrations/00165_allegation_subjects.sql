-- One adult, several records (issue 16 item 1): a concern about an adult
-- points at an identity of the person it is about, and the handler may
-- merge two identities into one person — the teacher chosen by his Haven
-- account in one low-level concern and typed by name in another — so that
-- the low-level flag (and "Other concerns about this person") counts over
-- the person, not over the way they happened to be named.
--
-- An identity holds no personal data: no name, no account. Who it is comes
-- from the records that point at it, so removing a record's personal data
-- (allegation.Delete) leaves nothing here to remove; the record is let go
-- of its identity then (00167). A merge points an identity at another
-- (merged_into, always a person's first identity, never a chain); undoing
-- it clears merged_into, and each record is back with its own identity,
-- since records never change the identity they point at.
--
-- Who may see an identity follows its records: a row is seen only with a
-- record about it that the reader may see (the subquery is itself under
-- the allegations policies), so only the handler sees it, and never the
-- adult it is about.

-- +goose Up
CREATE TABLE allegation_subjects (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id   bigint      NOT NULL REFERENCES schools (id),
    -- Who handles the records about them: identities are merged only
    -- within one handler's records.
    routed_to   text        NOT NULL CHECK (routed_to IN ('head', 'chair')),
    merged_into bigint,
    merged_by   bigint      REFERENCES users (id),
    merged_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, id),
    FOREIGN KEY (school_id, merged_into) REFERENCES allegation_subjects (school_id, id),
    CHECK (merged_into IS DISTINCT FROM id),
    CHECK ((merged_into IS NULL) = (merged_at IS NULL))
);
CREATE INDEX allegation_subjects_merged_idx ON allegation_subjects (school_id, merged_into) WHERE merged_into IS NOT NULL;

ALTER TABLE allegations ADD COLUMN subject_id bigint;
ALTER TABLE allegations ADD FOREIGN KEY (school_id, subject_id) REFERENCES allegation_subjects (school_id, id);
CREATE INDEX allegations_subject_id_idx ON allegations (school_id, subject_id);

-- The pattern review of a person: the identity it was made of (their first).
ALTER TABLE allegation_pattern_reviews ADD COLUMN subject_id bigint;
ALTER TABLE allegation_pattern_reviews ADD FOREIGN KEY (school_id, subject_id) REFERENCES allegation_subjects (school_id, id);

-- Existing records: one identity for each adult as they were pieced
-- together until now — by account where there is one (subject_key
-- "u:<id>"), otherwise by name ("n:<name>") — per handler.
-- +goose StatementBegin
DO $$
DECLARE r record; sid bigint;
BEGIN
    FOR r IN SELECT school_id, routed_to, subject_key, min(created_at) AS created_at FROM allegations
             WHERE subject_key <> '' AND deleted_at IS NULL GROUP BY school_id, routed_to, subject_key
    LOOP
        INSERT INTO allegation_subjects (school_id, routed_to, created_at) VALUES (r.school_id, r.routed_to, r.created_at)
            RETURNING id INTO sid;
        UPDATE allegations SET subject_id = sid
            WHERE school_id = r.school_id AND routed_to = r.routed_to AND subject_key = r.subject_key AND deleted_at IS NULL;
        UPDATE allegation_pattern_reviews SET subject_id = sid
            WHERE school_id = r.school_id AND routed_to = r.routed_to AND subject_key = r.subject_key;
    END LOOP;
END $$;
-- +goose StatementEnd
ALTER TABLE allegations ADD CHECK (deleted_at IS NOT NULL OR subject_id IS NOT NULL);

ALTER TABLE allegation_subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE allegation_subjects FORCE ROW LEVEL SECURITY;
CREATE POLICY allegation_subjects_school ON allegation_subjects TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));
CREATE POLICY allegation_subjects_access ON allegation_subjects AS RESTRICTIVE TO haven_app
    USING ((SELECT current_setting('app.role', true)) = 'system'
           OR EXISTS (SELECT 1 FROM allegations a WHERE a.school_id = allegation_subjects.school_id AND a.subject_id = allegation_subjects.id))
    WITH CHECK ((SELECT current_setting('app.role', true)) = 'system'
           OR EXISTS (SELECT 1 FROM allegations a WHERE a.school_id = allegation_subjects.school_id AND a.subject_id = allegation_subjects.id));
REVOKE ALL ON allegation_subjects FROM PUBLIC;
-- No INSERT: identities are made when a record is stored (00166), by the
-- owner; the handler merges and separates them (UPDATE).
GRANT SELECT, UPDATE ON allegation_subjects TO haven_app;

-- +goose Down
ALTER TABLE allegation_pattern_reviews DROP COLUMN subject_id;
ALTER TABLE allegations DROP COLUMN subject_id;
DROP TABLE allegation_subjects;
