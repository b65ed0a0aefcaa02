package app

import (
	"fmt"
	"runtime/debug"
)

// version, commit and date are set at build time by make build and make
// release: -ldflags "-X github.com/havenschools/haven/internal/app.version=v1.2.3
// -X ….commit=<sha> -X ….date=2026-01-31T12:00:00Z". Without them (a plain
// go build) they come from Go's build info: the module version Go derives
// from the checkout, vcs.revision, vcs.modified and vcs.time.
var version, commit, date string

// buildStamp is what a haven binary knows about where it came from.
type buildStamp struct {
	Version  string // v1.2.3, a Go pseudo-version, or "dev"
	Commit   string // the full VCS revision, or "" when unknown
	Date     string // the commit's time (RFC 3339, UTC), or "" when unknown
	Modified bool   // built from a checkout with uncommitted changes
}

// stampFrom combines the -X values with Go's build info (nil when the
// binary has none); a -X value wins over the build info.
func stampFrom(version, commit, date string, bi *debug.BuildInfo) buildStamp {
	s := buildStamp{Version: version, Commit: commit, Date: date}
	if bi == nil {
		bi = &debug.BuildInfo{}
	}
	if s.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		s.Version = bi.Main.Version
	}
	if s.Version == "" {
		s.Version = "dev"
	}
	fromVCS := s.Commit == ""
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			if fromVCS {
				s.Commit = kv.Value
			}
		case "vcs.time":
			if s.Date == "" {
				s.Date = kv.Value
			}
		case "vcs.modified":
			if fromVCS {
				s.Modified = kv.Value == "true"
			}
		}
	}
	return s
}

func currentStamp() buildStamp {
	bi, _ := debug.ReadBuildInfo()
	return stampFrom(version, commit, date, bi)
}

// Version returns Haven's version: the build's tag, else the version Go
// derived from the checkout, else "dev".
func Version() string { return currentStamp().Version }

// String is what haven version prints after "haven ".
func (s buildStamp) String() string {
	c, d := s.Commit, s.Date
	if c == "" {
		c = "unknown"
	}
	if s.Modified {
		c += ", modified"
	}
	if d == "" {
		d = "date unknown"
	}
	return fmt.Sprintf("%s (commit %s, %s)", s.Version, c, d)
}
