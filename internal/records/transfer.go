package records

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/plural"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Transfers: when a child leaves, a DSL records the school they go to and
// its DSL, makes the child's file, sends it (outside Haven, separately
// from the main pupil file) and records that it was sent; Haven then
// emails the receiving DSL a one-time link to confirm receipt, by name.
// The file is due within TransferDays school days of the day the child
// left, counted on the school's calendar (so a child who leaves at the
// end of term is due in the first days of the next); a daily job reminds
// the DSLs to chase until receipt is confirmed, and overdue transfers are
// listed for the DSL team and on the child's chronology.

// TransferDays is how many school days a school has to send a child's file.
const TransferDays = 5

// Transfer is a child's move to another school.
type Transfer struct {
	ID                int64
	ChildID           int64
	ChildName         string
	DestinationSchool string
	DestinationDSL    string
	DestinationEmail  string
	LeftOn            time.Time
	DueOn             time.Time
	CreatedBy         string
	CreatedAt         time.Time
	FileExportID      *int64     // the child's file last made for the transfer
	FileMadeAt        *time.Time // when it was made
	FileFormat        Format
	SentAt            *time.Time
	SentHow           string
	ReceivedAt        *time.Time
	ReceivedByName    string
	SentExportID      *int64     // the child's file sent, when it was made in Haven
	SentFileMadeAt    *time.Time // when that file was made
	SentFileFormat    Format
	SentAlternative   Alternative // what was sent instead, when not a file made in Haven
	SentReason        string      // why the alternative
}

// Alternative is a way of sending a child's file other than one made in
// Haven: each needs a reason.
type Alternative string

// The alternatives to a file made in Haven ("": none, the file was made).
const (
	ByHand        Alternative = "by_hand"
	LASecureEmail Alternative = "la_secure_email"
	OtherWay      Alternative = "other"
)

// Label is the alternative in words.
func (a Alternative) Label() string {
	switch a {
	case ByHand:
		return "Delivered by hand"
	case LASecureEmail:
		return "Sent by secure email from the local authority’s system"
	case OtherWay:
		return "Sent another way"
	}
	return ""
}

// Ref is the transfer's reference, for the receiving school: "T-42".
func (t Transfer) Ref() string { return "T-" + strconv.FormatInt(t.ID, 10) }

// Overdue reports whether the file was not sent, or its receipt not
// confirmed, by the due date, at now.
func (t Transfer) Overdue(now time.Time) bool {
	return t.ReceivedAt == nil && when.Today(now).After(t.DueOn)
}

// State is where the transfer is, in words.
func (t Transfer) State(now time.Time) string {
	switch {
	case t.ReceivedAt != nil:
		return "Receipt confirmed by " + t.ReceivedByName
	case t.SentAt != nil && t.Overdue(now):
		return "Sent; receipt not confirmed — overdue"
	case t.SentAt != nil:
		return "Sent; waiting for the receiving DSL to confirm receipt"
	case t.Overdue(now):
		return "File not sent — overdue"
	}
	return "File not sent yet"
}

// TransferForm is a new transfer as typed.
type TransferForm struct {
	DestinationSchool string
	DestinationDSL    string
	DestinationEmail  string
	LeftOn            time.Time // the zero time: not given or not a date
}

func (f *TransferForm) problems(now time.Time) validate.Problems {
	p := validate.Problems{}
	f.DestinationSchool, f.DestinationDSL = strings.TrimSpace(f.DestinationSchool), strings.TrimSpace(f.DestinationDSL)
	f.DestinationEmail = strings.ToLower(strings.TrimSpace(f.DestinationEmail))
	if msg := validate.Name(f.DestinationSchool, "the school the child is moving to", true, 300); msg != "" {
		p.Add("destination_school", msg)
	}
	if msg := validate.Name(f.DestinationDSL, "the name of that school's DSL", true, 200); msg != "" {
		p.Add("destination_dsl", msg)
	}
	if a, err := mail.ParseAddress(f.DestinationEmail); err != nil || a.Address != f.DestinationEmail || len(f.DestinationEmail) > 320 {
		p.Add("destination_email", "Enter the DSL's email address, like dsl@school.example")
	}
	switch {
	case f.LeftOn.IsZero():
		p.Add("left_on", "Enter the date the child left, for example 17 7 2026")
	case f.LeftOn.After(when.Today(now).AddDate(0, 3, 0)):
		p.Add("left_on", "The date the child leaves must be within the next three months")
	}
	return p
}

