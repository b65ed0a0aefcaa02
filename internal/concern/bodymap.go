package concern

// Region is a part of the body on the body map. The body map is a list of
// regions with a note each; the front and back figure (web/page) is a
// picture of the same list, so nothing depends on seeing it.
type Region struct {
	Code  string
	front string
	back  string
}

// Label is how the region is named on the given side ("front" or "back").
func (r Region) Label(side string) string {
	if side == "back" && r.back != "" {
		return r.back
	}
	return r.front
}

// Regions lists the body map's regions from head to foot.
func Regions() []Region {
	return []Region{
		{"head", "Head or face", "Back of the head"},
		{"neck", "Neck", "Back of the neck"},
		{"shoulder_right", "Right shoulder", ""},
		{"shoulder_left", "Left shoulder", ""},
		{"chest", "Chest", "Upper back"},
		{"upper_arm_right", "Right upper arm", ""},
		{"upper_arm_left", "Left upper arm", ""},
		{"abdomen", "Stomach", "Lower back"},
		{"forearm_right", "Right forearm", ""},
		{"forearm_left", "Left forearm", ""},
		{"hand_right", "Right hand", ""},
		{"hand_left", "Left hand", ""},
		{"groin", "Genital area", "Bottom"},
		{"thigh_right", "Right thigh", ""},
		{"thigh_left", "Left thigh", ""},
		{"knee_right", "Right knee", "Back of the right knee"},
		{"knee_left", "Left knee", "Back of the left knee"},
		{"lower_leg_right", "Right lower leg", "Right calf"},
		{"lower_leg_left", "Left lower leg", "Left calf"},
		{"foot_right", "Right foot", "Right heel"},
		{"foot_left", "Left foot", "Left heel"},
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
