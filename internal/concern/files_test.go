package concern_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/validate"
)

func TestAttach(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	form := validForm(f.amara.ID)

	t.Run("hostile files are refused with a clear message", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			upload     concern.Upload
			categories []string
			want       string
		}{
			{"oversize", concern.Upload{Name: "scan.pdf", Content: append(append([]byte{}, pdfFile...), make([]byte, concern.MaxAttachmentSize)...)},
				nil, "scan.pdf must be smaller than 20 MB"},
			{"wrong type", concern.Upload{Name: "notes.txt", Content: []byte("just some text")},
				nil, "notes.txt must be a PDF, a Word document (DOCX), or a PNG, JPEG or HEIC image"},
			{"HTML renamed .pdf", concern.Upload{Name: "report.pdf", Content: []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")},
				nil, "report.pdf is a web page or an SVG image, which could run code"},
			{"SVG", concern.Upload{Name: "drawing.svg", Content: []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
				nil, "drawing.svg is a web page or an SVG image"},
			{"SVG without a prologue", concern.Upload{Name: "x.png", Content: []byte(`  <svg onload="alert(1)"></svg>`)},
				nil, "x.png is a web page or an SVG image"},
			{"Word with macros", concern.Upload{Name: "letter.docx", Content: docx(t, true)},
				nil, "letter.docx is a Word document with macros"},
			{"a ZIP that is not Word", concern.Upload{Name: "files.docx", Content: zipOf(t, "a.txt")},
				nil, "files.docx must be a PDF, a Word document (DOCX)"},
			{"empty", concern.Upload{Name: "empty.pdf"}, nil, "empty.pdf is empty"},
			{"an image on a sexual-abuse concern", concern.Upload{Name: "photo.jpg", Content: jpegFile},
				[]string{"physical_abuse", "sexual_abuse"}, "photo.jpg is an image. Images cannot be attached to a concern about sexual abuse, exploitation or sharing nudes. Do not view, copy, forward or delete the image"},
			{"an image on a CSE concern", concern.Upload{Name: "screenshot.png", Content: pngFile},
				[]string{"cse"}, "screenshot.png is an image. Images cannot be attached"},
			{"a path for a name", concern.Upload{Name: `C:\Users\me\evil<>.txt`, Content: []byte("MZ\x90\x00")},
				nil, "evil<>.txt must be a PDF"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, tc.categories, tc.upload)
				p, ok := errors.AsType[validate.Problems](err)
				if !ok || !strings.HasPrefix(p[concern.FieldAttachments], tc.want) {
					t.Errorf("got %v, want a problem starting %q", err, tc.want)
				}
			})
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_attachments"); n != 0 {
			t.Errorf("stored %d refused files", n)
		}
	})

	var pdf concern.Attachment
	t.Run("PDF, Word and images are kept, typed by content, with a clean name", func(t *testing.T) {
		var err error
		pdf, err = f.svc.Attach(ctx, f.staff, form.SubmissionID, nil, concern.Upload{Name: "../../etc/Statement\u202e.pdf", Content: pdfFile})
		if err != nil {
			t.Fatal(err)
		}
		if pdf.Name != "Statement.pdf" || pdf.ContentType != concern.TypePDF || pdf.Size != int64(len(pdfFile)) {
			t.Errorf("pdf = %+v", pdf)
		}
		word, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, nil, concern.Upload{Name: "letter.docx", Content: docx(t, false)})
		if err != nil || word.ContentType != concern.TypeDOCX {
			t.Fatalf("docx = %+v, %v", word, err)
		}
		img, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, []string{"neglect"}, concern.Upload{Name: "IMG_0001.PDF", Content: jpegFile})
		if err != nil || img.ContentType != concern.TypeJPEG || img.Name != "IMG_0001.jpg" {
			t.Fatalf("jpeg = %+v, %v: its name must follow its real type", img, err)
		}
		again, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, nil, concern.Upload{Name: "Statement.pdf", Content: pdfFile})
		if err != nil || again.PublicID != pdf.PublicID {
			t.Errorf("the same file posted again = %+v, %v; want the first", again, err)
		}
		list, _ := f.svc.PendingAttachments(ctx, f.staff, form.SubmissionID)
		if len(list) != 3 {
			t.Errorf("pending = %d files, want 3", len(list))
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'attachment.upload'"); n != 3 {
			t.Errorf("upload audit events = %d, want 3", n)
		}
	})

	t.Run("at most ten files", func(t *testing.T) {
		for i := range 7 {
			content := append(append([]byte{}, pdfFile...), byte(i))
			if _, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, nil, concern.Upload{Name: "p.pdf", Content: content}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, nil, concern.Upload{Name: "eleventh.pdf", Content: append(append([]byte{}, pdfFile...), 'x')})
		if p, _ := errors.AsType[validate.Problems](err); p[concern.FieldAttachments] != "You can attach at most 10 files: eleventh.pdf was not attached" {
			t.Errorf("11th file: %v", err)
		}
	})

	t.Run("only the uploader sees, downloads or removes a file before submission", func(t *testing.T) {
		if _, err := f.svc.Download(ctx, f.staff2, pdf.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another member of staff: err = %v", err)
		}
		if _, err := f.svc.Download(ctx, f.dsl, pdf.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("a DSL before submission: err = %v", err)
		}
		if list, _ := f.svc.PendingAttachments(ctx, f.staff2, form.SubmissionID); len(list) != 0 {
			t.Errorf("another member of staff lists %d files", len(list))
		}
		if err := f.svc.RemoveAttachment(ctx, f.staff2, form.SubmissionID, pdf.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("remove by another: err = %v", err)
		}
		file, err := f.svc.Download(ctx, f.staff, pdf.PublicID)
		if err != nil || !bytes.Equal(file.Content, pdfFile) {
			t.Errorf("download by the uploader: %v", err)
		}
	})

	t.Run("an image already attached blocks a submission about sexual abuse", func(t *testing.T) {
		bad := form
		bad.Categories = []string{"sexual_abuse"}
		_, err := f.svc.Submit(ctx, f.staff, bad)
		if p, _ := errors.AsType[validate.Problems](err); !strings.HasPrefix(p[concern.FieldAttachments], "Remove IMG_0001.jpg. Images cannot be attached") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("submission links the files; then DSLs may download them, nobody may remove them", func(t *testing.T) {
		list, _ := f.svc.PendingAttachments(ctx, f.staff, form.SubmissionID)
		for _, a := range list {
			if a.Name == "IMG_0001.jpg" {
				if err := f.svc.RemoveAttachment(ctx, f.staff, form.SubmissionID, a.PublicID); err != nil {
					t.Fatal(err)
				}
			}
		}
		r, err := f.svc.Submit(ctx, f.staff, form)
		if err != nil {
			t.Fatal(err)
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_attachments a JOIN concerns c ON c.id = a.concern_id WHERE c.ref = $1", r.Ref); n != 9 {
			t.Errorf("linked files = %d, want 9", n)
		}
		if _, err := f.svc.Download(ctx, f.dsl, pdf.PublicID); err != nil {
			t.Errorf("DSL download: %v", err)
		}
		if _, err := f.svc.Download(ctx, f.staff2, pdf.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another member of staff: err = %v", err)
		}
		if err := f.svc.RemoveAttachment(ctx, f.staff, form.SubmissionID, pdf.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("remove after submission: err = %v", err)
		}
		if _, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, nil, concern.Upload{Name: "late.pdf", Content: append(append([]byte{}, pdfFile...), 'L')}); !errors.Is(err, concern.ErrAlreadySubmitted) {
			t.Errorf("attach after submission: err = %v", err)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'attachment.download' AND details LIKE '%' || $1 || '%'", r.Ref); n != 1 {
			t.Errorf("download audit events naming the concern = %d, want 1", n)
		}
	})
}

func TestCleanName(t *testing.T) {
	for _, tc := range []struct{ in, typ, want string }{
		{"report.pdf", concern.TypePDF, "report.pdf"},
		{"photo.JPEG", concern.TypeJPEG, "photo.JPEG"},
		{"photo.heic", concern.TypeJPEG, "photo.jpg"},
		{`..\..\windows\x.docx`, concern.TypeDOCX, "x.docx"},
		{"\x00\x1b[31mred\u200f.pdf", concern.TypePDF, "[31mred.pdf"},
		{"...", concern.TypePNG, "attachment.png"},
		{strings.Repeat("é", 200) + ".pdf", concern.TypePDF, strings.Repeat("é", 58) + ".pdf"},
	} {
		if got := concern.CleanName(tc.in, tc.typ); got != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
