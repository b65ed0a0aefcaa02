package pupil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// Importing the roll: the file is kept as uploaded (StageImport), its
// preview lists what would happen row by row — or every problem with its
// line, in which case nothing can be imported — (Preview), and Apply does
// it all in one transaction. A child is matched by UPN, then by MIS id:
// a match is updated, never duplicated. A row matching no child on the
// roll but one child added inline (same names and date of birth, or year
// group when no date is known) takes that child onto the roll with their
// concerns; a row matching a child on the roll and also an inline child
// merges the inline child into it (merge_inline_child, migration 00093).

// ErrImportRefused means the file has problems, or was already imported.
var ErrImportRefused = errors.New("this roll file cannot be imported")

// RollUpdate is a child on the roll that a row changes.
type RollUpdate struct {
	Row     RollRow
	Child   Child
	Changes []string // what changes, in words: "year group", "date of birth"
}

// RollMerge is a child added inline whom a row matches: adopted onto the
// roll (Into nil), or merged into the roll child Into.
type RollMerge struct {
	Row    RollRow
	Inline Child
	Into   *Child
}

// ImportPreview is what importing a roll file would do.
type ImportPreview struct {
	ID        int64
	FileName  string
	CreatedAt time.Time
	AppliedAt *time.Time
	Rows      int
	Problems  []RowProblem // any: the file is refused
	Add       []RollRow
	Update    []RollUpdate
	Merge     []RollMerge
	Unchanged int
	Result    ImportResult // once applied
}

// Refused reports whether the file cannot be imported.
func (p ImportPreview) Refused() bool { return len(p.Problems) > 0 || p.AppliedAt != nil }

// ImportResult is what an import did.
type ImportResult struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Merged    int `json:"merged"`
	Unchanged int `json:"unchanged"`
}

func mayImport(by actor.Actor) bool {
	return by.UserID != 0 && (by.Role == actor.Admin || by.Role == actor.DSL)
}

// StageImport keeps a roll CSV for its preview and returns the preview.
// Nothing reaches the roll. Admins and DSLs only (ErrForbidden). Audited
// as child.roll_upload (the file's size, never its content).
func (s *Service) StageImport(ctx context.Context, by actor.Actor, fileName string, content []byte) (ImportPreview, error) {
	if !mayImport(by) {
		return ImportPreview{}, ErrForbidden
	}
	if len(content) > MaxRollBytes {
		return ImportPreview{Problems: []RowProblem{{Message: fmt.Sprintf("The file is larger than %d MB", MaxRollBytes>>20)}}}, nil
	}
	name := filepath.Base(strings.ReplaceAll(fileName, `\`, "/"))
	if len(name) > 255 || name == "." || name == "/" {
		name = "roll.csv"
	}
	var p ImportPreview
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO roll_imports (school_id, uploaded_by, file_name, content)
			VALUES ($1, $2, $3, $4) RETURNING id`, by.SchoolID, by.UserID, name, content).Scan(&id); err != nil {
			return err
		}
		var err error
		if p, err = preview(ctx, tx, by.SchoolID, id, time.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.roll_upload", SubjectType: "roll_import",
			SubjectID: fmt.Sprint(id), Details: map[string]any{"bytes": len(content), "rows": p.Rows, "problems": len(p.Problems)}})
	})
	if err != nil {
		return ImportPreview{}, fmt.Errorf("stage roll import: %w", err)
	}
	return p, nil
}

// Preview returns what importing the staged file id would do now. Admins
// and DSLs only; an unknown import is db.ErrNotFound. Not audited (the
// upload was).
func (s *Service) Preview(ctx context.Context, by actor.Actor, id int64) (ImportPreview, error) {
	if !mayImport(by) {
		return ImportPreview{}, ErrForbidden
	}
	var p ImportPreview
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		p, err = preview(ctx, tx, by.SchoolID, id, time.Now())
		return err
	})
	if err != nil {
		return ImportPreview{}, fmt.Errorf("preview roll import %d: %w", id, err)
	}
	return p, nil
}

