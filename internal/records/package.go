package records

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// A Haven-to-Haven package is a child's file for the Haven of the school
// the child moves to: a tar archive of child-file.json (Package) and the
// concerns' attachments (attachments/<reference>/<n>-<name>), encrypted
// with age (scrypt, from a passphrase that is sent separately). The
// receiving Haven imports it (ImportPackage) as a received file, kept
// beside the child's own record, never mixed into it.

// ErrBadPackage means a file is not a Haven package, or the passphrase is wrong.
var ErrBadPackage = errors.New("this is not a Haven package, or the passphrase is wrong")

// Limits on a package being imported.
const (
	MaxPackageBytes       = 200 << 20
	maxPackageEntries     = 2000
	maxPackageEntryBytes  = 25 << 20
	packageJSONName       = "child-file.json"
	packageAttachmentsDir = "attachments/"
)

// BuildPackage writes the encrypted package of child childID's file for a
// DSL of their school (anyone else, or an unknown child: db.ErrNotFound) to
// w, protected by passphrase. Audited as child.file (with the package kind).
func (s *Service) BuildPackage(ctx context.Context, by actor.Actor, childID int64, passphrase string, w io.Writer) error {
	if by.Role != actor.DSL || by.UserID == 0 {
		return db.ErrNotFound
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return err
	}
	enc, err := age.Encrypt(w, r)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(enc)
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		f, err := childFile(ctx, tx, by.SchoolID, childID, s.now())
		if err != nil {
			return err
		}
		var js bytes.Buffer
		if err := f.PackageJSON(&js); err != nil {
			return err
		}
		if err := writeTarFile(tw, packageJSONName, js.Bytes(), f.GeneratedAt); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT c.ref, a.display_name, a.content, a.created_at FROM concern_attachments a
			JOIN concerns c ON c.school_id = a.school_id AND c.id = a.concern_id
			JOIN concern_children cc ON cc.school_id = c.school_id AND cc.concern_id = c.id
			WHERE a.school_id = $1 AND cc.child_id = $2 AND cc.role = 'subject' AND c.entered_in_error_at IS NULL
			ORDER BY c.id, a.id`, by.SchoolID, childID)
		var ref, name string
		var content []byte
		var at time.Time
		n := 0
		if _, err := pgx.ForEachRow(rows, []any{&ref, &name, &content, &at}, func() error {
			n++
			return writeTarFile(tw, packageAttachmentsDir+ref+"/"+strconv.Itoa(n)+"-"+safeName(name), content, at)
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.file", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"package": true, "attachments": n}})
	})
	if err != nil {
		return fmt.Errorf("package of child %d: %w", childID, err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return enc.Close()
}

func writeTarFile(tw *tar.Writer, name string, content []byte, at time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(content)), ModTime: at.UTC(), Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(content)
	return err
}

// safeName keeps a file's base name without path separators or control characters.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '/' || r == '\\' || r == 0x7f {
			return '_'
		}
		return r
	}, path.Base(s))
	if s == "" || s == "." || s == ".." {
		return "file"
	}
	return s
}

// Received is a child's file imported from another Haven.
type Received struct {
	ID          int64
	ChildID     *int64 // the child on this school's roll it was matched to (by UPN)
	FromSchool  string
	ChildName   string
	ImportedAt  time.Time
	ImportedBy  string
	Package     Package
	Attachments []ReceivedAttachment
}

// ReceivedAttachment is a file that came with a received child's file.
type ReceivedAttachment struct {
	ID    int64
	Ref   string
	Name  string
	Bytes int
}

// ImportPackage decrypts a package from another Haven with passphrase and
// keeps it as a received file of by's school, matched to the child on the
// roll with the same UPN when there is one. DSLs only (ErrForbidden). A
// wrong passphrase, or anything that is not a Haven package, is
// ErrBadPackage; nothing is kept then. Audited as child.file_received.
func (s *Service) ImportPackage(ctx context.Context, by actor.Actor, content io.Reader, passphrase string) (Received, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return Received{}, ErrForbidden
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return Received{}, validate.Problems{"passphrase": "Enter the passphrase the other school sent you"}
	}
	plain, err := age.Decrypt(io.LimitReader(content, MaxPackageBytes), id)
	if err != nil {
		return Received{}, ErrBadPackage
	}
	tr := tar.NewReader(plain)
	var pkg Package
	var pkgJSON []byte
	type file struct {
		ref, name string
		content   []byte
	}
	var files []file
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || n > maxPackageEntries || h.Size > maxPackageEntryBytes || h.Typeflag != tar.TypeReg {
			return Received{}, ErrBadPackage
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxPackageEntryBytes))
		if err != nil {
			return Received{}, ErrBadPackage
		}
		switch {
		case h.Name == packageJSONName:
			pkgJSON = b
		case strings.HasPrefix(h.Name, packageAttachmentsDir):
			parts := strings.SplitN(strings.TrimPrefix(h.Name, packageAttachmentsDir), "/", 2)
			if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
				return Received{}, ErrBadPackage
			}
			files = append(files, file{ref: parts[0], name: safeName(parts[1]), content: b})
		default:
			return Received{}, ErrBadPackage
		}
	}
	if err := json.Unmarshal(pkgJSON, &pkg); err != nil || pkg.Format != "haven.child_file" || pkg.Version != PackageVersion ||
		pkg.Child.FirstName == "" || pkg.Child.LastName == "" {
		return Received{}, ErrBadPackage
	}
	var r Received
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var child *int64
		if pkg.Child.UPN != "" {
			var cid int64
			err := tx.QueryRow(ctx, `SELECT id FROM children WHERE school_id = $1 AND upn = $2`, by.SchoolID, pkg.Child.UPN).Scan(&cid)
			if err == nil {
				child = &cid
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO received_files (school_id, child_id, from_school, child_name, package, imported_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, by.SchoolID, child, pkg.FromSchool,
			pkg.Child.FirstName+" "+pkg.Child.LastName, pkgJSON, by.UserID).Scan(&r.ID); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO received_file_attachments (school_id, received_file_id, concern_ref, name, content)
				VALUES ($1, $2, $3, $4, $5)`, by.SchoolID, r.ID, f.ref, f.name, f.content); err != nil {
				return err
			}
		}
		r.ChildID, r.FromSchool, r.ChildName, r.Package = child, pkg.FromSchool, pkg.Child.FirstName+" "+pkg.Child.LastName, pkg
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.file_received", SubjectType: "received_file",
			SubjectID: strconv.FormatInt(r.ID, 10), Details: map[string]any{"concerns": len(pkg.Concerns),
				"attachments": len(files), "matched": child != nil}})
	})
	if err != nil {
		return Received{}, fmt.Errorf("import package: %w", err)
	}
	return r, nil
}

