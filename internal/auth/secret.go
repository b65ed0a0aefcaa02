package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// newToken returns a random URL-safe token of 256 bits and its SHA-256
// hash, which is what is stored.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is the stored form of a token or recovery code.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// TOTP settings (RFC 6238): 30-second steps, six digits, SHA-1 (what every
// authenticator app supports), and one step of clock skew either way.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1
	// totpSecretSize is 20 bytes: 160 bits, RFC 4226's recommendation.
	totpSecretSize = 20
)

// Enrolment is what a person needs to add Haven to an authenticator app.
type Enrolment struct {
	Secret string // base32, to type in by hand
	URL    string // otpauth:// URL, also inside the QR code
	QRCode []byte // a PNG of the QR code, drawn by Haven
}

// newTOTPSecret returns a fresh 160-bit secret from crypto/rand, in base32.
func newTOTPSecret() string {
	b := make([]byte, totpSecretSize)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// enrolment renders secret for account (an email address) as an otpauth URL
// and a QR code drawn by Haven itself.
func enrolment(secret, account string) (Enrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return Enrolment{}, fmt.Errorf("totp secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: "Haven", AccountName: account, Period: totpPeriod, Secret: raw,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("totp key: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, fmt.Errorf("totp qr code: %w", err)
	}
	return Enrolment{
		Secret: groupSecret(key.Secret()),
		URL:    key.URL(),
		QRCode: buf.Bytes(),
	}, nil
}

// groupSecret spaces a base32 secret in groups of four, easier to type.
func groupSecret(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// matchStep returns the time step of now (within one step of skew either
// way) whose code equals code, or 0 when none does. Codes are compared in
// constant time; spaces and dashes typed between digits are ignored.
func matchStep(secret, code string, now time.Time) int64 {
	code = strings.NewReplacer(" ", "", "-", "").Replace(code)
	if len(code) != totpDigits.Length() {
		return 0
	}
	cur := now.Unix() / totpPeriod
	var found int64
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		want, err := totpCode(secret, time.Unix(step*totpPeriod, 0))
		if err != nil {
			return 0
		}
		if hmac.Equal([]byte(want), []byte(code)) && found == 0 {
			found = step
		}
	}
	return found
}

// recoveryAlphabet has no 0/o, 1/l/i: codes are read off paper.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// RecoveryCodeCount is how many recovery codes a person gets.
const RecoveryCodeCount = 10

// newRecoveryCode returns a code of 16 characters in four groups
// ("abcd-efgh-jkmn-pqrs"): about 79 bits, so SHA-256 is a fit hash.
func newRecoveryCode() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		// 256 is not a multiple of 31: rejection would be exact, but the
		// bias of 8/256 on 8 letters costs under 0.1 bit per character.
		s.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
	}
	return s.String()
}

// normaliseRecoveryCode lower-cases a typed code and drops spaces and dashes,
// so "ABCD EFGH-jkmn pqrs" matches.
func normaliseRecoveryCode(s string) string {
	s = strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
	if len(s) != 16 {
		return ""
	}
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// totpCode is the code of secret at t.
func totpCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}