// ApplyImport imports the staged file id, all or nothing, in one
// transaction: it adds, updates and merges as its preview says (worked out
// again, under lock), so no child is ever duplicated. A file with problems,
// or one already imported, is ErrImportRefused and writes nothing.
// Audited as child.roll_import with the counts, and child.merge for each
// inline child merged.
func (s *Service) ApplyImport(ctx context.Context, by actor.Actor, id int64) (ImportResult, error) {
	if !mayImport(by) {
		return ImportResult{}, ErrForbidden
	}
	var res ImportResult
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM roll_imports WHERE school_id = $1 AND id = $2 FOR UPDATE`, by.SchoolID, id); err != nil {
			return err
		}
		// One roll import at a time per school, so two cannot both add a child.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('roll_import', $1))`, by.SchoolID); err != nil {
			return err
		}
		p, err := preview(ctx, tx, by.SchoolID, id, time.Now())
		if err != nil {
			return err
		}
		if p.Refused() {
			return ErrImportRefused
		}
		for _, row := range p.Add {
			c, err := insert(ctx, tx, by, newChildOf(row), false)
			if err != nil {
				return err
			}
			if err := setRollFields(ctx, tx, by.SchoolID, c.ID, row); err != nil {
				return err
			}
		}
		for _, u := range p.Update {
			if err := updateFromRow(ctx, tx, by.SchoolID, u.Child.ID, u.Row); err != nil {
				return err
			}
		}
		for _, m := range p.Merge {
			into := m.Inline.ID
			if m.Into != nil {
				into = m.Into.ID
				if _, err := tx.Exec(ctx, `SELECT merge_inline_child($1, $2)`, m.Inline.ID, m.Into.ID); err != nil {
					return fmt.Errorf("merge child %d into %d: %w", m.Inline.ID, m.Into.ID, err)
				}
			}
			if err := updateFromRow(ctx, tx, by.SchoolID, into, m.Row); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, by, audit.Event{Action: "child.merge", SubjectType: "child",
				SubjectID: fmt.Sprint(into), Details: map[string]any{"merged": m.Inline.ID, "roll_import": id}}); err != nil {
				return err
			}
		}
		res = ImportResult{Added: len(p.Add), Updated: len(p.Update), Merged: len(p.Merge), Unchanged: p.Unchanged}
		result, _ := json.Marshal(res)
		if _, err := tx.Exec(ctx, `UPDATE roll_imports SET applied_at = now(), result = $3 WHERE school_id = $1 AND id = $2`,
			by.SchoolID, id, result); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.roll_import", SubjectType: "roll_import",
			SubjectID: fmt.Sprint(id), Details: map[string]any{"added": res.Added, "updated": res.Updated,
				"merged": res.Merged, "unchanged": res.Unchanged}})
	})
	if errors.Is(err, ErrImportRefused) || errors.Is(err, db.ErrNotFound) {
		return ImportResult{}, err
	}
	if db.IsUniqueViolation(err, "") {
		return ImportResult{}, ErrImportRefused
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("apply roll import %d: %w", id, err)
	}
	return res, nil
}

