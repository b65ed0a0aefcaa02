package fail_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/havenschools/haven/internal/fail"
)

// A domain's own sentinel, wrapped again on its way up, still matches the
// shared one it wraps, and only that one.
func TestSentinelsMatchThroughWrapping(t *testing.T) {
	for _, kind := range []error{fail.Forbidden, fail.NotFound, fail.Conflict} {
		domain := fail.New(kind, "not allowed to change school settings")
		if domain.Error() != "not allowed to change school settings" {
			t.Errorf("New changed the message: %q", domain.Error())
		}
		if errors.Is(domain, fail.New(kind, "not allowed to change school settings")) {
			t.Error("two sentinels made with New match each other")
		}
		got := fmt.Errorf("saving settings: %w", errors.Join(errors.New("audit"), domain))
		if !errors.Is(got, kind) || !errors.Is(got, domain) {
			t.Errorf("%v: wrapped error no longer matches (%v)", kind, got)
		}
		for _, other := range []error{fail.Forbidden, fail.NotFound, fail.Conflict} {
			if other != kind && errors.Is(got, other) {
				t.Errorf("%v matches %v as well", kind, other)
			}
		}
	}
}

func TestProblemsOfFindsWrappedProblems(t *testing.T) {
	p := fail.Problems{}
	p.Add("name", "Enter a name")
	p.Add("name", "second message is not kept")
	got, ok := fail.ProblemsOf(fmt.Errorf("saving: %w", p))
	if !ok || got["name"] != "Enter a name" {
		t.Fatalf("ProblemsOf = %v, %v", got, ok)
	}
	if _, ok := fail.ProblemsOf(fail.Conflict); ok {
		t.Error("a conflict is not form problems")
	}
	if got := p.Error(); got != "invalid input: name" {
		t.Errorf("Error() = %q", got)
	}
}
