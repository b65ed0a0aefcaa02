-- Audit events about concerns about adults (issue 16 item 2; docs/audit.md).
--
-- An audit entry about a concern about an adult — anything the allegation
-- package records, and any other entry naming an A- reference (an export,
-- a hold, a filter typed into the audit log) — may be read only by the
-- head or chair of governors who handles that concern, never by the DSLs
-- or admins, and never by the adult it is about. about_adults marks such
-- an entry, computed by the database from the entry's own hashed fields,
-- so no writer can forget to set it and no reader has to guess: the audit
-- log's queries (internal/audit/list.go) show an entry with it set only to
-- the concern's handler, and count the rest. It is not one of the fields
-- the hash covers (docs/audit.md): haven audit verify is unchanged.
--
-- The partial index keeps the handler's part of the log, and the count
-- shown to everyone else, to the few entries that are about adults.

-- +goose Up
ALTER TABLE audit_events ADD COLUMN about_adults boolean NOT NULL GENERATED ALWAYS AS (
    starts_with(action, 'allegation.')
    OR subject_type = 'allegation'
    OR (subject_id || ' ' || details) ~ '\mA-[0-9]{4}-[0-9]{6,}\M'
) STORED;

CREATE INDEX audit_events_about_adults_idx ON audit_events (chain_id, seq) WHERE about_adults;

-- +goose Down
DROP INDEX audit_events_about_adults_idx;
ALTER TABLE audit_events DROP COLUMN about_adults;
