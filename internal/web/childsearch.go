package web

import (
	"context"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/web/page"
)

// findChildren is the search behind every child-search picker (the concern
// form, a concern about an adult, a police notification, a sibling, a
// subject access request, a transfer, the type-ahead): the children on the
// roll matching q, a name or UPN. A q that cannot be searched (empty, or
// with characters no name has) is not an error: it is the problem returned,
// to show beside the picker's box, and the picker shows no search. Any
// other error is returned.
func (s *Server) findChildren(ctx context.Context, by actor.Actor, q string) (page.ChildPicker, string, error) {
	res, err := s.pupils.Search(ctx, by, q)
	if p, ok := fail.ProblemsOf(err); ok {
		return page.ChildPicker{}, p["q"], nil
	}
	if err != nil {
		return page.ChildPicker{}, "", err
	}
	return page.ChildPicker{Searched: true, Results: res.Children, More: res.More}, "", nil
}
