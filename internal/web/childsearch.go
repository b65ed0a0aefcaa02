package web

import "github.com/havenschools/haven/internal/pupil"

// childSearch is what a child-search picker shows: the children on the
// roll matching the name typed, and whether there were more.
type childSearch struct {
	Results  []pupil.Child
	More     bool
	Searched bool
}
