package page

import (
	"strconv"
	"time"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/when"
)

// DashboardView is the DSL's dashboard.
type DashboardView struct {
	Figures concern.Figures
	// OverdueTransfers are children's files not sent, or not confirmed
	// received, by their due date (internal/records).
	OverdueTransfers []records.Transfer
	Now              time.Time
}

// Chart colours: GOV.UK's palette, as SVG presentation attributes (the
// CSP allows no inline style).
const (
	colourBar   = "#1d70b8"
	colourDark  = "#003078"
	colourText  = "#0b0c0c"
	colourAxis  = "#b1b4b6"
	colourGreen = "#00703c"
)

// bar is one bar of a chart, in SVG units.
type bar struct {
	X, Y, W, H string
	Fill       string
	Title      string // what a pointer over it reads
}

// label is one text of a chart.
type label struct {
	X, Y, Text, Anchor string
}

// chart is a small server-rendered bar chart.
type chart struct {
	Width, Height string
	Bars          []bar
	Labels        []label
	BaselineY     string
}

func svgNum(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func monthName(m time.Time) string { return m.In(when.London()).Format("Jan 2006") }

func monthShort(m time.Time) string { return m.In(when.London()).Format("Jan") }

func monthYear(m time.Time) string { return strconv.Itoa(m.In(when.London()).Year()) }

// categoryChart draws one category's concerns per month, scaled to max
// (the largest month of any category, so the small charts compare).
func categoryChart(months []time.Time, counts []int, max int) chart {
	const w, h, top, bottom = 264.0, 70.0, 4.0, 16.0
	c := chart{Width: svgNum(w), Height: svgNum(h), BaselineY: svgNum(h - bottom)}
	step := w / float64(len(months))
	for i, n := range counts {
		bh := 0.0
		if max > 0 {
			bh = (h - top - bottom) * float64(n) / float64(max)
		}
		x := float64(i)*step + 3
		c.Bars = append(c.Bars, bar{X: svgNum(x), Y: svgNum(h - bottom - bh), W: svgNum(step - 6), H: svgNum(bh), Fill: colourBar,
			Title: monthName(months[i]) + ": " + strconv.Itoa(n)})
		c.Labels = append(c.Labels, label{X: svgNum(x + (step-6)/2), Y: svgNum(h - 4), Text: monthShort(months[i])[:1], Anchor: "middle"})
	}
	return c
}

// ackChart draws the median and 90th percentile time to acknowledge per
// month, in hours.
func ackChart(months []time.Time, by []concern.AckTimes) chart {
	const w, h, top, bottom = 528.0, 160.0, 8.0, 18.0
	c := chart{Width: svgNum(w), Height: svgNum(h), BaselineY: svgNum(h - bottom)}
	var max time.Duration
	for _, t := range by {
		max = maxDuration(max, t.P90)
	}
	step := w / float64(len(months))
	scale := func(d time.Duration) float64 {
		if max == 0 {
			return 0
		}
		return (h - top - bottom) * float64(d) / float64(max)
	}
	for i, t := range by {
		x := float64(i)*step + 4
		bw := (step - 8) / 2
		mh, ph := scale(t.Median), scale(t.P90)
		c.Bars = append(c.Bars,
			bar{X: svgNum(x), Y: svgNum(h - bottom - mh), W: svgNum(bw), H: svgNum(mh), Fill: colourBar,
				Title: monthName(months[i]) + ", median: " + DurationWords(t.Median, t.Count)},
			bar{X: svgNum(x + bw), Y: svgNum(h - bottom - ph), W: svgNum(bw), H: svgNum(ph), Fill: colourDark,
				Title: monthName(months[i]) + ", 90th percentile: " + DurationWords(t.P90, t.Count)})
		c.Labels = append(c.Labels, label{X: svgNum(x + bw), Y: svgNum(h - 4), Text: monthShort(months[i]), Anchor: "middle"})
	}
	return c
}

// statusChart draws open against closed: one bar per status.
func statusChart(fig concern.Figures) chart {
	const w, rowH, labelW = 528.0, 28.0, 130.0
	statuses := concern.Statuses()
	h := rowH * float64(len(statuses))
	c := chart{Width: svgNum(w), Height: svgNum(h)}
	max := 0
	for _, s := range statuses {
		max = maxInt(max, fig.ByStatus[s])
	}
	for i, s := range statuses {
		n := fig.ByStatus[s]
		bw := 0.0
		if max > 0 {
			bw = (w - labelW - 40) * float64(n) / float64(max)
		}
		y := float64(i) * rowH
		fill := colourBar
		if s == concern.Closed {
			fill = colourGreen
		}
		c.Bars = append(c.Bars, bar{X: svgNum(labelW), Y: svgNum(y + 4), W: svgNum(bw), H: svgNum(rowH - 8), Fill: fill, Title: s.Label() + ": " + strconv.Itoa(n)})
		c.Labels = append(c.Labels,
			label{X: svgNum(labelW - 6), Y: svgNum(y + rowH/2 + 5), Text: s.Label(), Anchor: "end"},
			label{X: svgNum(labelW + bw + 6), Y: svgNum(y + rowH/2 + 5), Text: strconv.Itoa(n), Anchor: "start"})
	}
	return c
}

func (v DashboardView) maxMonth() int {
	m := 0
	for _, c := range v.Figures.Categories {
		for _, n := range c.Counts {
			m = maxInt(m, n)
		}
	}
	return m
}

// DurationWords is a time to acknowledge in words ("—" when nothing was
// acknowledged): minutes under two hours, hours under two days, else days.
func DurationWords(d time.Duration, count int) string {
	if count == 0 {
		return "—"
	}
	switch {
	case d < 2*time.Hour:
		return strconv.Itoa(int(d.Round(time.Minute)/time.Minute)) + " min"
	case d < 48*time.Hour:
		return strconv.FormatFloat(d.Hours(), 'f', 1, 64) + " h"
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', 1, 64) + " days"
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// trendCategories are the categories worth a chart: those with concerns in
// two months or more. A category with one month's concerns is a single bar
// in an empty frame; the table beside says it as well.
func (v DashboardView) trendCategories() []concern.CategoryCounts {
	var out []concern.CategoryCounts
	for _, c := range v.Figures.Categories {
		months := 0
		for _, n := range c.Counts {
			if n > 0 {
				months++
			}
		}
		if months >= 2 {
			out = append(out, c)
		}
	}
	return out
}
