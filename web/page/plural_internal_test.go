package page

import (
	"testing"

	"github.com/havenschools/haven/internal/records"
)

// TestExportProgressCountsOneConcern: a child's file is one concern's
// export, and said so ("1 concerns" was seen on the export page).
func TestExportProgressCountsOneConcern(t *testing.T) {
	for _, c := range []struct {
		e    records.Export
		want string
	}{
		{records.Export{Status: records.Ready, RowsDone: 1, SizeBytes: 100}, "1 concern, "},
		{records.Export{Status: records.Ready, RowsDone: 2, SizeBytes: 100}, "2 concerns, "},
		{records.Export{Status: records.Running, RowsDone: 0, RowsTotal: 1}, "0 of 1 concern written"},
	} {
		if got := exportProgress(c.e); len(got) < len(c.want) || got[:len(c.want)] != c.want {
			t.Errorf("exportProgress(%+v) = %q, want it to start %q", c.e, got, c.want)
		}
	}
}
