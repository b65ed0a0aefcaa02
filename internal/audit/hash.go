package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// hashVersion is the first field of every row's canonical encoding; a
// future encoding gets a new version string.
const hashVersion = "haven-audit/v1"

// timeLayout is how occurred_at enters the hash: UTC, always six fraction
// digits (PostgreSQL keeps microseconds), as the database's
// to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"').
const timeLayout = "2006-01-02T15:04:05.000000Z"

// genesis is the prev_hash of each chain's first row: 32 zero bytes.
var genesis = make([]byte, sha256.Size)

// row is one audit_events row as stored, in the columns the hash covers.
type row struct {
	ChainID     int64
	Seq         int64
	OccurredAt  time.Time
	UserID      int64 // 0: NULL
	Role        string
	Action      string
	SubjectType string
	SubjectID   string
	RequestID   string
	ClientAddr  string
	UserAgent   string
	Details     string
	PrevHash    []byte
	RowHash     []byte
	scratch     []byte // hash's buffer, kept from row to row
}

// hash returns SHA-256(prev_hash ‖ canonical(fields)), the row's hash as
// the database's audit_row_hash computes it, the fields being, in order:
// the version, chain id, seq, occurred_at (timeLayout, UTC), user id (""
// for none), role, action, subject type, subject id, request id, client
// address, user agent and details. It builds the bytes in the row's
// scratch buffer: Verify hashes every row of every chain.
func (r *row) hash() []byte {
	b := append(r.scratch[:0], r.PrevHash...)
	b = appendField(b, hashVersion)
	var num [32]byte
	b = appendFieldBytes(b, strconv.AppendInt(num[:0], r.ChainID, 10))
	b = appendFieldBytes(b, strconv.AppendInt(num[:0], r.Seq, 10))
	b = appendFieldBytes(b, appendTime(num[:0], r.OccurredAt))
	if r.UserID != 0 {
		b = appendFieldBytes(b, strconv.AppendInt(num[:0], r.UserID, 10))
	} else {
		b = appendField(b, "")
	}
	for _, f := range [...]string{r.Role, r.Action, r.SubjectType, r.SubjectID, r.RequestID, r.ClientAddr, r.UserAgent, r.Details} {
		b = appendField(b, f)
	}
	r.scratch = b
	sum := sha256.Sum256(b)
	return sum[:]
}

// canonical is the canonical encoding of fields: each field's UTF-8 byte
// length as a 4-byte big-endian unsigned integer, then its bytes. The
// length prefix makes the encoding injective: no two different lists of
// fields encode to the same bytes.
func canonical(fields ...string) []byte {
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = appendField(b, f)
	}
	return b
}

func appendField(b []byte, f string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
	return append(b, f...)
}

// appendTime appends t as timeLayout formats it (t.UTC().Format(timeLayout)),
// digit by digit: the same bytes for years 0 to 9999, several times faster.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, minute, sec := t.Clock()
	digits := func(b []byte, n, width int) []byte {
		var d [4]byte
		for i := width - 1; i >= 0; i-- {
			d[i] = byte('0' + n%10)
			n /= 10
		}
		return append(b, d[:width]...)
	}
	b = digits(b, year, 4)
	b = append(b, '-')
	b = digits(b, int(month), 2)
	b = append(b, '-')
	b = digits(b, day, 2)
	b = append(b, 'T')
	b = digits(b, hour, 2)
	b = append(b, ':')
	b = digits(b, minute, 2)
	b = append(b, ':')
	b = digits(b, sec, 2)
	b = append(b, '.')
	micro := t.Nanosecond() / 1000
	b = digits(b, micro/1000, 3)
	b = digits(b, micro%1000, 3)
	return append(b, 'Z')
}

func appendFieldBytes(b, f []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
	return append(b, f...)
}
