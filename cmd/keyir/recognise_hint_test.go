package main

import "strings"
import "testing"

import "github.com/keyir/keyir/provider"

// FuzzRecogniseHint: whatever is pasted as the leaked key, Recognise's
// refusal (with its hint of what the key is near) never quotes it: no run
// of 8 or more of its characters that is not part of the message's own
// fixed text appears in the error.
func FuzzRecogniseHint(f *testing.F) {
	f.Add(`"ghp_keyirSampleToken000000000000000000",`)
	f.Add("export GITHUB_TOKEN=github_pat_11ABCDEFG0abcdefghijkl_short")
	f.Add("xoxb-123-456-abcdefghijklmnopqrstuvwx extra")
	f.Add("SG.short.x")
	plain := provider.Unrecognised("the leaked key").Error()
	f.Fuzz(func(t *testing.T, key string) {
		_, err := provider.Recognise(key)
		if err == nil {
			return
		}
		msg := err.Error()
		k := strings.TrimSpace(key)
		for i := 0; i+8 <= len(k); i++ {
			run := k[i : i+8]
			if strings.Contains(msg, run) && !strings.Contains(plain, run) && !strings.Contains(hintText, run) {
				t.Fatalf("the refusal quotes %q of the key: %s", run, msg)
			}
		}
	})
}

// hintText is every fixed word the hints may print (kind names, prefixes).
var hintText = func() string {
	var b strings.Builder
	b.WriteString(": it holds what looks like among other text (quotes, a variable name, a header?): give the key alone")
	b.WriteString(": it starts like but the rest does not have that shape: truncated, cut or mistyped?")
	b.WriteString(" looks like but its checksum does not match: mistyped, truncated or not a real token (it is not shown)")
	for _, k := range provider.Kinds() {
		b.WriteString(" " + k.Named() + " (" + k.Prefix + "…) this is , and keyir has no response for it: revoke it in " + k.Revoke + ", then record it with keyir run generic-key-revoke")
	}
	return b.String()
}()