// StartTransfer records that child childID of by's school is moving to
// another school, with its DSL, and when they left: the file is due
// TransferDays school days later on the school's calendar. DSLs only
// (ErrForbidden); an unknown child is db.ErrNotFound; problems are
// validate.Problems. Audited as transfer.start.
func (s *Service) StartTransfer(ctx context.Context, by actor.Actor, childID int64, f TransferForm) (Transfer, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return Transfer{}, ErrForbidden
	}
	if p := f.problems(s.now()); len(p) > 0 {
		return Transfer{}, p
	}
	var t Transfer
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := childExists(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		cal, err := school.CalendarOf(ctx, tx, by.SchoolID)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if len(cal.Days) == 0 {
			cal.Days = []int{1, 2, 3, 4, 5}
		}
		// From the day the child left: 5 school days after it (at the end
		// of a term, the first 5 days of the next).
		left := time.Date(f.LeftOn.Year(), f.LeftOn.Month(), f.LeftOn.Day(), 12, 0, 0, 0, time.UTC)
		due := cal.AddWorkingDays(left, TransferDays)
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO child_transfers (school_id, child_id, destination_school, destination_dsl,
				destination_email, left_on, due_on, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			by.SchoolID, childID, f.DestinationSchool, f.DestinationDSL, f.DestinationEmail, f.LeftOn, due, by.UserID).Scan(&id); err != nil {
			return err
		}
		if t, err = getTransfer(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "transfer.start", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"transfer": id, "due_on": due.Format(time.DateOnly)}})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return Transfer{}, err
	}
	if err != nil {
		return Transfer{}, fmt.Errorf("start transfer of child %d: %w", childID, err)
	}
	return t, nil
}

const transferColumns = `t.id, t.child_id, coalesce(ch.first_name || ' ' || ch.last_name, ''), t.destination_school, t.destination_dsl,
	t.destination_email, t.left_on, t.due_on, coalesce(u.name, ''), t.created_at, t.file_export_id, fe.ready_at,
	coalesce(fe.format, ''), t.sent_at, t.sent_how, t.received_at, t.received_by_name, t.sent_export_id, se.ready_at,
	coalesce(se.format, ''), coalesce(t.sent_alternative, ''), t.sent_reason`

const transferJoins = `LEFT JOIN children ch ON ch.school_id = t.school_id AND ch.id = t.child_id
	LEFT JOIN users u ON u.id = t.created_by
	LEFT JOIN exports fe ON fe.school_id = t.school_id AND fe.id = t.file_export_id
	LEFT JOIN exports se ON se.school_id = t.school_id AND se.id = t.sent_export_id`

func getTransfer(ctx context.Context, q db.Querier, schoolID, id int64) (Transfer, error) {
	rows, _ := q.Query(ctx, `SELECT `+transferColumns+` FROM child_transfers t `+transferJoins+`
		WHERE t.school_id = $1 AND t.id = $2`, schoolID, id)
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Transfer])
	if errors.Is(err, pgx.ErrNoRows) {
		return Transfer{}, db.ErrNotFound
	}
	return t, err
}

// Transfers lists the transfers of by's school for its DSLs, those still
// open first (oldest due first), then the rest, newest first. Anyone else
// gets ErrForbidden. Not audited: it names children and schools, no case detail.
func (s *Service) Transfers(ctx context.Context, by actor.Actor) ([]Transfer, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return nil, ErrForbidden
	}
	var out []Transfer
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+transferColumns+` FROM child_transfers t `+transferJoins+`
			WHERE t.school_id = $1 ORDER BY t.received_at IS NOT NULL, CASE WHEN t.received_at IS NULL THEN t.due_on END,
				t.created_at DESC LIMIT 500`, by.SchoolID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Transfer])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list transfers: %w", err)
	}
	return out, nil
}

