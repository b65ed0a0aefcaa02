package page

import "github.com/havenschools/haven/internal/pupil"

// ChildPicker is what a child-search picker shows once a name or UPN has
// been searched: the children on the roll that match (at most
// pupil.SearchLimit), whether more matched than are shown, and whether a
// search was made at all. A page with a picker embeds it.
type ChildPicker struct {
	Searched bool
	Results  []pupil.Child
	More     bool
}
