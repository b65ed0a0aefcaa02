package concern_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// An incident said to have happened today at a time that has not come yet
// is refused beside the time, saying it is later than now; what was typed
// is the caller's to show again, and nothing is stored.
func TestATimeLaterThanNowIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	y, m, d := time.Now().In(when.London()).Date()
	tenAM := time.Date(y, m, d, 10, 0, 0, 0, when.London())
	svc := f.svc.WithClock(func() time.Time { return tenAM })

	form := validForm(f.amara.ID)
	form.Happened, form.Seen = when.DatePartsOf(when.Today(tenAM)), when.DatePartsOf(when.Today(tenAM))
	form.HappenedTime = "2:30pm"
	_, err := svc.Submit(t.Context(), f.staff, form)
	p, ok := errors.AsType[validate.Problems](err)
	if !ok || !strings.Contains(p[concern.FieldHappenedTime], "later than now") || len(p) != 1 {
		t.Fatalf("err = %v, want one problem: the time is later than now", err)
	}
	if list, _ := f.svc.Mine(t.Context(), f.staff); len(list) != 0 {
		t.Errorf("stored %d concerns", len(list))
	}

	t.Run("a time that has passed, or another day's, is accepted", func(t *testing.T) {
		form.HappenedTime = "9:45am"
		if _, err := svc.Submit(t.Context(), f.staff, form); err != nil {
			t.Errorf("9:45am today at 10am: %v", err)
		}
		other := validForm(f.ben.ID)
		other.Happened, other.HappenedTime = when.DatePartsOf(when.Today(tenAM).AddDate(0, 0, -1)), "2:30pm"
		if _, err := svc.Submit(t.Context(), f.staff, other); err != nil {
			t.Errorf("2:30pm yesterday: %v", err)
		}
	})
}
