package plural

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n         int
		one, many string
		want      string
	}{
		{0, "concern", "concerns", "0 concerns"},
		{1, "concern", "concerns", "1 concern"},
		{2, "concern", "concerns", "2 concerns"},
		{1, "child's file", "children's files", "1 child's file"},
		{12, "child's file", "children's files", "12 children's files"},
		{-1, "day", "days", "-1 day"},
		{1000000, "row", "rows", "1000000 rows"},
	} {
		if got := Count(c.n, c.one, c.many); got != c.want {
			t.Errorf("Count(%d, %q, %q) = %q, want %q", c.n, c.one, c.many, got, c.want)
		}
	}
}

func TestWord(t *testing.T) {
	if got := Word(1, "was", "were"); got != "was" {
		t.Errorf("Word(1) = %q, want was", got)
	}
	if got := Word(3, "was", "were"); got != "were" {
		t.Errorf("Word(3) = %q, want were", got)
	}
}
