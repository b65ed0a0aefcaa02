package web

import (
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/page"
)

// auditActionRE is what the Action filter accepts: an action
// ("concern.view") or an area ("concern", "concern.").
var auditActionRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.?$`)

// handleAuditLog handles GET /audit, the school's "Audit log" for the DSL
// team and admins, and its part about concerns about adults for the head
// or chair who handles them (the audit service decides who reads what, and
// answers db.ErrNotFound to anyone else): the filters come in the query
// string (they hold ids and references, never names), the page of events
// from the audit service, which audits the read.
func (s *Server) handleAuditLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := page.AuditLogPage{
		Person: strings.TrimSpace(q.Get("person")),
		Action: strings.TrimSpace(q.Get("action")),
		Record: strings.TrimSpace(q.Get("record")),
		From:   page.AuditDate{Day: q.Get("from-day"), Month: q.Get("from-month"), Year: q.Get("from-year")},
		To:     page.AuditDate{Day: q.Get("to-day"), Month: q.Get("to-month"), Year: q.Get("to-year")},
	}
	f, problems := auditFilter(v)
	by := actorFrom(r)
	if len(problems) > 0 {
		people, part, err := s.audit.People(r.Context(), by)
		if err != nil {
			return err
		}
		v.People, v.Problems, v.AdultsOnly = people, problems, !part.School
		return render(w, r, http.StatusUnprocessableEntity, page.AuditLog(v))
	}
	f.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	p, people, err := s.audit.Log(r.Context(), by, f)
	if err != nil {
		return err
	}
	v.People, v.Entries, v.Withheld, v.AdultsOnly = people, p.Entries, p.Withheld, !p.Part.School
	if p.Next != 0 {
		next := maps.Clone(q)
		next.Set("after", strconv.FormatInt(p.Next, 10))
		v.NextURL = page.AuditLogHref(next)
	}
	if f.After != 0 {
		newest := maps.Clone(q)
		newest.Del("after")
		v.NewestURL = page.AuditLogHref(newest)
	}
	return render(w, r, http.StatusOK, page.AuditLog(v))
}

// handleOldAuditLog handles GET /admin/audit, where the audit log was when
// only admins read it: it sends the request, filters and all, to GET /audit.
func (s *Server) handleOldAuditLog(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, page.AuditLogHref(r.URL.Query()), http.StatusMovedPermanently)
	return nil
}

// auditFilter turns the filters as typed into an audit.Filter, or problems.
func auditFilter(v page.AuditLogPage) (audit.Filter, validate.Problems) {
	var f audit.Filter
	p := validate.Problems{}
	if v.Person != "" {
		id, err := strconv.ParseInt(v.Person, 10, 64)
		if err != nil || id <= 0 {
			p.Add("person", "Choose a person from the list")
		}
		f.UserID = id
	}
	switch {
	case v.Action == "":
	case !auditActionRE.MatchString(v.Action) || len(v.Action) > 64:
		p.Add("action", "Enter an action such as concern.view, or an area such as concern")
	case !strings.Contains(v.Action, "."):
		f.Action = v.Action + "." // an area: every action in it
	default:
		f.Action = v.Action
	}
	if len(v.Record) > 200 {
		p.Add("record", "Record must be 200 characters or fewer")
	}
	f.SubjectID = v.Record
	from, okFrom := auditDay(v.From)
	to, okTo := auditDay(v.To)
	if !okFrom {
		p.Add("from", "From must be a real date, for example 1 9 2026")
	}
	if !okTo {
		p.Add("to", "To must be a real date, for example 30 9 2026")
	}
	if okFrom && okTo && !from.IsZero() && !to.IsZero() && to.Before(from) {
		p.Add("to", "To must be the same as or after From")
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole of the To day
	}
	return f, p
}

// auditDay reads a day typed as day, month and year: the start of that day
// in the school's time zone, the zero time when nothing was typed, and
// false when it is not a real date.
func auditDay(d page.AuditDate) (time.Time, bool) {
	if strings.TrimSpace(d.Day+d.Month+d.Year) == "" {
		return time.Time{}, true
	}
	day, err1 := strconv.Atoi(strings.TrimSpace(d.Day))
	month, err2 := strconv.Atoi(strings.TrimSpace(d.Month))
	year, err3 := strconv.Atoi(strings.TrimSpace(d.Year))
	if err1 != nil || err2 != nil || err3 != nil || year < 2000 || year > 9999 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, when.London())
	if t.Day() != day || int(t.Month()) != month {
		return time.Time{}, false // 31 February, month 13, …
	}
	return t, true
}
