// Package layout holds the page frame every screen shares: the document
// head, skip link, Haven header with the school's name, navigation, the main
// landmark and the footer.
package layout

import "context"

// NavItem is one link in the service navigation.
type NavItem struct {
	Text, Href string
	// Current: the page shown is this link's or one under it (for "More",
	// one it lists); Page: it is exactly this link's page.
	Current, Page bool
}

// ariaCurrent is aria-current for a current item: "page" on its own page,
// "true" on a page within it.
func (n NavItem) ariaCurrent() string {
	if n.Page {
		return "page"
	}
	return "true"
}

// NavGroup is a heading and its links on the "More" page (GET /menu): the
// pages a role uses less often than those in the service navigation.
type NavGroup struct {
	Heading string
	Items   []NavItem
}

// Chrome is what the frame shows about the current request: whether someone
// is signed in, the school they are working in, and their navigation. The
// web layer puts it in the request context; templates read it with ChromeFrom.
type Chrome struct {
	SignedIn   bool
	UserName   string
	SchoolName string
	// Nav is the service navigation: the role's daily work, and "More".
	Nav []NavItem
	// More is everything else the role may open, grouped, for the menu page.
	More []NavGroup
	// CanSwitchSchool shows a "Switch school" link for users with several schools.
	CanSwitchSchool bool
	// Flash is a one-time message about what the person just did ("Invitation
	// sent"), shown at the top of the page.
	Flash string
}

type chromeKey struct{}

// WithChrome returns ctx carrying c.
func WithChrome(ctx context.Context, c Chrome) context.Context {
	return context.WithValue(ctx, chromeKey{}, c)
}

// ChromeFrom returns the Chrome in ctx, or the signed-out default.
func ChromeFrom(ctx context.Context) Chrome {
	c, _ := ctx.Value(chromeKey{}).(Chrome)
	return c
}
