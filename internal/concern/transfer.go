package concern

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/when"
)

// EntryTransfer is a chronology entry for a child's move to another
// school: the transfer of their file (internal/records owns transfers;
// the chronology only reads them).
const EntryTransfer EntryKind = "transfer"

// transferEntries are a child's transfers as chronology entries: when the
// move was recorded, when the file was sent and when its receipt was
// confirmed — and, while it is not, that it is overdue past its due date.
func transferEntries(ctx context.Context, q db.Querier, schoolID, childID int64, now time.Time) ([]Entry, error) {
	rows, _ := q.Query(ctx, `SELECT t.id, t.destination_school, t.destination_dsl, t.left_on, t.due_on, t.created_at,
			coalesce(u.name, ''), t.sent_at, coalesce(su.name, ''), t.sent_how, t.received_at, t.received_by_name
		FROM child_transfers t LEFT JOIN users u ON u.id = t.created_by LEFT JOIN users su ON su.id = t.sent_by
		WHERE t.school_id = $1 AND t.child_id = $2 ORDER BY t.created_at`, schoolID, childID)
	var (
		id                  int64
		school, dsl         string
		left, due, created  time.Time
		by, sentBy, sentHow string
		sent, received      *time.Time
		receivedBy          string
		out                 []Entry
	)
	_, err := pgx.ForEachRow(rows, []any{&id, &school, &dsl, &left, &due, &created, &by, &sent, &sentBy, &sentHow,
		&received, &receivedBy}, func() error {
		ref := "T-" + strconv.FormatInt(id, 10)
		out = append(out, Entry{Kind: EntryTransfer, At: created, Recorded: created, Ref: ref, By: by, Title: "Moving to " + school,
			Details: []Detail{{"Left", when.Day(left)}, {"Their DSL", dsl},
				{"File due by", when.Day(due)}}})
		if sent != nil {
			out = append(out, Entry{Kind: EntryTransfer, At: *sent, Recorded: *sent, Ref: ref, By: sentBy, Title: "Safeguarding file sent to " + school,
				Details: []Detail{{"How", sentHow}}})
		}
		switch {
		case received != nil:
			out = append(out, Entry{Kind: EntryTransfer, At: *received, Recorded: *received, Ref: ref, By: receivedBy,
				Title: "Receipt of the file confirmed by " + school})
		case when.Today(now).After(due):
			what := "not sent"
			if sent != nil {
				what = "sent, receipt not confirmed"
			}
			out = append(out, Entry{Kind: EntryTransfer, At: dayMoment(due.AddDate(0, 0, 1), time.Time{}), DateOnly: true, Ref: ref,
				Title: "Transfer overdue: the file is " + what})
		}
		return nil
	})
	return out, err
}
