package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// Write backs up the database at ownerURL into a new file at path, for by
// (the system, from the command line): q is connected there as the owning
// role, pub is the audit checkpoint key's public half. The backup is
// audited as backup.create in the deployment's chain before the dump, so the
// dump itself records that it was taken. The file appears only once it is
// complete (readable by its owner only: it holds every school's records).
func Write(ctx context.Context, q *pgxpool.Pool, by actor.Actor, ownerURL string, pub ed25519.PublicKey, havenVersion, path string) (Manifest, error) {
	dir, err := os.MkdirTemp("", "haven-backup-")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(dir)
	m := Manifest{Format: Format, Version: Version, HavenVersion: havenVersion, Created: time.Now().UTC().Truncate(time.Second)}
	if err := q.QueryRow(ctx, `SELECT current_database()`).Scan(&m.Database); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	// The checkpoints before the dump: each then names a row the dump holds
	// (the chains only grow).
	var cps bytes.Buffer
	if m.Checkpoints, err = audit.ExportLatestCheckpoints(ctx, q, &cps); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	key, err := audit.PublicKeyPEM(pub)
	if err != nil {
		return Manifest{}, err
	}
	err = db.InTx(ctx, q, by, func(tx pgx.Tx) error {
		return audit.Record(ctx, tx, by, audit.Event{Action: "backup.create",
			Details: map[string]any{"haven_version": havenVersion, "checkpoints": m.Checkpoints}})
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	dump := filepath.Join(dir, DumpName)
	// pg_dump reads everything in one snapshot: the dump is consistent.
	if err := runTool(ctx, "pg_dump", ownerURL, "--format=custom", "--file="+dump); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyName), key, 0o600); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CheckpointsName), cps.Bytes(), 0o600); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	for _, name := range []string{DumpName, KeyName, CheckpointsName} {
		mem, err := sumFile(filepath.Join(dir, name))
		if err != nil {
			return Manifest{}, fmt.Errorf("backup: %w", err)
		}
		mem.Name = name
		m.Members = append(m.Members, mem)
	}
	if err := writeTar(path, dir, m); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

func sumFile(path string) (Member, error) {
	f, err := os.Open(path)
	if err != nil {
		return Member{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return Member{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// writeTar writes the manifest and then the members in dir into path,
// through a temporary file renamed into place.
func writeTar(path, dir string, m Manifest) error {
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename there is nothing left to remove
	tw := tar.NewWriter(f)
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: m.Created}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	err = add(ManifestName, int64(len(manifest)), bytes.NewReader(manifest))
	for _, mem := range m.Members {
		if err != nil {
			break
		}
		var src *os.File
		if src, err = os.Open(filepath.Join(dir, mem.Name)); err == nil {
			err = add(mem.Name, mem.Size, src)
			src.Close()
		}
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return err
}

// Archive is a backup file opened and checked against its manifest.
type Archive struct {
	Manifest    Manifest
	PublicKey   ed25519.PublicKey  // the audit checkpoint key's public half
	Checkpoints []audit.Checkpoint // the last signed checkpoint of each chain
	dir         string             // the members, unpacked
}

// Open unpacks the backup at path into a temporary folder (Close removes
// it) and checks every member's size and SHA-256 against the manifest. A
// file with a member missing, changed, unknown or twice is refused.
func Open(path string) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "haven-restore-")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	a := &Archive{dir: dir}
	if err := a.unpack(f); err != nil {
		a.Close()
		return nil, fmt.Errorf("restore: %s: %w", path, err)
	}
	return a, nil
}

func (a *Archive) unpack(r io.Reader) error {
	known := map[string]bool{ManifestName: true, DumpName: true, KeyName: true, CheckpointsName: true}
	got := map[string]Member{}
	var manifest []byte
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not a Haven backup (a tar file): %w", err)
		}
		if !known[hdr.Name] || hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("not a Haven backup: unexpected member %q", hdr.Name)
		}
		if _, dup := got[hdr.Name]; dup || (hdr.Name == ManifestName && manifest != nil) {
			return fmt.Errorf("member %s appears twice", hdr.Name)
		}
		if hdr.Name == ManifestName {
			if manifest, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
				return err
			}
			continue
		}
		mem, err := unpackMember(tr, filepath.Join(a.dir, hdr.Name))
		if err != nil {
			return err
		}
		mem.Name = hdr.Name
		got[hdr.Name] = mem
	}
	if manifest == nil {
		return errors.New("not a Haven backup: no " + ManifestName)
	}
	if err := json.Unmarshal(manifest, &a.Manifest); err != nil {
		return fmt.Errorf("%s: %w", ManifestName, err)
	}
	if a.Manifest.Format != Format || a.Manifest.Version != Version {
		return fmt.Errorf("%s: format %q version %d, want %q version %d", ManifestName, a.Manifest.Format, a.Manifest.Version, Format, Version)
	}
	listed := map[string]bool{}
	for _, want := range a.Manifest.Members {
		have, ok := got[want.Name]
		switch {
		case !ok:
			return fmt.Errorf("member %s, listed in the manifest, is missing", want.Name)
		case have.Size != want.Size || have.SHA256 != want.SHA256:
			return fmt.Errorf("member %s does not match the manifest (sha256 %s, %d bytes; the manifest says %s, %d bytes): the file is damaged or was changed",
				want.Name, have.SHA256, have.Size, want.SHA256, want.Size)
		}
		listed[want.Name] = true
	}
	for _, name := range []string{DumpName, KeyName, CheckpointsName} {
		if !listed[name] {
			return fmt.Errorf("member %s is not listed in the manifest", name)
		}
	}
	key, err := os.ReadFile(filepath.Join(a.dir, KeyName))
	if err != nil {
		return err
	}
	if a.PublicKey, err = audit.ParsePublicKeyPEM(key); err != nil {
		return fmt.Errorf("%s: %w", KeyName, err)
	}
	cps, err := os.Open(filepath.Join(a.dir, CheckpointsName))
	if err != nil {
		return err
	}
	defer cps.Close()
	if a.Checkpoints, err = audit.ReadCheckpoints(cps); err != nil {
		return fmt.Errorf("%s: %w", CheckpointsName, err)
	}
	return nil
}

func unpackMember(r io.Reader, path string) (Member, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Member{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return Member{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// Restore loads the dump into the database at ownerURL, as one transaction
// (all or nothing). The database must be empty (EnsureEmpty) and the app
// role must exist, since the dump grants it its rights; objects are owned
// by the role ownerURL connects as.
func (a *Archive) Restore(ctx context.Context, ownerURL string) error {
	err := runTool(ctx, "pg_restore", ownerURL, "--no-owner", "--exit-on-error", "--single-transaction",
		filepath.Join(a.dir, DumpName))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// Restored audits, in the deployment's chain of the database q is connected
// to, that by restored it from this backup: call it once the restored audit
// trail has verified.
func (a *Archive) Restored(ctx context.Context, q *pgxpool.Pool, by actor.Actor) error {
	return db.InTx(ctx, q, by, func(tx pgx.Tx) error {
		return audit.Record(ctx, tx, by, audit.Event{Action: "backup.restore", Details: map[string]any{
			"created": a.Manifest.Created.Format(time.RFC3339), "haven_version": a.Manifest.HavenVersion}})
	})
}

// Close removes the unpacked members.
func (a *Archive) Close() error { return os.RemoveAll(a.dir) }
