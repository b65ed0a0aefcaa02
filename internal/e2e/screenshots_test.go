//go:build screenshots

package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/when"
)

// TestScreenshots takes the guides' pictures (docs/guide-*.md) at phone
// size, walking the screens as each role does: `make screenshots` runs it
// with HAVEN_SCREENSHOTS=docs/img. It is kept out of make test (build tag
// screenshots), so the docs never make CI flaky; each step still fails the
// test if a label the guides name is missing.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("HAVEN_SCREENSHOTS")
	if dir == "" {
		t.Skip("HAVEN_SCREENSHOTS names the folder for the pictures (make screenshots)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// browsertest saves a picture of a failed test in the same folder: not
	// one for the guides.
	t.Cleanup(func() { os.Remove(filepath.Join(dir, t.Name()+".png")) })
	s := newReportingSchool(t)
	dslKey := s.dslKey(t)
	vp := browsertest.Phone

	// Staff: docs/guide-staff.md.
	staff := browsertest.NewTab(t, s.URL)
	staff.SetViewport(vp)
	signInAsStaff(staff)
	expectHeading(t, staff, "Record a safeguarding concern")
	shot(t, staff, dir, "staff-start", "")
	staff.Click("Report a concern")
	expectHeading(t, staff, "Report a concern")
	staff.Choose("Is the child in immediate danger?", "No")
	shot(t, staff, dir, "staff-form", "")
	staff.Fill("Child", "okafor")
	staff.Click("Find child")
	shot(t, staff, dir, "staff-find-child", "Child")
	staff.Choose("Choose the child", "Amara Okafor")
	staff.Click("Add this child")
	staff.Fill("What happened?", "Amara said an older man waits for her after school in a silver car and gives her money.")
	staff.Fill("The child’s own words (optional)", "He says I’m his girlfriend.")
	fillDate(staff, "When did it happen?", when.Today(time.Now()).AddDate(0, 0, -1))
	staff.Fill("Where did it happen?", "Bus stop outside school")
	shot(t, staff, dir, "staff-what-happened", "What happened?")
	staff.Choose("Have you told a DSL in person?", "Not yet")
	staff.Choose("What kind of concern is it? (optional)", "Child sexual exploitation")
	shot(t, staff, dir, "staff-submit", "Have you told a DSL in person?")
	staff.Click("Submit concern")
	expectHeading(t, staff, "Concern submitted")
	shot(t, staff, dir, "staff-receipt", "")
	ref := refPattern.FindString(staff.Text())
	staff.Go("/my-concerns")
	expectHeading(t, staff, "My concerns")
	shot(t, staff, dir, "staff-my-concerns", "")

	// A DSL: docs/guide-dsl.md.
	dsl := browsertest.NewTab(t, s.URL)
	dsl.SetViewport(vp)
	signInWith(dsl, "dsl@brookfield.test", staffPassword)
	dsl.Fill("Security code", codeAt(t, dslKey, 0))
	dsl.Click("Continue")
	dsl.Go("/queue")
	expectHeading(t, dsl, "Safeguarding queue")
	shot(t, dsl, dir, "dsl-queue", "")
	dsl.Click(ref + ": Amara Okafor")
	expectHeading(t, dsl, ref)
	shot(t, dsl, dir, "dsl-concern", "")
	dsl.Click("Acknowledge")
	dsl.Click("Record decision")
	expectHeading(t, dsl, "Record decision")
	dsl.Choose("What have you decided?", "Refer to children's social care")
	dsl.Fill("Reason for the decision", "An older adult giving her money and collecting her from school: CSE indicators.")
	dsl.Choose("Were parents or carers told, or their consent sought?", "No")
	dsl.Fill("If not, why not?", "Telling her mother could alert the man; social care advised against it.")
	shot(t, dsl, dir, "dsl-decision", "What have you decided?")
	dsl.Fill("The child’s wishes and feelings", "She wants it to stop but does not want her mother told.")
	dsl.Click("Record decision")
	dsl.Click("Record action")
	expectHeading(t, dsl, "Record action")
	dsl.Choose("What was done?", "Referral")
	shot(t, dsl, dir, "dsl-action", "")
	dsl.Go("/children/" + i64(s.amara.ID) + "/chronology")
	expectHeading(t, dsl, "Chronology")
	shot(t, dsl, dir, "dsl-chronology", "")
	dsl.Go("/transfers")
	if dsl.Status() == 200 {
		shot(t, dsl, dir, "dsl-transfers", "")
	}

	// An admin: docs/guide-admin.md.
	authSvc := auth.NewService(s.DB.App, s.Jobs, auth.Config{BaseURL: s.URL})
	sys := actor.SystemIn(s.school)
	adminID, err := authSvc.CreateUser(context.Background(), sys, auth.NewUser{Email: "admin@brookfield.test", Name: "Pat admin", Role: actor.Admin})
	if err != nil {
		t.Fatal(err)
	}
	if err := authSvc.SetPassword(context.Background(), sys, adminID, staffPassword); err != nil {
		t.Fatal(err)
	}
	en, err := authSvc.StartEnrolment(context.Background(), adminID)
	if err != nil {
		t.Fatal(err)
	}
	adminKey := compact(en.Secret)
	if _, err := authSvc.ConfirmEnrolment(context.Background(), actor.Source{ClientIP: "192.0.2.1"}, adminID, codeAt(t, adminKey, -30*time.Second)); err != nil {
		t.Fatal(err)
	}
	admin := browsertest.NewTab(t, s.URL)
	admin.SetViewport(vp)
	signInWith(admin, "admin@brookfield.test", staffPassword)
	admin.Fill("Security code", codeAt(t, adminKey, 0))
	admin.Click("Continue")
	admin.Go("/admin/users")
	expectHeading(t, admin, "Users")
	shot(t, admin, dir, "admin-users", "")
	admin.Click("Invite a user")
	expectHeading(t, admin, "Invite a user")
	shot(t, admin, dir, "admin-invite", "")
	admin.Go("/admin/settings")
	expectHeading(t, admin, "School settings")
	shot(t, admin, dir, "admin-settings", "")
	admin.Go("/exports")
	expectHeading(t, admin, "Exports")
	shot(t, admin, dir, "admin-exports", "Request an export")
	admin.Go("/retention")
	if admin.Status() == 200 {
		shot(t, admin, dir, "admin-retention", "")
	}
}

// shot saves the visible part of the page — scrolled to the heading,
// legend or label that has text, or the top — as dir/name.png.
func shot(t *testing.T, tab *browsertest.Tab, dir, name, text string) {
	t.Helper()
	q, _ := json.Marshal(text)
	browsertest.Eval[bool](tab, `(() => {
		const text = `+string(q)+`;
		if (!text) { window.scrollTo(0, 0); return true; }
		const el = [...document.querySelectorAll('h1, h2, legend, label')].find(e => e.textContent.trim().startsWith(text));
		if (!el) { throw new Error('nothing on the page reads ' + text); }
		el.scrollIntoView({block: 'start'});
		window.scrollBy(0, -12);
		return true;
	})()`)
	ctx, cancel := context.WithTimeout(tab.Context(), browsertest.ActionTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	small, err := shrink(raw)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, small, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d KB", path, len(small)/1024)
}

// shrink re-encodes a screenshot with a palette of its 256 most used
// colours (a page is a few flat colours and the anti-aliasing between
// them), at best compression: about half the bytes, no visible change.
func shrink(b []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	counts := map[color.RGBA]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			counts[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colours := make([]color.RGBA, 0, len(counts))
	for c := range counts {
		colours = append(colours, c)
	}
	slices.SortFunc(colours, func(a, b color.RGBA) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return cmp.Compare(uint32(a.R)<<24|uint32(a.G)<<16|uint32(a.B)<<8|uint32(a.A),
			uint32(b.R)<<24|uint32(b.G)<<16|uint32(b.B)<<8|uint32(b.A))
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range colours[:min(256, len(colours))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(bounds, pal)
	draw.Draw(out, bounds, img, bounds.Min, draw.Src)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func compact(secret string) string {
	out := make([]rune, 0, len(secret))
	for _, r := range secret {
		if r != ' ' {
			out = append(out, r)
		}
	}
	return string(out)
}
