package auth

import (
	"regexp"
	"strings"
	"testing"
)

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashPassword(t *testing.T) {
	t.Parallel()
	pw := "correct horse battery staple"
	h := HashPassword(pw, DefaultParams)
	if !phcRE.MatchString(h) {
		t.Fatalf("hash %q is not PHC-encoded argon2id with the default parameters", h)
	}
	if h2 := HashPassword(pw, DefaultParams); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}

	t.Run("the right password matches", func(t *testing.T) {
		ok, rehash, err := VerifyPassword(pw, h, DefaultParams)
		if err != nil || !ok || rehash {
			t.Errorf("VerifyPassword = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
	})
	t.Run("a 100-character password differing only in its last character does not", func(t *testing.T) {
		long := strings.Repeat("abcdefghij", 10)
		lh := HashPassword(long, DefaultParams)
		ok, _, err := VerifyPassword(long[:99]+"X", lh, DefaultParams)
		if err != nil || ok {
			t.Errorf("VerifyPassword = %v, %v; want false", ok, err)
		}
	})
	t.Run("nothing is trimmed", func(t *testing.T) {
		for _, typed := range []string{pw + " ", " " + pw, strings.ToUpper(pw), pw + "\n"} {
			if ok, _, _ := VerifyPassword(typed, h, DefaultParams); ok {
				t.Errorf("VerifyPassword(%q) matched the hash of %q", typed, pw)
			}
		}
	})
	t.Run("a weaker stored hash asks to be recomputed", func(t *testing.T) {
		weak := HashPassword(pw, Params{Memory: 8192, Time: 1, Threads: 1})
		ok, rehash, err := VerifyPassword(pw, weak, DefaultParams)
		if err != nil || !ok || !rehash {
			t.Errorf("VerifyPassword = %v, %v, %v; want true, true, nil", ok, rehash, err)
		}
	})
	t.Run("malformed hashes are errors", func(t *testing.T) {
		for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
			"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
			"$argon2id$v=19$m=19456,t=2,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA"} {
			if _, _, err := VerifyPassword(pw, bad, DefaultParams); err == nil {
				t.Errorf("VerifyPassword accepted the stored hash %q", bad)
			}
		}
	})
}

func TestCheckNewPassword(t *testing.T) {
	t.Parallel()
	ctx := []string{"Sam Taylor", "sam.taylor@brookfield.sch.uk", "Brookfield Primary School"}
	tests := []struct {
		password string
		want     string
	}{
		{"", msgPasswordEmpty},
		{"short pass", msgPasswordShort},
		{"elevenchars", msgPasswordShort},
		{strings.Repeat("x", 257), msgPasswordLong},
		{"password1234", msgPasswordCommon},
		{"PASSWORD1234", msgPasswordCommon},
		{"Password2026!", msgPasswordCommon},
		{"!!Liverpool1234", msgPasswordCommon},
		{"qwertyuiop123", msgPasswordCommon},
		{"aaaaaaaaaaaaaa", msgPasswordCommon},
		{"abcabcabcabcabc", msgPasswordCommon},
		{"123456789012", msgPasswordCommon},
		{"0987654321098", msgPasswordCommon},
		{"Summer2026!!!", msgPasswordCommon},
		{"safeguarding123", msgPasswordCommon},
		{"Haven2026!!!", msgPasswordContext},
		{"brookfield2026", msgPasswordContext},
		{"SamTaylor1234", msgPasswordContext},
		{"taylor12345678", ""}, // enough beside the context word
		{"correct horse battery staple", ""},
		{"tidy-otter-lamp-42", ""},
		{"elevenchars ", ""}, // twelve characters as typed: the space counts
		{"ünïcödé pässwörd", ""},
		{"pass\x00word1234", msgPasswordInvalid},
	}
	for _, tt := range tests {
		if got := CheckNewPassword(tt.password, ctx...); got != tt.want {
			t.Errorf("CheckNewPassword(%q) = %q, want %q", tt.password, got, tt.want)
		}
	}
	if n := CommonPasswordCount(); n < 400 {
		t.Errorf("the common-password list has %d entries, want at least 400", n)
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		c := newRecoveryCode()
		if !regexp.MustCompile(`^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$`).MatchString(c) {
			t.Fatalf("recovery code %q has the wrong form", c)
		}
		if seen[c] {
			t.Fatalf("recovery code %q came twice", c)
		}
		seen[c] = true
		if got := normaliseRecoveryCode(" " + strings.ToUpper(strings.ReplaceAll(c, "-", " ")) + " "); got != c {
			t.Errorf("normaliseRecoveryCode of a retyped %q = %q", c, got)
		}
	}
	if got := normaliseRecoveryCode("abcd-efgh"); got != "" {
		t.Errorf("a short code normalised to %q, want empty", got)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	tok, hash := newToken()
	if len(tok) < 43 {
		t.Errorf("token %q is shorter than 256 bits in base64", tok)
	}
	if string(hashToken(tok)) != string(hash) || len(hash) != 32 {
		t.Error("the stored hash is not the token's SHA-256")
	}
	if tok2, _ := newToken(); tok2 == tok {
		t.Error("two tokens are equal")
	}
}
