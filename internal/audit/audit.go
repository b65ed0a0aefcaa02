// Package audit is Haven's tamper-evident audit trail: who did and who saw
// what, when and from where. Every change and every view of a sensitive
// record appends one event, in the same transaction as the action, to its
// school's hash chain (or to the deployment-level chain for events that
// belong to no school). The database refuses to change or delete events;
// Verify recomputes every chain and checks the signed checkpoints, so an
// alteration made behind the database's back is found and named.
//
// The chaining (seq, hash, time) happens in the database, in the insert
// trigger of migrations/00012_create_audit.sql; docs/audit.md describes the
// encoding and the operator commands. audit imports no other domain package.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
)

// Event is one audited action. Details never hold a child's name or any text of a concern.
type Event struct {
	Action      string         // closed vocabulary, e.g. "auth.sign_in", "auth.sign_in_failed", "concern.submit", "concern.view", "export.download", "user.invite", "school.settings_change"
	SubjectType string         // "concern", "child", "user", "school", "export", "draft", "attachment", ... ("" for none)
	SubjectID   string         // the record's reference or id as text ("" for none)
	Details     map[string]any // small, canonical JSON; field names changed, ids, counts — never personal free text
}

// Limits on an event's fields, in bytes. Longer request ids, addresses and
// user agents are cut short (they come from the client); a longer subject id
// or details are a programming error and Record refuses them.
const (
	maxSubjectID  = 200
	maxRequestID  = 200
	maxClientAddr = 64
	maxUserAgent  = 512
	maxRole       = 32
	maxDetails    = 4096
)

var (
	actionRE      = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	subjectTypeRE = regexp.MustCompile(`^([a-z][a-z0-9_]*)?$`)
	detailKeyRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// AfterOwnAction is the details key marking a view recorded on the page a
// person's own form post redirected them to (actor.Source.AfterOwnAction).
const AfterOwnAction = "after_own_action"

// Record appends e to the audit chain of by.SchoolID (the deployment-level
// chain when by.SchoolID == 0), in q's transaction, recording by's user,
// role and request source. Call it as the transaction's last statement: it
// locks the chain's head until the transaction ends. If it fails, the caller
// returns the error and the whole transaction rolls back, so no action goes
// unaudited. It refuses a malformed action or subject type, a subject id
// over 200 bytes, and details that are not a small JSON object with
// lower_snake_case keys. A view (IsView) by an actor whose Source is
// AfterOwnAction gets details["after_own_action"] = true.
func Record(ctx context.Context, q db.Querier, by actor.Actor, e Event) error {
	if by.Source.AfterOwnAction && IsView(e.Action) {
		d := maps.Clone(e.Details)
		if d == nil {
			d = map[string]any{}
		}
		d[AfterOwnAction] = true
		e.Details = d
	}
	details, err := e.check()
	if err != nil {
		return fmt.Errorf("audit %q: %w", e.Action, err)
	}
	var school, user any // NULL when 0
	if by.SchoolID != 0 {
		school = by.SchoolID
	}
	if by.UserID != 0 {
		user = by.UserID
	}
	_, err = q.Exec(ctx, `
		INSERT INTO audit_events (school_id, actor_user_id, actor_role, action, subject_type,
			subject_id, request_id, client_addr, user_agent, details)
		VALUES (@school, @user, @role, @action, @subject_type,
			@subject_id, @request_id, @client_addr, @user_agent, @details)`,
		pgx.NamedArgs{
			"school":       school,
			"user":         user,
			"role":         clean(string(by.Role), maxRole),
			"action":       e.Action,
			"subject_type": e.SubjectType,
			"subject_id":   e.SubjectID,
			"request_id":   clean(by.Source.RequestID, maxRequestID),
			"client_addr":  clean(by.Source.ClientIP, maxClientAddr),
			"user_agent":   clean(by.Source.UserAgent, maxUserAgent),
			"details":      details,
		})
	if err != nil {
		return fmt.Errorf("audit %q: %w", e.Action, err)
	}
	return nil
}

// check validates e and returns its details as canonical JSON.
func (e Event) check() (string, error) {
	if !actionRE.MatchString(e.Action) || len(e.Action) > 64 {
		return "", errors.New("action must look like area.verb (lower case, digits and _ between dots)")
	}
	if !subjectTypeRE.MatchString(e.SubjectType) || len(e.SubjectType) > 32 {
		return "", fmt.Errorf("subject type %q must be a lower-case word", e.SubjectType)
	}
	if e.SubjectType == "" && e.SubjectID != "" {
		return "", errors.New("a subject id needs a subject type")
	}
	if len(e.SubjectID) > maxSubjectID || !utf8.ValidString(e.SubjectID) || strings.ContainsRune(e.SubjectID, 0) {
		return "", errors.New("subject id must be valid UTF-8 of at most 200 bytes")
	}
	return canonicalDetails(e.Details)
}

// canonicalDetails encodes d as compact JSON with keys in sorted order (what
// encoding/json does for maps) and no HTML escaping: the same details always
// give the same bytes. nil is "{}".
func canonicalDetails(d map[string]any) (string, error) {
	for k := range d {
		if !detailKeyRE.MatchString(k) || len(k) > 64 {
			return "", fmt.Errorf("details key %q must be lower_snake_case", k)
		}
	}
	if d == nil {
		d = map[string]any{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return "", fmt.Errorf("details: %w", err)
	}
	out := strings.TrimSuffix(b.String(), "\n")
	if len(out) > maxDetails {
		return "", fmt.Errorf("details are %d bytes, more than %d", len(out), maxDetails)
	}
	if strings.Contains(out, `\u0000`) {
		return "", errors.New("details may not contain NUL characters") // PostgreSQL's jsonb refuses them
	}
	return out, nil
}

// clean makes s storable as PostgreSQL text of at most max bytes: invalid
// UTF-8 becomes U+FFFD, NUL and other control characters are dropped, and
// the result is cut at a character boundary.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
