package concern

import (
	"strings"
	"testing"
	"time"
)

func TestEvaluateFlags(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ago := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	rule := FlagRule{Count: 3, Days: 90, CSEStaff: 2}
	ack := func(at time.Time) map[FlagKind]FlagAck {
		return map[FlagKind]FlagAck{FlagCount: {At: at, By: "Dee", Reason: "Known; plan in place"},
			FlagCSEStaff: {At: at, By: "Dee", Reason: "Discussed with social worker"}}
	}
	type want struct {
		kind   FlagKind
		raised bool
		reason string // a part of the reason
	}
	tests := []struct {
		name string
		rule FlagRule
		in   FlagInput
		want []want
	}{
		{"no concerns, no flag", rule, FlagInput{}, nil},
		{"two concerns are under the threshold", rule,
			FlagInput{Concerns: []time.Time{ago(1), ago(10)}}, nil},
		{"three concerns within 90 days raise the flag", rule,
			FlagInput{Concerns: []time.Time{ago(1), ago(40), ago(89)}},
			[]want{{FlagCount, true, "3 concerns in the last 90 days"}}},
		{"a concern outside the window is not counted", rule,
			FlagInput{Concerns: []time.Time{ago(1), ago(40), ago(91)}}, nil},
		{"a longer window counts it", FlagRule{Count: 3, Days: 365, CSEStaff: 2},
			FlagInput{Concerns: []time.Time{ago(1), ago(40), ago(200)}},
			[]want{{FlagCount, true, "in the last 365 days"}}},
		{"a lower threshold flags sooner", FlagRule{Count: 2, Days: 90, CSEStaff: 2},
			FlagInput{Concerns: []time.Time{ago(3), ago(30)}},
			[]want{{FlagCount, true, "2 concerns"}}},
		{"an acknowledgement after the latest concern stands", rule,
			FlagInput{Concerns: []time.Time{ago(5), ago(40), ago(60)}, Acks: ack(ago(2))},
			[]want{{FlagCount, false, "3 concerns"}}},
		{"the next concern raises it again", rule,
			FlagInput{Concerns: []time.Time{ago(1), ago(5), ago(40), ago(60)}, Acks: ack(ago(2))},
			[]want{{FlagCount, true, "4 concerns"}}},
		{"indicators from one member of staff do not flag", rule,
			FlagInput{Indicators: []IndicatorMark{{By: 7, At: ago(1)}, {By: 7, At: ago(20)}, {By: 7, At: ago(30)}}}, nil},
		{"indicators from two members of staff flag", rule,
			FlagInput{Indicators: []IndicatorMark{{By: 7, At: ago(1)}, {By: 8, At: ago(20)}}},
			[]want{{FlagCSEStaff, true, "CSE indicators recorded by 2 different members of staff"}}},
		{"an old indicator is outside the window", rule,
			FlagInput{Indicators: []IndicatorMark{{By: 7, At: ago(1)}, {By: 8, At: ago(120)}}}, nil},
		{"a threshold of one member of staff", FlagRule{Count: 3, Days: 90, CSEStaff: 1},
			FlagInput{Indicators: []IndicatorMark{{By: 7, At: ago(1)}}},
			[]want{{FlagCSEStaff, true, "by 1 member of staff"}}},
		{"a new indicator after the acknowledgement raises it again", rule,
			FlagInput{Indicators: []IndicatorMark{{By: 7, At: ago(10)}, {By: 8, At: ago(1)}}, Acks: ack(ago(5))},
			[]want{{FlagCSEStaff, true, "2 different"}}},
		{"both flags at once, one acknowledged", rule,
			FlagInput{Concerns: []time.Time{ago(10), ago(20), ago(30)},
				Indicators: []IndicatorMark{{By: 7, At: ago(10)}, {By: 8, At: ago(1)}}, Acks: ack(ago(5))},
			[]want{{FlagCount, false, "3 concerns"}, {FlagCSEStaff, true, "2 different"}}},
		{"a future-dated record is not counted", rule,
			FlagInput{Concerns: []time.Time{ago(1), ago(2), now.Add(time.Hour)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EvaluateFlags(tt.rule, tt.in, now)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d flags %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Kind != w.kind || g.Raised != w.raised || !strings.Contains(g.Reason, w.reason) {
					t.Errorf("flag %d = %+v, want kind %s raised %v with %q in the reason", i, g, w.kind, w.raised, w.reason)
				}
				if !g.Raised && (g.Ack == nil || g.Ack.Reason == "") {
					t.Errorf("flag %d is acknowledged without the acknowledgement", i)
				}
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from    Status
		inError bool
		op      Op
		want    Status
		ok      bool
	}{
		{Submitted, false, OpAcknowledge, Acknowledged, true},
		{Acknowledged, false, OpAcknowledge, Acknowledged, false},
		{Submitted, false, OpDecide, Submitted, false},
		{Acknowledged, false, OpDecide, InProgress, true},
		{InProgress, false, OpDecide, InProgress, true},
		{Closed, false, OpDecide, Closed, false},
		{Submitted, false, OpClose, Submitted, false},
		{Acknowledged, false, OpClose, Closed, true},
		{InProgress, false, OpClose, Closed, true},
		{Closed, false, OpClose, Closed, false},
		{Closed, false, OpReopen, InProgress, true},
		{InProgress, false, OpReopen, InProgress, false},
		{InProgress, false, OpTriage, InProgress, true},
		{Submitted, false, OpTriage, Submitted, true},
		{Closed, false, OpTriage, Closed, false},
		{Closed, false, OpEnteredInError, Closed, true},
		{Submitted, false, OpEnteredInError, Submitted, true},
		{Submitted, true, OpEnteredInError, Submitted, false},
		{InProgress, true, OpTriage, InProgress, false},
		{Closed, true, OpReopen, Closed, false},
	}
	for _, tt := range tests {
		got, err := next(tt.from, tt.inError, tt.op)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("next(%s, in error %v, %s) = %s, %v; want %s, ok %v", tt.from, tt.inError, tt.op, got, err, tt.want, tt.ok)
		}
	}
}
