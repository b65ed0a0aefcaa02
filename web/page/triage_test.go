package page

import "testing"

func TestSentence(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Recorded on the wrong child", "Recorded on the wrong child."},
		{"Recorded on the wrong child.", "Recorded on the wrong child."},
		{"Wrong child!  ", "Wrong child!"},
		{"Was it Ben?", "Was it Ben?"},
		{`She said "wrong child."`, `She said "wrong child."`},
		{"See C-2026-000001 (the right one)", "See C-2026-000001 (the right one)."},
	} {
		if got := sentence(c.in); got != c.want {
			t.Errorf("sentence(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
