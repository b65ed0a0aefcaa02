package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
		want   string // hex
	}{
		{"no fields", nil, ""},
		{"one empty field", []string{""}, "00000000"},
		{"two fields", []string{"ab", "c"}, "00000002" + "6162" + "00000001" + "63"},
		{"the other split", []string{"a", "bc"}, "00000001" + "61" + "00000002" + "6263"},
		{"UTF-8 counts bytes", []string{"é"}, "00000002" + "c3a9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := hex.EncodeToString(canonical(tc.fields...)); got != tc.want {
				t.Errorf("canonical(%q) = %s, want %s", tc.fields, got, tc.want)
			}
		})
	}
}

// example is the worked example of docs/audit.md.
func example() row {
	at, _ := time.Parse(time.RFC3339Nano, "2026-09-01T08:30:00.123456Z")
	return row{ChainID: 1, Seq: 1, OccurredAt: at, UserID: 7, Role: "dsl", Action: "concern.view",
		SubjectType: "concern", SubjectID: "C-2026-000123", RequestID: "req-1", ClientAddr: "192.0.2.10",
		UserAgent: "Mozilla/5.0", Details: `{"tab":"chronology"}`, PrevHash: genesis}
}

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docHash computes a row's hash by following docs/audit.md's description
// step by step, independently of row.hash.
func docHash(r row) []byte {
	user := ""
	if r.UserID != 0 {
		user = strconv.FormatInt(r.UserID, 10)
	}
	fields := []string{"haven-audit/v1", strconv.FormatInt(r.ChainID, 10), strconv.FormatInt(r.Seq, 10),
		r.OccurredAt.UTC().Format("2006-01-02T15:04:05.000000Z"), user, r.Role, r.Action,
		r.SubjectType, r.SubjectID, r.RequestID, r.ClientAddr, r.UserAgent, r.Details}
	var b bytes.Buffer
	b.Write(r.PrevHash)
	for _, f := range fields {
		_ = binary.Write(&b, binary.BigEndian, uint32(len([]byte(f))))
		b.WriteString(f)
	}
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

func TestDocDescribesTheHash(t *testing.T) {
	doc := readDoc(t)
	m := regexp.MustCompile(`row_hash = ([0-9a-f]{64})`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/audit.md has no worked example `row_hash = <hex>`")
	}
	r := example()
	if got := hex.EncodeToString(r.hash()); got != m[1] {
		t.Errorf("worked example: row.hash = %s, the doc says %s", got, m[1])
	}
	if got := hex.EncodeToString(docHash(r)); got != m[1] {
		t.Errorf("worked example: the doc's steps give %s, the doc says %s", got, m[1])
	}
	// Other rows: a NULL user, the deployment chain, a later seq, odd text.
	r2 := row{ChainID: 0, Seq: 42, OccurredAt: time.Date(2027, 1, 2, 3, 4, 5, 0, time.FixedZone("BST", 3600)),
		Action: "auth.sign_in_failed", UserAgent: "Ünïcode ✓", Details: "{}", PrevHash: bytes.Repeat([]byte{7}, 32)}
	if got, want := r2.hash(), docHash(r2); !bytes.Equal(got, want) {
		t.Errorf("row.hash = %x, the doc's steps give %x", got, want)
	}
	for _, s := range []string{"haven-audit/v1", `YYYY-MM-DD"T"HH24:MI:SS.US"Z"`, "4-byte big-endian"} {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/audit.md no longer mentions %q", s)
		}
	}
}

func TestCheckpointMessageIsDocumented(t *testing.T) {
	c := Checkpoint{ChainID: 3, Seq: 12, Hash: bytes.Repeat([]byte{0xab}, 32),
		SignedAt: time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)}
	want := "haven-audit-checkpoint/v1\nchain 3\nseq 12\nhash " + strings.Repeat("ab", 32) +
		"\ntime 2026-09-01T09:00:00.000000Z\n"
	if got := string(c.Message()); got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
	doc := readDoc(t)
	for _, line := range []string{"haven-audit-checkpoint/v1\n", "chain <chain id, decimal>\n", "seq <seq, decimal>\n",
		"hash <row_hash, lower-case hex>\n", "time <signed_at, UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ>\n"} {
		if !strings.Contains(doc, line) {
			t.Errorf("docs/audit.md does not describe the line %q", line)
		}
	}
}