// preview works out what importing file id of school would do.
func preview(ctx context.Context, q db.Querier, schoolID, id int64, now time.Time) (ImportPreview, error) {
	p := ImportPreview{ID: id}
	var content []byte
	var result []byte
	err := q.QueryRow(ctx, `SELECT file_name, content, created_at, applied_at, result FROM roll_imports
		WHERE school_id = $1 AND id = $2`, schoolID, id).Scan(&p.FileName, &content, &p.CreatedAt, &p.AppliedAt, &result)
	if errors.Is(err, pgx.ErrNoRows) {
		return ImportPreview{}, db.ErrNotFound
	}
	if err != nil {
		return ImportPreview{}, err
	}
	_ = json.Unmarshal(result, &p.Result)
	rows, problems := ParseRoll(content, now)
	p.Rows, p.Problems = len(rows), problems
	roll, err := rollChildren(ctx, q, schoolID)
	if err != nil {
		return ImportPreview{}, err
	}
	byUPN, byMIS := map[string]Child{}, map[string]Child{}
	inline := map[string][]Child{} // by lower-case name
	for _, c := range roll {
		switch {
		case c.AddedInline && c.UPN == nil && c.MISID == nil:
			k := strings.ToLower(c.FirstName + "\x00" + c.LastName)
			inline[k] = append(inline[k], c)
		default:
			if c.UPN != nil {
				byUPN[*c.UPN] = c
			}
			if c.MISID != nil {
				byMIS[*c.MISID] = c
			}
		}
	}
	taken := map[int64]int{} // child id → the line that matched it
	for _, row := range rows {
		var match *Child
		if c, ok := byUPN[row.UPN]; ok && row.UPN != "" {
			match = &c
		} else if c, ok := byMIS[row.MISID]; ok && row.MISID != "" {
			match = &c
		}
		if match != nil {
			if first, dup := taken[match.ID]; dup {
				p.Problems = append(p.Problems, RowProblem{Line: row.Line,
					Message: fmt.Sprintf("Matches the same child as line %d (by UPN or MIS id)", first)})
				continue
			}
			taken[match.ID] = row.Line
			if match.UPN != nil && row.UPN != "" && *match.UPN != row.UPN {
				p.Problems = append(p.Problems, RowProblem{Line: row.Line, Column: "UPN",
					Message: "The MIS id is a child on the roll with a different UPN: check the file"})
				continue
			}
		}
		var candidate *Child
		for _, c := range inline[strings.ToLower(row.FirstName+"\x00"+row.LastName)] {
			if sameChild(c, row) {
				if candidate != nil { // two inline children could be this one: leave it to a DSL
					candidate = nil
					break
				}
				candidate = &c
			}
		}
		if candidate != nil {
			if _, dup := taken[candidate.ID]; dup {
				candidate = nil
			} else {
				taken[candidate.ID] = row.Line
			}
		}
		switch {
		case candidate != nil:
			p.Merge = append(p.Merge, RollMerge{Row: row, Inline: *candidate, Into: match})
		case match != nil:
			if changes := changesOf(*match, row); len(changes) > 0 {
				p.Update = append(p.Update, RollUpdate{Row: row, Child: *match, Changes: changes})
			} else {
				p.Unchanged++
			}
		default:
			p.Add = append(p.Add, row)
		}
	}
	return p, nil
}

// sameChild reports whether an inline child is the child of a row with
// the same names: the same date of birth, or — when either lacks one — the
// same year group.
func sameChild(c Child, row RollRow) bool {
	if c.DateOfBirth != nil && row.DateOfBirth != nil {
		return c.DateOfBirth.Equal(*row.DateOfBirth)
	}
	return c.YearGroup != nil && row.YearGroup != nil && *c.YearGroup == *row.YearGroup
}

