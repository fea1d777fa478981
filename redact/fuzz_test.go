package redact

import "encoding/base64"
import "strings"
import "testing"

// FuzzRedact: whatever the text, String does not panic, leaves no registered
// secret in clear, and changes nothing in text that holds no trace of one.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"", "%", "\\", "&", "&#", "&#x;", "\\u", "\\uD83D\\uDE00", "%%41", "&#99999999999;", "&period",
		base64.StdEncoding.EncodeToString([]byte("u:" + plain)), sgKey[:30], "&#83;G" + sgKey[2:],
		strings.Repeat("A", 100), "\\x4", "%2", "a=b&c=d",
	} {
		f.Add(s)
	}
	r := New(sgKey, plain)
	f.Fuzz(func(t *testing.T, s string) {
		out := r.String(s)
		if strings.Contains(out, sgSecret) || strings.Contains(out, plain) {
			t.Fatalf("secret in clear: %q -> %q", s, out)
		}
		if !r.Contains(s) && out != s {
			t.Fatalf("changed without a secret: %q -> %q", s, out)
		}
	})
}

// BenchmarkRedactBase64Blob is an email attachment: one 256 KiB base64 run
// decoded at every alignment.
func BenchmarkRedactBase64Blob(b *testing.B) {
	raw := make([]byte, 192<<10)
	for i := range raw {
		raw[i] = byte(i * 7919 >> 3)
	}
	text := base64.StdEncoding.EncodeToString(raw)
	r := New(sgKey, plain)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		r.String(text)
	}
}
