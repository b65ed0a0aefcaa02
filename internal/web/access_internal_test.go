package web

import "testing"

func TestSafeNext(t *testing.T) {
	t.Parallel()
	good := []string{"/", "/account", "/admin/users/12?tab=role", "/concerns/C-2026-000123#top", "/a%20b"}
	bad := []string{"", "account", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
		"https://evil.example/", "http:/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "/%2fevil.example",
		"%2F%2Fevil.example", "/%5Cevil.example", "/%5cevil.example", "/%252F%252Fevil.example",
		"/\t/evil.example", "/\n/evil.example", "/ /evil.example", "/%09/evil.example", "/%0d%0aLocation:x",
		"/%zz", "/" + string(make([]byte, 2001))}
	for _, p := range good {
		if got := safeNext(p); got != p {
			t.Errorf("safeNext(%q) = %q, want it kept", p, got)
		}
	}
	for _, p := range bad {
		if got := safeNext(p); got != "" {
			t.Errorf("safeNext(%q) = %q, want it refused", p, got)
		}
	}
}
