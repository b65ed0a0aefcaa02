-- Children on a school's roll (internal/pupil): imported from the MIS or
-- added inline by the member of staff recording a concern. A child belongs
-- to one school; a child who moves school is a new row there (records move by
-- transfer, not by sharing a row).
--
-- Row-level security fences every row to the school of the transaction
-- (db.InSchool sets app.school_id): a query that forgets its school_id
-- still sees nothing of another school. The policy binds the app role only,
-- so the owner (migrations, operator tasks) is not fenced.

-- +goose Up
CREATE TABLE children (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id     bigint      NOT NULL REFERENCES schools (id),
    first_name    text        NOT NULL CHECK (first_name <> '' AND octet_length(first_name) <= 200),
    last_name     text        NOT NULL CHECK (last_name <> '' AND octet_length(last_name) <= 200),
    date_of_birth date,
    -- -1 nursery, 0 reception, 1 to 13 Year 1 to Year 13; NULL not known.
    year_group    smallint    CHECK (year_group BETWEEN -1 AND 13),
    -- The DfE unique pupil number and the school's MIS id, when known.
    upn           text        CHECK (upn <> '' AND octet_length(upn) <= 20),
    mis_id        text        CHECK (mis_id <> '' AND octet_length(mis_id) <= 64),
    looked_after  boolean     NOT NULL DEFAULT false,
    cp_plan       boolean     NOT NULL DEFAULT false, -- child protection plan
    child_in_need boolean     NOT NULL DEFAULT false,
    send          boolean     NOT NULL DEFAULT false, -- special educational needs and disabilities
    ehcp          boolean     NOT NULL DEFAULT false, -- education, health and care plan
    social_worker text        NOT NULL DEFAULT '' CHECK (octet_length(social_worker) <= 500),
    -- Added by the member of staff recording a concern, not from the roll:
    -- the DSL checks and merges these.
    added_inline  boolean     NOT NULL DEFAULT false,
    added_by      bigint, -- the user who added the child inline; NULL for the roll
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- The target of (school_id, child_id) foreign keys, so a concern can
    -- only ever name a child of its own school.
    UNIQUE (school_id, id)
);
CREATE UNIQUE INDEX children_upn_idx ON children (school_id, upn) WHERE upn IS NOT NULL;
CREATE UNIQUE INDEX children_mis_id_idx ON children (school_id, mis_id) WHERE mis_id IS NOT NULL;
CREATE INDEX children_name_idx ON children (school_id, lower(last_name), lower(first_name));

ALTER TABLE children ENABLE ROW LEVEL SECURITY;
CREATE POLICY children_school ON children TO haven_app
    USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))
    WITH CHECK (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint));

REVOKE ALL ON children FROM PUBLIC;
-- No DELETE: children leave a roll by merge or transfer, never by deletion.
GRANT SELECT, INSERT, UPDATE ON children TO haven_app;

-- +goose Down
DROP TABLE children;
