package page

import (
	"strconv"

	"github.com/havenschools/haven/internal/concern"
)

// The body map's figure: a neutral outline of blocks, one per region of
// concern.Regions, drawn for the front view in a 120 by 246 box with the
// child's right on the viewer's left. The back view is the same figure
// mirrored, so there the child's right is on the viewer's right. The
// figure on Report a concern is a set of buttons (bodyFigure); the
// picture on a recorded concern (BodyOutline) is the same drawing.

// figureViewBox frames the figure tightly, so each region is as large a
// target as a phone's width allows.
const figureViewBox = "16 2 88 242"

// figureShape is one region's block: an SVG path in front-view
// coordinates, and its centre, where a mark's number is drawn.
type figureShape struct {
	Code   string
	Path   string
	CX, CY int
}

var figureShapes = []figureShape{
	{"head", "M46 18a14 14 0 1 0 28 0a14 14 0 1 0-28 0Z", 60, 18},
	{"neck", "M53 33h14v10h-14Z", 60, 38},
	{"shoulder_right", "M28 44h22v14h-22Z", 39, 51},
	{"shoulder_left", "M70 44h22v14h-22Z", 81, 51},
	{"chest", "M51 44h18v15h11v29h-40v-29h11Z", 60, 72},
	{"upper_arm_right", "M26 60h13v34h-13Z", 32, 77},
	{"upper_arm_left", "M81 60h13v34h-13Z", 88, 77},
	{"abdomen", "M40 89h40v27h-40Z", 60, 102},
	{"forearm_right", "M24 95h14v32h-14Z", 31, 111},
	{"forearm_left", "M82 95h14v32h-14Z", 89, 111},
	{"hand_right", "M21 128h18v18h-18Z", 30, 137},
	{"hand_left", "M81 128h18v18h-18Z", 90, 137},
	{"groin", "M40 117h40v20h-40Z", 60, 127},
	{"thigh_right", "M41 138h18v34h-18Z", 50, 155},
	{"thigh_left", "M61 138h18v34h-18Z", 70, 155},
	{"knee_right", "M41 173h18v16h-18Z", 50, 181},
	{"knee_left", "M61 173h18v16h-18Z", 70, 181},
	{"lower_leg_right", "M41 190h18v36h-18Z", 50, 208},
	{"lower_leg_left", "M61 190h18v36h-18Z", 70, 208},
	{"foot_right", "M36 227h23v14h-23Z", 47, 234},
	{"foot_left", "M61 227h23v14h-23Z", 73, 234},
}

// figureSides are the figure's two views, front first.
var figureSides = []string{"front", "back"}

// mirror draws the back view: the front figure reflected about its middle.
const mirror = "matrix(-1 0 0 1 120 0)"

func sideTransform(side string) string {
	if side == "back" {
		return mirror
	}
	return ""
}

// centreX is the region's centre across side's view, where a mark on it is drawn.
func centreX(s figureShape, side string) string {
	if side == "back" {
		return strconv.Itoa(120 - s.CX)
	}
	return strconv.Itoa(s.CX)
}

// outlineDot is a numbered mark on BodyOutline.
type outlineDot struct{ X, Y, N int }

// dotOffsets move the second and later marks on one region off the first,
// so every number stays readable (body-figure.js does the same).
var dotOffsets = [][2]int{{0, 0}, {8, 0}, {-8, 0}, {0, 9}, {0, -9}}

// outlineDots places marks' numbers on side's view.
func outlineDots(marks []concern.BodyMark, side string) []outlineDot {
	var dots []outlineDot
	seen := map[string]int{}
	for i, m := range marks {
		sh, ok := shapeOf(m.Region)
		if m.Side != side || !ok {
			continue
		}
		x, _ := strconv.Atoi(centreX(sh, side))
		off := dotOffsets[seen[m.Region]%len(dotOffsets)]
		seen[m.Region]++
		dots = append(dots, outlineDot{X: x + off[0], Y: sh.CY + off[1], N: i + 1})
	}
	return dots
}

// figureRegionName is a region's accessible name on the figure: "Left forearm
// (front)", "Upper back".
func figureRegionName(code, side string) string {
	r, ok := concern.RegionByCode(code)
	if !ok {
		return code
	}
	if side == "back" && r.Label("back") != r.Label("front") {
		return r.Label("back")
	}
	return r.Label(side) + " (" + side + ")"
}

func sideName(side string) string {
	if side == "back" {
		return "Back"
	}
	return "Front"
}

// markedOn reports whether any of marks is on region code, side.
func markedOn(marks []concern.BodyMark, code, side string) bool {
	for _, m := range marks {
		if m.Region == code && m.Side == side {
			return true
		}
	}
	return false
}

// shapeOf is the figure's block for a region code.
func shapeOf(code string) (figureShape, bool) {
	for _, s := range figureShapes {
		if s.Code == code {
			return s, true
		}
	}
	return figureShape{}, false
}