// OverdueTransfers lists the transfers of by's school whose file was not
// sent, or whose receipt was not confirmed, by the due date: for the DSL
// dashboard. DSLs only (anyone else: none).
func (s *Service) OverdueTransfers(ctx context.Context, by actor.Actor) ([]Transfer, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return nil, nil
	}
	all, err := s.Transfers(ctx, by)
	if err != nil {
		return nil, err
	}
	var out []Transfer
	now := s.now()
	for _, t := range all {
		if t.Overdue(now) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Transfer returns one transfer of by's school for its DSLs (anyone else,
// or an unknown id: db.ErrNotFound).
func (s *Service) Transfer(ctx context.Context, by actor.Actor, id int64) (Transfer, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return Transfer{}, db.ErrNotFound
	}
	var t Transfer
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		t, err = getTransfer(ctx, tx, by.SchoolID, id)
		return err
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Transfer{}, fmt.Errorf("transfer %d: %w", id, err)
	}
	return t, err
}

// SendForm is "Record that you sent it", as typed: what was sent — the
// child's file made in Haven and attached to the transfer, or an
// alternative with its reason — and how.
type SendForm struct {
	File   string // "made", or an Alternative
	How    string
	Reason string // why the alternative
}

// problems checks f against t: the file made in Haven needs one attached
// to the transfer; an alternative needs a reason.
func (f *SendForm) problems(t Transfer) validate.Problems {
	p := validate.Problems{}
	f.How, f.Reason = strings.TrimSpace(f.How), strings.TrimSpace(f.Reason)
	switch Alternative(f.File) {
	case "":
		p.Add("sent_file", "Choose what you sent: make the child’s file first (step 1), or record what was sent instead")
	case "made":
		if t.FileExportID == nil {
			p.Add("sent_file", "No child’s file has been made for this transfer: make it first (step 1), or record what was sent instead")
		}
	case ByHand, LASecureEmail, OtherWay:
		if msg := validate.Text(f.Reason, "why the file was not made in Haven", true, 2000); msg != "" {
			p.Add("sent_reason", msg)
		}
	default:
		p.Add("sent_file", "Choose what you sent")
	}
	if msg := validate.Text(f.How, "how you sent the file", true, 500); msg != "" {
		p.Add("sent_how", msg)
	}
	return p
}