func TestCanonicalDetails(t *testing.T) {
	for _, tc := range []struct {
		name    string
		details map[string]any
		want    string
		wantErr bool
	}{
		{"nil is an empty object", nil, "{}", false},
		{"keys sorted, compact, no HTML escaping", map[string]any{"b": 1, "a": []string{"x<y"}}, `{"a":["x<y"],"b":1}`, false},
		{"nested maps sorted too", map[string]any{"m": map[string]any{"z": true, "y": nil}}, `{"m":{"y":null,"z":true}}`, false},
		{"capital keys refused", map[string]any{"Name": "x"}, "", true},
		{"spaces in keys refused", map[string]any{"child name": "x"}, "", true},
		{"NaN refused", map[string]any{"x": nan()}, "", true},
		{"NUL refused", map[string]any{"x": "a\x00b"}, "", true},
		{"over 4 KiB refused", map[string]any{"x": strings.Repeat("y", 4100)}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := canonicalDetails(tc.details)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("canonicalDetails(%v) = %q, %v; want %q (error: %v)", tc.details, got, err, tc.want, tc.wantErr)
			}
		})
	}
	// The same map, built in a different order, gives the same bytes.
	a, _ := canonicalDetails(map[string]any{"x": 1, "y": 2, "z": 3})
	b, _ := canonicalDetails(map[string]any{"z": 3, "y": 2, "x": 1})
	if a != b {
		t.Errorf("details depend on insertion order: %s vs %s", a, b)
	}
}

func nan() float64 { z := 0.0; return z / z }

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"Mozilla/5.0", 512, "Mozilla/5.0"},
		{"a\x00b\nc\x7f", 512, "abc"},
		{"bad \xff byte", 512, "bad \uFFFD byte"},
		{"ééé", 5, "éé"}, // cut at a character boundary
		{"abc", 2, "ab"},
	} {
		if got := clean(tc.in, tc.max); got != tc.want {
			t.Errorf("clean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestIsView(t *testing.T) {
	for action, want := range map[string]bool{
		"concern.view": true, "attachment.download": true, "chronology.print": true,
		"concern.submit": false, "concern.preview": false, "export.view_request.approve": false,
	} {
		if got := IsView(action); got != want {
			t.Errorf("IsView(%q) = %v, want %v", action, got, want)
		}
	}
}

// decode splits a canonical encoding back into its fields (for the fuzz
// target: an encoding that decodes back to its fields is injective).
func decode(b []byte) ([]string, bool) {
	var out []string
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, false
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(len(b)) < uint64(n) {
			return nil, false
		}
		out = append(out, string(b[:n]))
		b = b[n:]
	}
	return out, true
}

func FuzzCanonical(f *testing.F) {
	f.Add("ab", "c", "a", "bc")
	f.Add("", "", "", "")
	f.Add("\x00\x00\x00\x01", "x", "", "\x00\x00\x00\x01x")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		x := canonical(a, b)
		if !bytes.Equal(x, canonical(a, b)) {
			t.Fatal("canonical is not deterministic")
		}
		if got, ok := decode(x); !ok || len(got) != 2 || got[0] != a || got[1] != b {
			t.Fatalf("decode(canonical(%q, %q)) = %q, %v", a, b, got, ok)
		}
		if (a != c || b != d) && bytes.Equal(x, canonical(c, d)) {
			t.Fatalf("(%q, %q) and (%q, %q) encode the same", a, b, c, d)
		}
		// Moving bytes between fields, or into a third field, changes the encoding.
		if bytes.Equal(canonical(a+b), x) || bytes.Equal(canonical(a, b, c), x) {
			t.Fatalf("a different split of %q|%q encodes the same", a, b)
		}
	})
}

// appendTime writes what time.Format with timeLayout writes.
func TestAppendTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC),
		time.Date(2027, 12, 31, 23, 59, 59, 999999999, time.FixedZone("BST", 3600)),
		time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 123456000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(1_800_000_000, 654321987),
	} {
		if got, want := string(appendTime(nil, tm)), tm.UTC().Format(timeLayout); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
