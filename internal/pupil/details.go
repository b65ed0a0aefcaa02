package pupil

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// A child's details are the five flags and the social worker: set by a
// roll import, or changed by a DSL on the child's page between imports.
// The name, date of birth, year group, UPN and MIS id come from the roll
// only.

// Flag names one of a child's flags, as forms and the audit name it.
type Flag string

// The flags, named as the children table's columns.
const (
	FlagLookedAfter Flag = "looked_after"
	FlagCPPlan      Flag = "cp_plan"
	FlagChildInNeed Flag = "child_in_need"
	FlagSEND        Flag = "send"
	FlagEHCP        Flag = "ehcp"
)

// Flags lists the flags in the order pages show them.
func Flags() []Flag {
	return []Flag{FlagLookedAfter, FlagCPPlan, FlagChildInNeed, FlagSEND, FlagEHCP}
}

// Label is the flag as pages show it: "Child protection plan".
func (f Flag) Label() string {
	switch f {
	case FlagLookedAfter:
		return "Looked after"
	case FlagCPPlan:
		return "Child protection plan"
	case FlagChildInNeed:
		return "Child in need"
	case FlagSEND:
		return "SEND"
	case FlagEHCP:
		return "EHCP"
	}
	return string(f)
}

// The form fields of a child's details: the flags' checkboxes (each
// one's value a Flag), and the social worker (also its problem's key).
const (
	FieldFlags        = "flags"
	FieldSocialWorker = "social_worker"
)

// MaxSocialWorker is the most bytes a social worker's entry may have (the
// column's limit).
const MaxSocialWorker = 500

// Details are a child's flags and social worker.
type Details struct {
	LookedAfter  bool
	CPPlan       bool
	ChildInNeed  bool
	SEND         bool
	EHCP         bool
	SocialWorker string
}

// Details returns the child's flags and social worker as they stand.
func (c Child) Details() Details {
	return Details{LookedAfter: c.LookedAfter, CPPlan: c.CPPlan, ChildInNeed: c.ChildInNeed, SEND: c.SEND,
		EHCP: c.EHCP, SocialWorker: c.SocialWorker}
}

// Has reports whether d has flag f (false for a flag Haven does not know).
func (d Details) Has(f Flag) bool {
	if p := d.flag(f); p != nil {
		return *p
	}
	return false
}

// Set turns flag f on or off; a flag Haven does not know is ignored.
func (d *Details) Set(f Flag, on bool) {
	if p := d.flag(f); p != nil {
		*p = on
	}
}

func (d *Details) flag(f Flag) *bool {
	switch f {
	case FlagLookedAfter:
		return &d.LookedAfter
	case FlagCPPlan:
		return &d.CPPlan
	case FlagChildInNeed:
		return &d.ChildInNeed
	case FlagSEND:
		return &d.SEND
	case FlagEHCP:
		return &d.EHCP
	}
	return nil
}

// problems tidies and checks d: the social worker is one line of at most
// MaxSocialWorker bytes, as the roll allows.
func (d *Details) problems() validate.Problems {
	p := validate.Problems{}
	d.SocialWorker = strings.TrimSpace(d.SocialWorker)
	if len(d.SocialWorker) > MaxSocialWorker {
		p.Add(FieldSocialWorker, fmt.Sprintf("Social worker must be %d characters or fewer", MaxSocialWorker))
	} else if msg := validate.Name(d.SocialWorker, "Social worker", false, MaxSocialWorker); msg != "" {
		p.Add(FieldSocialWorker, msg)
	}
	return p
}

// changed names what differs between old and d, in the order pages show
// the fields: "cp_plan", "social_worker". It never holds a value.
func (d Details) changed(old Details) []string {
	var out []string
	for _, f := range Flags() {
		if d.Has(f) != old.Has(f) {
			out = append(out, string(f))
		}
	}
	if d.SocialWorker != old.SocialWorker {
		out = append(out, FieldSocialWorker)
	}
	return out
}

// ChangeDetails sets the flags and social worker of the child id of by's
// school to d, in one transaction. Only DSLs change a child's details
// (ErrForbidden); an unknown child, or one of another school, is
// db.ErrNotFound; problems with d are validate.Problems keyed by form field,
// and nothing is written. Details the same as those stored are no change:
// nothing is written or audited. Otherwise audited as child.details_change,
// naming the fields changed and never their values.
func (s *Service) ChangeDetails(ctx context.Context, by actor.Actor, id int64, d Details) error {
	if by.Role != actor.DSL || by.UserID == 0 {
		return ErrForbidden
	}
	if p := d.problems(); len(p) > 0 {
		return p
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		old, err := getForUpdate(ctx, tx, by.SchoolID, id)
		if err != nil {
			return err
		}
		changed := d.changed(old.Details())
		if len(changed) == 0 {
			return nil
		}
		if err := setDetails(ctx, tx, by.SchoolID, id, d); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.details_change", SubjectType: "child",
			SubjectID: strconv.FormatInt(id, 10), Details: map[string]any{"fields": changed}})
	})
	if err != nil {
		return fmt.Errorf("change details of child %d: %w", id, err)
	}
	return nil
}