// changesOf lists what a row would change of a child on the roll.
func changesOf(c Child, row RollRow) []string {
	var out []string
	if c.FirstName != row.FirstName || c.LastName != row.LastName {
		out = append(out, "name")
	}
	if !sameDate(c.DateOfBirth, row.DateOfBirth) && row.DateOfBirth != nil {
		out = append(out, "date of birth")
	}
	if row.YearGroup != nil && (c.YearGroup == nil || *c.YearGroup != *row.YearGroup) {
		out = append(out, "year group")
	}
	if row.UPN != "" && (c.UPN == nil || *c.UPN != row.UPN) {
		out = append(out, "UPN")
	}
	if row.MISID != "" && (c.MISID == nil || *c.MISID != row.MISID) {
		out = append(out, "MIS id")
	}
	flag := func(name string, have bool, want *bool) {
		if want != nil && *want != have {
			out = append(out, name+": "+yesNo(*want))
		}
	}
	flag("looked after", c.LookedAfter, row.LookedAfter)
	flag("child protection plan", c.CPPlan, row.CPPlan)
	flag("child in need", c.ChildInNeed, row.ChildInNeed)
	flag("SEND", c.SEND, row.SEND)
	flag("EHCP", c.EHCP, row.EHCP)
	if row.SocialWorker != nil && *row.SocialWorker != c.SocialWorker {
		out = append(out, "social worker")
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func newChildOf(row RollRow) NewChild {
	return NewChild{FirstName: row.FirstName, LastName: row.LastName, DateOfBirth: row.DateOfBirth,
		YearGroup: row.YearGroup, UPN: row.UPN, MISID: row.MISID}
}

// rollChildren returns every child of the school.
func rollChildren(ctx context.Context, q db.Querier, schoolID int64) ([]Child, error) {
	rows, _ := q.Query(ctx, `SELECT `+childColumns+` FROM children WHERE school_id = $1 ORDER BY id`, schoolID)
	return pgx.CollectRows(rows, pgx.RowToStructByName[Child])
}

// updateFromRow sets a child's details from a roll row: what the row has
// (a missing flag column leaves the flag), and marks the child on the roll.
func updateFromRow(ctx context.Context, q db.Querier, schoolID, childID int64, row RollRow) error {
	_, err := q.Exec(ctx, `UPDATE children SET first_name = @first, last_name = @last,
			date_of_birth = coalesce(@dob, date_of_birth), year_group = coalesce(@year, year_group),
			upn = coalesce(nullif(@upn, ''), upn), mis_id = coalesce(nullif(@mis, ''), mis_id),
			added_inline = false
		WHERE school_id = @school AND id = @id`,
		pgx.NamedArgs{"school": schoolID, "id": childID, "first": row.FirstName, "last": row.LastName,
			"dob": row.DateOfBirth, "year": row.YearGroup, "upn": row.UPN, "mis": row.MISID})
	if err != nil {
		return err
	}
	return setRollFields(ctx, q, schoolID, childID, row)
}

// setRollFields sets the flags and social worker a row has on a child.
func setRollFields(ctx context.Context, q db.Querier, schoolID, childID int64, row RollRow) error {
	_, err := q.Exec(ctx, `UPDATE children SET looked_after = coalesce(@la, looked_after), cp_plan = coalesce(@cp, cp_plan),
			child_in_need = coalesce(@cin, child_in_need), send = coalesce(@send, send), ehcp = coalesce(@ehcp, ehcp),
			social_worker = coalesce(@sw, social_worker)
		WHERE school_id = @school AND id = @id`,
		pgx.NamedArgs{"school": schoolID, "id": childID, "la": row.LookedAfter, "cp": row.CPPlan, "cin": row.ChildInNeed,
			"send": row.SEND, "ehcp": row.EHCP, "sw": row.SocialWorker})
	return err
}

// RollImports lists the school's recent roll imports, newest first.
// Admins and DSLs only.
func (s *Service) RollImports(ctx context.Context, by actor.Actor) ([]ImportPreview, error) {
	if !mayImport(by) {
		return nil, ErrForbidden
	}
	var out []ImportPreview
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT id, file_name, created_at, applied_at, result FROM roll_imports
			WHERE school_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20`, by.SchoolID)
		var p ImportPreview
		var result []byte
		_, err := pgx.ForEachRow(rows, []any{&p.ID, &p.FileName, &p.CreatedAt, &p.AppliedAt, &result}, func() error {
			x := p
			x.Result = ImportResult{}
			_ = json.Unmarshal(result, &x.Result)
			out = append(out, x)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list roll imports: %w", err)
	}
	return out, nil
}
