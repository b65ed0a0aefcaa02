// Package e2e holds Haven's browser journeys: real Chromium against the whole
// application on a test database, checked with axe-core at phone and desktop
// sizes. They run without the race detector (Makefile BROWSER_PKGS).
package e2e

import (
	"testing"

	"github.com/havenschools/haven/internal/browsertest"
)

// TestMain starts one Chromium for every journey in the package, and the
// test database server.
func TestMain(m *testing.M) { browsertest.Main(m) }