// MarkSent records that the child's file of transfer id was sent, what
// was sent and how, and emails the receiving DSL a one-time link to
// confirm receipt — the link, the two schools and the transfer's
// reference, never the child's name. What was sent is the child's file
// made in Haven and attached to the transfer (MakeChildFile), or an
// alternative with a reason; without either nothing is recorded or
// emailed (validate.Problems for "sent_file", "sent_how", "sent_reason").
// It returns the link's token. Sending again issues a new link (the old
// one stops working). DSLs only; an unknown transfer, or one received, is
// db.ErrNotFound. Audited as transfer.sent (the file's export, or the
// alternative; never the reason).
func (s *Service) MarkSent(ctx context.Context, by actor.Actor, id int64, f SendForm) (string, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return "", db.ErrNotFound
	}
	token := rand.Text() + rand.Text() // 52 base32 characters, 260 bits
	hash := sha256.Sum256([]byte(token))
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		t, err := getTransferForUpdate(ctx, tx, by.SchoolID, id)
		if err != nil {
			return err
		}
		if t.ReceivedAt != nil {
			return db.ErrNotFound
		}
		if p := f.problems(t); len(p) > 0 {
			return p
		}
		details := map[string]any{"transfer": id}
		var sentExport *int64
		var alternative *string
		reason := ""
		if f.File == "made" {
			sentExport = t.FileExportID
			details["export"] = *t.FileExportID
		} else {
			alternative, reason = &f.File, f.Reason
			details["alternative"] = f.File
		}
		if _, err := tx.Exec(ctx, `UPDATE child_transfers SET sent_at = now(), sent_by = $3, sent_how = $4, receipt_hash = $5,
				sent_export_id = $6, sent_alternative = $7, sent_reason = $8
			WHERE school_id = $1 AND id = $2`, by.SchoolID, id, by.UserID, f.How, hash[:], sentExport, alternative, reason); err != nil {
			return err
		}
		var from string
		if err := tx.QueryRow(ctx, `SELECT name FROM schools WHERE id = $1`, by.SchoolID).Scan(&from); err != nil {
			return err
		}
		if s.jobs != nil {
			if _, err := s.jobs.InsertTx(ctx, tx, notify.EmailArgs{To: t.DestinationEmail,
				Subject: "Please confirm you received a child's safeguarding file",
				Text: "Dear " + t.DestinationDSL + ",\n\n" + from + " has sent " + t.DestinationSchool + " the safeguarding file " +
					"of a child who has moved to your school (transfer " + t.Ref() + "). The file itself comes separately, " +
					"with its password sent another way.\n\nWhen you have it, please confirm receipt, with your name, here " +
					"(the link works once):\n" + s.baseURL + paths.TransferReceipt(token) + "\n"}, nil); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "transfer.sent", SubjectType: "child",
			SubjectID: strconv.FormatInt(t.ChildID, 10), Details: details})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("mark transfer %d sent: %w", id, err)
	}
	return token, nil
}

// getTransferForUpdate is getTransfer with the transfer's row locked, so
// the file attached cannot change while it is recorded as sent.
func getTransferForUpdate(ctx context.Context, q db.Querier, schoolID, id int64) (Transfer, error) {
	if _, err := q.Exec(ctx, `SELECT 1 FROM child_transfers WHERE school_id = $1 AND id = $2 FOR UPDATE`, schoolID, id); err != nil {
		return Transfer{}, err
	}
	return getTransfer(ctx, q, schoolID, id)
}

// Receipt is what the receipt link's page shows: no child's name.
type Receipt struct {
	Ref               string
	FromSchool        string
	DestinationSchool string
	SentAt            time.Time
	SentHow           string
	FileMadeAt        *time.Time // the file sent, when made in Haven
	FileFormat        Format
	Alternative       Alternative // what was sent instead ("" when the file was made)
}

