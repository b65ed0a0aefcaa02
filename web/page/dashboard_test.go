package page_test

import (
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/web/page"
)

// The dashboard draws a chart only where there is something to draw, and
// every table scrolls in a region of its own (never the page).
func TestDashboardChartsOnlyWhereThereIsData(t *testing.T) {
	months := make([]time.Time, 12)
	for i := range months {
		months[i] = time.Date(2026, time.January+time.Month(i), 1, 0, 0, 0, 0, time.UTC)
	}
	counts := func(byMonth map[int]int) []int {
		c := make([]int, 12)
		for m, n := range byMonth {
			c[m] = n
		}
		return c
	}
	t.Run("nothing recorded: sentences, no charts, no tables", func(t *testing.T) {
		html := renderHTML(t, page.Dashboard(page.DashboardView{Figures: concern.Figures{Months: months,
			ByMonth: make([]concern.AckTimes, 12), ByStatus: map[concern.Status]int{}}}))
		if strings.Contains(html, "<svg") || strings.Contains(html, "<table") {
			t.Errorf("an empty dashboard draws charts or tables:\n%s", html)
		}
		if !strings.Contains(html, "No concerns recorded in the last 12 months.") {
			t.Error("an empty dashboard does not say so")
		}
	})
	t.Run("a category with one month's concerns gets no chart", func(t *testing.T) {
		f := concern.Figures{Months: months, ByMonth: make([]concern.AckTimes, 12),
			Categories: []concern.CategoryCounts{
				{Name: "Neglect", Total: 3, Counts: counts(map[int]int{2: 1, 5: 2})},
				{Name: "Bullying", Total: 1, Counts: counts(map[int]int{4: 1})},
			},
			ByStatus: map[concern.Status]int{concern.Submitted: 4}}
		html := renderHTML(t, page.Dashboard(page.DashboardView{Figures: f}))
		if !strings.Contains(html, `aria-label="Concerns about Neglect each month`) {
			t.Error("no chart for Neglect, with concerns in two months")
		}
		if strings.Contains(html, `aria-label="Concerns about Bullying each month`) {
			t.Error("a chart for Bullying, one bar in an empty frame")
		}
		if strings.Contains(html, "Median and 90th percentile time to acknowledge each month") {
			t.Error("a time-to-acknowledge chart with nothing acknowledged")
		}
		if n := strings.Count(html, "<table"); n != strings.Count(html, `class="haven-table-region" role="region"`) || n != 2 {
			t.Errorf("%d tables, %d regions: want 2 (per month, by status), each in a region", n, strings.Count(html, "haven-table-region"))
		}
	})
}
