package web_test

import (
	"testing"

	"github.com/havenschools/haven/internal/db/dbtest"
)

// TestMain is the one TestMain for internal/web's tests (package web and
// web_test share a test binary): every test gets a database from dbtest.
func TestMain(m *testing.M) { dbtest.Main(m) }