// transferByToken finds the open transfer of a receipt token, in any
// school (db.ErrNotFound when unknown or used).
func (s *Service) transferByToken(ctx context.Context, token string) (schoolID, id int64, err error) {
	if len(token) < 40 || len(token) > 120 {
		return 0, 0, db.ErrNotFound
	}
	hash := sha256.Sum256([]byte(token))
	err = db.InTx(ctx, s.pool, actor.Actor{Role: actor.System}, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT school_id, id FROM transfer_by_receipt($1)`, hash[:]).Scan(&schoolID, &id)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, db.ErrNotFound
	}
	return schoolID, id, err
}

// ReceiptFor returns what the receipt link of token shows, or
// db.ErrNotFound when the link is unknown or was used.
func (s *Service) ReceiptFor(ctx context.Context, token string) (Receipt, error) {
	schoolID, id, err := s.transferByToken(ctx, token)
	if err != nil {
		return Receipt{}, err
	}
	var r Receipt
	err = db.InSchool(ctx, s.pool, actor.SystemIn(schoolID), func(tx pgx.Tx) error {
		t, err := getTransfer(ctx, tx, schoolID, id)
		if err != nil {
			return err
		}
		r = Receipt{Ref: t.Ref(), DestinationSchool: t.DestinationSchool, SentHow: t.SentHow, FileMadeAt: t.SentFileMadeAt,
			FileFormat: t.SentFileFormat, Alternative: t.SentAlternative}
		if t.SentAt != nil {
			r.SentAt = *t.SentAt
		}
		return tx.QueryRow(ctx, `SELECT name FROM schools WHERE id = $1`, schoolID).Scan(&r.FromSchool)
	})
	return r, err
}

// ConfirmReceipt records, through the one-time link of token, that the
// receiving DSL (name, a problem for "name" without it) has the child's
// file. The link then stops working: a second use is db.ErrNotFound.
// Audited as transfer.receipt by the system, from src.
func (s *Service) ConfirmReceipt(ctx context.Context, token, name string, src actor.Source) error {
	name = strings.TrimSpace(name)
	if msg := validate.Name(name, "your full name", true, 200); msg != "" {
		return validate.Problems{"name": msg}
	}
	schoolID, id, err := s.transferByToken(ctx, token)
	if err != nil {
		return err
	}
	by := actor.SystemIn(schoolID)
	by.Source = src
	return db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var child int64
		err := tx.QueryRow(ctx, `UPDATE child_transfers SET received_at = now(), received_by_name = $3, receipt_hash = NULL
			WHERE school_id = $1 AND id = $2 AND received_at IS NULL RETURNING child_id`, schoolID, id, name).Scan(&child)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "transfer.receipt", SubjectType: "child",
			SubjectID: strconv.FormatInt(child, 10), Details: map[string]any{"transfer": id}})
	})
}

// TransferChaseArgs is the daily job that reminds each school's DSLs of
// transfers due within a day or overdue.
type TransferChaseArgs struct{}

// Kind names the job for River.
func (TransferChaseArgs) Kind() string { return "records_transfer_chase" }

type transferChaseWorker struct {
	river.WorkerDefaults[TransferChaseArgs]
	s *Service
}

// Work chases every school's transfers.
func (w *transferChaseWorker) Work(ctx context.Context, _ *river.Job[TransferChaseArgs]) error {
	_, err := w.s.ChaseTransfers(ctx)
	return err
}

// ChaseTransfers emails each school's DSLs, once a day, about its open
// transfers that are due by tomorrow or overdue (a link to the list, no
// names), as the system, and returns how many transfers were chased.
// Audited as transfer.remind per transfer.
func (s *Service) ChaseTransfers(ctx context.Context) (int, error) {
	schools, err := schoolIDs(ctx, s.pool)
	if err != nil {
		return 0, err
	}
	today := when.Today(s.now())
	chased := 0
	for _, schoolID := range schools {
		sys := actor.SystemIn(schoolID)
		err := db.InSchool(ctx, s.pool, sys, func(tx pgx.Tx) error {
			rows, _ := tx.Query(ctx, `UPDATE child_transfers SET last_reminded_on = $2
				WHERE school_id = $1 AND received_at IS NULL AND due_on <= $2::date + 1
				  AND (last_reminded_on IS NULL OR last_reminded_on < $2) RETURNING id, due_on < $2`, schoolID, today)
			type due struct {
				ID      int64
				Overdue bool
			}
			list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[due])
			if err != nil || len(list) == 0 {
				return err
			}
			overdue := 0
			for _, d := range list {
				if d.Overdue {
					overdue++
				}
				if err := audit.Record(ctx, tx, sys, audit.Event{Action: "transfer.remind",
					Details: map[string]any{"transfer": d.ID, "overdue": d.Overdue}}); err != nil {
					return err
				}
			}
			chased += len(list)
			return s.emailTeam(ctx, tx, schoolID, "Children's files to send or chase",
				fmt.Sprintf("%s due to reach their new schools by tomorrow or overdue "+
					"(%d overdue). Send them, or chase the receiving DSL's confirmation of receipt.\n\nSee the transfers "+
					"(you will be asked to sign in):\n%s/transfers\n", plural.Count(len(list), "child's safeguarding file is", "children's safeguarding files are"), overdue, s.baseURL))
		})
		if err != nil {
			return chased, fmt.Errorf("chase transfers of school %d: %w", schoolID, err)
		}
	}
	return chased, nil
}