// ReceivedFile returns a received child's file of by's school for a DSL
// (anyone else, or an unknown id: db.ErrNotFound). Audited as
// child.file_received_view.
func (s *Service) ReceivedFile(ctx context.Context, by actor.Actor, id int64) (Received, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return Received{}, db.ErrNotFound
	}
	var r Received
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var pkg []byte
		err := tx.QueryRow(ctx, `SELECT f.id, f.child_id, f.from_school, f.child_name, f.imported_at, coalesce(u.name, ''), f.package
			FROM received_files f LEFT JOIN users u ON u.id = f.imported_by WHERE f.school_id = $1 AND f.id = $2`,
			by.SchoolID, id).Scan(&r.ID, &r.ChildID, &r.FromSchool, &r.ChildName, &r.ImportedAt, &r.ImportedBy, &pkg)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(pkg, &r.Package); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT id, concern_ref, name, octet_length(content) FROM received_file_attachments
			WHERE school_id = $1 AND received_file_id = $2 ORDER BY id`, by.SchoolID, id)
		if r.Attachments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ReceivedAttachment]); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.file_received_view", SubjectType: "received_file",
			SubjectID: strconv.FormatInt(id, 10)})
	})
	if err != nil {
		return Received{}, fmt.Errorf("received file %d: %w", id, err)
	}
	return r, nil
}
