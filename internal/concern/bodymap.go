package concern

// Region is a part of the body on the body map. The body map is a list of
// regions with a note each; the front and back outline is a picture of the
// same list, so nothing depends on seeing it.
type Region struct {
	Code  string
	front string
	back  string
	// X is the region's centre across a 120-wide outline for the front
	// view (the child's left is on the viewer's right); the back view
	// mirrors it. Y is down a 260-high outline.
	X, Y int
}

// Label is how the region is named on the given side ("front" or "back").
func (r Region) Label(side string) string {
	if side == "back" && r.back != "" {
		return r.back
	}
	return r.front
}

// PictureX is the region's centre across the outline of the given side.
func (r Region) PictureX(side string) int {
	if side == "back" {
		return 120 - r.X
	}
	return r.X
}

// Regions lists the body map's regions from head to foot.
func Regions() []Region {
	return []Region{
		{"head", "Head or face", "Back of the head", 60, 20},
		{"neck", "Neck", "Back of the neck", 60, 44},
		{"shoulder_right", "Right shoulder", "", 36, 58},
		{"shoulder_left", "Left shoulder", "", 84, 58},
		{"chest", "Chest", "Upper back", 60, 72},
		{"upper_arm_right", "Right upper arm", "", 28, 82},
		{"upper_arm_left", "Left upper arm", "", 92, 82},
		{"abdomen", "Stomach", "Lower back", 60, 100},
		{"forearm_right", "Right forearm", "", 24, 110},
		{"forearm_left", "Left forearm", "", 96, 110},
		{"hand_right", "Right hand", "", 20, 136},
		{"hand_left", "Left hand", "", 100, 136},
		{"groin", "Genital area", "Bottom", 60, 128},
		{"thigh_right", "Right thigh", "", 48, 154},
		{"thigh_left", "Left thigh", "", 72, 154},
		{"knee_right", "Right knee", "Back of the right knee", 48, 182},
		{"knee_left", "Left knee", "Back of the left knee", 72, 182},
		{"lower_leg_right", "Right lower leg", "Right calf", 48, 210},
		{"lower_leg_left", "Left lower leg", "Left calf", 72, 210},
		{"foot_right", "Right foot", "Right heel", 46, 244},
		{"foot_left", "Left foot", "Left heel", 74, 244},
	}
}

// RegionByCode returns the region with code, and whether there is one.
func RegionByCode(code string) (Region, bool) {
	for _, r := range Regions() {
		if r.Code == code {
			return r, true
		}
	}
	return Region{}, false
}
