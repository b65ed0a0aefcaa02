package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. The minimum, from OWASP ASVS 5.0
// Appendix C, is 19 MiB of memory, 2 passes and 1 lane; docs/security.md
// records the values in use.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
}

// DefaultParams are the parameters new hashes get. Raising them makes every
// older hash be re-computed at its owner's next sign-in (NeedsRehash).
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen and MaxPasswordLen bound a password, in characters
	// (Unicode code points). No composition rules apply.
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// errBadHash is returned for a stored hash that is not PHC-encoded argon2id.
var errBadHash = errors.New("stored password hash is not PHC-encoded argon2id")

// HashPassword returns the PHC encoding of password's argon2id hash with a
// fresh random salt: $argon2id$v=19$m=…,t=…,p=…$salt$hash (unpadded base64).
// The password is hashed exactly as typed.
func HashPassword(password string, p Params) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand never fails on Linux
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// VerifyPassword reports whether password matches the PHC-encoded hash, in
// constant time, and whether the hash should be recomputed because its
// parameters are below p.
func VerifyPassword(password, encoded string, p Params) (ok, rehash bool, err error) {
	hp, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, hp.Time, hp.Memory, hp.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	rehash = hp.Memory < p.Memory || hp.Time < p.Time || hp.Threads < p.Threads || len(key) < keyLen
	return ok, rehash, nil
}

func decodeHash(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, errBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, errBadHash
	}
	if p.Memory < 8 || p.Time < 1 || p.Threads < 1 || fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) != parts[3] {
		return Params{}, nil, nil, errBadHash
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, errBadHash
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Params{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

//go:embed common-passwords.txt
var commonPasswordsFile []byte

// commonPasswords is the shipped list, lower-cased, as a set.
var commonPasswords = func() map[string]bool {
	set := map[string]bool{}
	for line := range bytes.Lines(commonPasswordsFile) {
		w := strings.ToLower(strings.TrimSpace(string(line)))
		if w != "" && !strings.HasPrefix(w, "#") {
			set[w] = true
		}
	}
	return set
}()

// CommonPasswordCount is the number of entries in the shipped list of common
// passwords (for the documentation and its test).
func CommonPasswordCount() int { return len(commonPasswords) }

// Messages shown beside a refused password.
const (
	msgPasswordEmpty   = "Enter a password"
	msgPasswordShort   = "Your password must be 12 characters or more"
	msgPasswordLong    = "Your password must be 256 characters or fewer"
	msgPasswordCommon  = "This password is too common or too easy to guess. Choose a different one"
	msgPasswordContext = "Your password must not be based on your name, your email address, the school's name or Haven"
	msgPasswordInvalid = "Your password contains characters that cannot be used"
	msgPasswordConfirm = "The passwords do not match"
)

// CheckNewPassword returns "" when password may be chosen, or the message
// to show. The rules (NIST SP 800-63B, ASVS V6.2): at least 12 and at most
// 256 characters, no composition rules, and not guessable — not on the
// shipped list of common passwords, not a common password or a context word
// padded with digits and symbols, not a run of repeated or sequential
// characters, and not built from context: the person's name or email, the
// school's name, "Haven". The password is judged as typed: nothing is
// trimmed.
func CheckNewPassword(password string, context ...string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		return msgPasswordEmpty
	case !utf8.ValidString(password) || strings.ContainsRune(password, 0):
		return msgPasswordInvalid
	case n < MinPasswordLen:
		return msgPasswordShort
	case n > MaxPasswordLen:
		return msgPasswordLong
	}
	lower := strings.ToLower(password)
	if commonPasswords[lower] || repetitive(lower) || sequential(lower) {
		return msgPasswordCommon
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if commonPasswords[core] || datedWord(lower) {
		return msgPasswordCommon
	}
	for _, w := range contextWords(context) {
		if strings.Contains(lower, w) && letters(strings.ReplaceAll(lower, w, "")) < 6 {
			return msgPasswordContext
		}
	}
	return ""
}

// contextWords turns names, emails and the school's name into lower-case
// words of 4 letters or more, with "haven" always among them.
func contextWords(context []string) []string {
	words := []string{"haven"}
	for _, c := range context {
		c = strings.ToLower(c)
		if at := strings.IndexByte(c, '@'); at > 0 {
			c = c[:at] + " " + c[at+1:]
		}
		fields := strings.FieldsFunc(c, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		words = append(words, strings.Join(fields, ""))
		for _, f := range fields {
			if utf8.RuneCountInString(f) >= 4 {
				words = append(words, f)
			}
		}
	}
	out := words[:0]
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 4 {
			out = append(out, w)
		}
	}
	return out
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// repetitive reports whether s is one short unit (up to 4 characters)
// repeated, such as "aaaaaaaaaaaa" or "abcabcabcabc".
func repetitive(s string) bool {
	r := []rune(s)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		same := true
		for i := unit; i < len(r); i++ {
			if r[i] != r[i-unit] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// keyboardRuns are sequences people walk along; a password that is one
// contiguous piece of one of them (either way round) is refused.
var keyboardRuns = []string{
	"abcdefghijklmnopqrstuvwxyz",
	"0123456789012345678901234567890123456789",
	"qwertyuiopasdfghjklzxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"zaq12wsxcde34rfvbgt56yhnmju78ik,.lo90p",
	"qazwsxedcrfvtgbyhnujmikolp",
	"1q2w3e4r5t6y7u8i9o0p",
	"q1w2e3r4t5y6u7i8o9p0",
	"a1b2c3d4e5f6g7h8i9j0",
}

func sequential(s string) bool {
	rev := []rune(s)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	for _, run := range keyboardRuns {
		if strings.Contains(run, s) || strings.Contains(run, string(rev)) {
			return true
		}
	}
	return false
}

// seasons are words people pair with a year ("Summer2026!").
var seasons = []string{"spring", "summer", "autumn", "fall", "winter", "january", "february", "march", "april",
	"may", "june", "july", "august", "september", "october", "november", "december", "christmas", "easter",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "password", "welcome", "term"}

// datedWord reports whether s is a season, month or other stock word with
// only digits and symbols around it.
func datedWord(s string) bool {
	core := strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	for _, w := range seasons {
		if core == w {
			return true
		}
	}
	return false
}
