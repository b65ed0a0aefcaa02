package concern

import (
	"context"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/encompass"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/when"
)

// withEncompass adds to a child's chronology entries the Operation
// Encompass notifications about them that by may see (restricted entries,
// issue 8: DSLs only, the named ones when restricted, never one excluded —
// internal/encompass and row-level security decide), as f keeps them, in
// date order. Each one shown is audited as encompass.view.
func withEncompass(ctx context.Context, q db.Querier, by actor.Actor, childID int64, f ChronologyFilter, entries []Entry) ([]Entry, error) {
	list, err := encompass.ForChild(ctx, q, by.SchoolID, childID)
	if err != nil {
		return nil, err
	}
	added := false
	for _, n := range list {
		e := Entry{Kind: EntryEncompass, At: dayMoment(n.NotifiedOn, n.CreatedAt), DateOnly: true, Recorded: n.CreatedAt, Ref: n.Ref, Href: paths.Encompass(n.Ref), Role: Subject,
			By: n.RecordedByName, Title: "Operation Encompass: the police told the school of a domestic abuse incident"}
		if n.IncidentOn != nil {
			e.Details = append(e.Details, Detail{"Incident", when.Day(*n.IncidentOn)})
		}
		if n.PoliceRef != "" {
			e.Details = append(e.Details, Detail{"Police reference", n.PoliceRef})
		}
		e.Details = append(e.Details, Detail{"What the police said", n.Details}, Detail{"Support offered", n.Support},
			Detail{"Restricted", restrictedNote(n.Restricted)},
			Detail{"Recorded", when.Moment(n.CreatedAt)})
		if !f.keeps(e) {
			continue
		}
		if err := encompass.Viewed(ctx, q, by, n.Ref, "chronology"); err != nil {
			return nil, err
		}
		entries, added = append(entries, e), true
	}
	if added {
		sortEntries(entries)
	}
	return entries, nil
}

func restrictedNote(restricted bool) string {
	if restricted {
		return "Yes: only the DSLs named on it see it"
	}
	return "Seen by DSLs who are not excluded"
}
