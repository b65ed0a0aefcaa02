package app

import (
	"runtime/debug"
	"testing"
)

// plainBuild is what `go version -m` printed for a `go build ./cmd/haven`
// in a fresh clone (trimmed to the lines that matter): a plain build carries
// its commit in Go's build info.
const plainBuild = "go\tgo1.26.8\n" +
	"path\tgithub.com/havenschools/haven/cmd/haven\n" +
	"mod\tgithub.com/havenschools/haven\tv0.0.0-20261208000426-2acd992183b6+dirty\t\n" +
	"build\t-buildmode=exe\n" +
	"build\tvcs=git\n" +
	"build\tvcs.revision=2acd992183b619b297d4c9950216ed6cbbcd1a6f\n" +
	"build\tvcs.time=2026-12-08T00:04:26Z\n" +
	"build\tvcs.modified=true\n"

func TestPlainBuildReadsCommitFromBuildInfo(t *testing.T) {
	bi, err := debug.ParseBuildInfo(plainBuild)
	if err != nil {
		t.Fatal(err)
	}
	got := stampFrom("", "", "", bi).String()
	want := "v0.0.0-20261208000426-2acd992183b6+dirty (commit 2acd992183b619b297d4c9950216ed6cbbcd1a6f, modified, 2026-12-08T00:04:26Z)"
	if got != want {
		t.Errorf("plain build: %q, want %q", got, want)
	}
}

func TestReleaseStampWinsOverBuildInfo(t *testing.T) {
	bi, err := debug.ParseBuildInfo(plainBuild)
	if err != nil {
		t.Fatal(err)
	}
	got := stampFrom("v0.1.0", "0123456789abcdef0123456789abcdef01234567", "2026-12-01T09:00:00Z", bi).String()
	want := "v0.1.0 (commit 0123456789abcdef0123456789abcdef01234567, 2026-12-01T09:00:00Z)"
	if got != want {
		t.Errorf("release build: %q, want %q", got, want)
	}
}

func TestBuildWithoutInfoIsDev(t *testing.T) {
	// go test and -buildvcs=false binaries carry no VCS settings.
	for _, bi := range []*debug.BuildInfo{nil, {Main: debug.Module{Version: "(devel)"}}} {
		if got, want := stampFrom("", "", "", bi).String(), "dev (commit unknown, date unknown)"; got != want {
			t.Errorf("no build info: %q, want %q", got, want)
		}
	}
}
