package redact

import "strings"
import "testing"
import "unicode/utf8"

// A secret across the cut is redacted whole, and the cut never splits a rune.
func TestClipRedactsBeforeCutting(t *testing.T) {
	secret := "s3cr3t-value-that-is-long-enough-0123456789"
	r := New(secret)
	got := r.Clip(strings.Repeat("a", 10)+secret, 14)
	if strings.Contains(got, secret[:4]) {
		t.Errorf("Clip kept the start of the secret: %q", got)
	}
	if got := r.Clip("ab€", 3); got != "ab" || !utf8.ValidString(got) {
		t.Errorf("Clip split a rune: %q", got)
	}
}
