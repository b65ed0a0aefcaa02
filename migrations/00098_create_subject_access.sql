-- Subject access requests (internal/records): a child's, or a parent's
-- on their behalf, request for the personal data Haven holds about the
-- child. A DSL starts a draft bundle: every passage of the child's file
-- (a concern's account, the child's words, decisions, actions, further
-- information) is one row that a DSL and the school's data protection
-- lead go through: disclose it, disclose it with third parties redacted,
-- or withhold it under a statutory exemption — with the reason recorded.
-- A passage is settled when both have reviewed its final decision; the
-- bundle can be disclosed when every passage is. Each disclosure is logged:
-- when, to whom, how, and how much was disclosed or withheld.

-- +goose Up
CREATE TABLE sar_requests (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id      bigint      NOT NULL REFERENCES schools (id),
    child_id       bigint      NOT NULL,
    requester_kind text        NOT NULL CHECK (requester_kind IN ('child', 'parent', 'other')),
    requester_name text        NOT NULL CHECK (requester_name <> '' AND octet_length(requester_name) <= 200),
    received_on    date        NOT NULL,
    due_on         date        NOT NULL, -- one calendar month (UK GDPR article 12(3))
    dpl_user_id    bigint      NOT NULL REFERENCES users (id), -- the data protection lead who reviews
    created_by     bigint      NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, id),
    FOREIGN KEY (school_id, child_id) REFERENCES children (school_id, id)
);

CREATE TABLE sar_passages (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id     bigint      NOT NULL,
    request_id    bigint      NOT NULL,
    position      integer     NOT NULL CHECK (position >= 0),
    source        text        NOT NULL CHECK (octet_length(source) <= 200), -- "C-2026-000001: What happened"
    body          text        NOT NULL,
    decision      text        NOT NULL DEFAULT 'disclose' CHECK (decision IN ('disclose', 'redact', 'withhold')),
    redacted_body text        NOT NULL DEFAULT '',
    reason        text        NOT NULL DEFAULT '' CHECK (octet_length(reason) <= 2000),
    dsl_by        bigint      REFERENCES users (id),
    dsl_at        timestamptz,
    dpl_by        bigint      REFERENCES users (id),
    dpl_at        timestamptz,
    UNIQUE (request_id, position),
    FOREIGN KEY (school_id, request_id) REFERENCES sar_requests (school_id, id),
    CHECK (decision = 'disclose' OR reason <> '')
);

CREATE TABLE sar_disclosures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id    bigint      NOT NULL,
    request_id   bigint      NOT NULL,
    disclosed_at timestamptz NOT NULL DEFAULT now(),
    disclosed_by bigint      NOT NULL REFERENCES users (id),
    disclosed_to text        NOT NULL CHECK (disclosed_to <> '' AND octet_length(disclosed_to) <= 300),
    method       text        NOT NULL CHECK (method <> '' AND octet_length(method) <= 300),
    disclosed    integer     NOT NULL CHECK (disclosed >= 0),
    redacted     integer     NOT NULL CHECK (redacted >= 0),
    withheld     integer     NOT NULL CHECK (withheld >= 0),
    FOREIGN KEY (school_id, request_id) REFERENCES sar_requests (school_id, id)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sar_requests', 'sar_passages', 'sar_disclosures']
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

GRANT SELECT, INSERT ON sar_requests, sar_passages, sar_disclosures TO haven_app;
GRANT UPDATE (decision, redacted_body, reason, dsl_by, dsl_at, dpl_by, dpl_at) ON sar_passages TO haven_app;

-- +goose Down
DROP TABLE sar_disclosures;
DROP TABLE sar_passages;
DROP TABLE sar_requests;
