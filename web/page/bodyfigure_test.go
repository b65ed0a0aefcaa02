package page

import (
	"testing"

	"github.com/havenschools/haven/internal/concern"
)

// Every region of the body map has one block on the figure, and every
// block is a region: a region added to concern.Regions without a block
// could not be tapped.
func TestFigureHasEveryRegion(t *testing.T) {
	shapes := map[string]int{}
	for _, s := range figureShapes {
		shapes[s.Code]++
		if _, ok := concern.RegionByCode(s.Code); !ok {
			t.Errorf("the figure has a block %q that is not a region", s.Code)
		}
	}
	names := map[string]bool{}
	for _, r := range concern.Regions() {
		if shapes[r.Code] != 1 {
			t.Errorf("region %q has %d blocks on the figure, want 1", r.Code, shapes[r.Code])
		}
		for _, side := range figureSides {
			n := figureRegionName(r.Code, side)
			if names[n] {
				t.Errorf("two buttons of the figure are named %q", n)
			}
			names[n] = true
		}
	}
	if got := figureRegionName("forearm_left", "front"); got != "Left forearm (front)" {
		t.Errorf("name = %q", got)
	}
	if got := figureRegionName("chest", "back"); got != "Upper back" {
		t.Errorf("name = %q", got)
	}
}

// The second and later marks on one region are drawn apart, so each
// number can be read; the back view mirrors the front.
func TestOutlineDots(t *testing.T) {
	marks := []concern.BodyMark{
		{Region: "forearm_left", Side: "front"}, {Region: "forearm_left", Side: "front"},
		{Region: "forearm_left", Side: "back"}, {Region: "nowhere", Side: "front"},
	}
	front := outlineDots(marks, "front")
	if len(front) != 2 || front[0] == front[1] || front[0].N != 1 || front[1].N != 2 {
		t.Errorf("front dots = %+v", front)
	}
	back := outlineDots(marks, "back")
	if len(back) != 1 || back[0].N != 3 || back[0].X != 120-front[0].X || back[0].Y != front[0].Y {
		t.Errorf("back dots = %+v, front %+v", back, front)
	}
}
