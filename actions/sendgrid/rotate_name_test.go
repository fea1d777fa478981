package sendgrid

import "strings"
import "testing"
import "time"
import "unicode/utf8"

func TestReplacementNameKeepsTheDateWithinTheLimit(t *testing.T) {
	day := time.Date(2026, 12, 1, 23, 30, 0, 0, time.FixedZone("x", -5*3600)) // 2026-12-02 UTC
	cases := map[string]string{
		"prod-mailer":                      "prod-mailer (rotated 2026-12-02)",
		"prod-mailer (rotated 2026-11-01)": "prod-mailer (rotated 2026-12-02)",
		"evil\x1b[2Jname\n":                "evil [2Jname (rotated 2026-12-02)",
		"":                                 "api key (rotated 2026-12-02)",
		strings.Repeat("é", 300):           strings.Repeat("é", MaxKeyName-len(" (rotated 2026-12-02)")-1) + "… (rotated 2026-12-02)",
	}
	for in, want := range cases {
		got := ReplacementName(in, day)
		if got != want {
			t.Errorf("ReplacementName(%q) = %q, want %q", in, got, want)
		}
		if n := utf8.RuneCountInString(got); n > MaxKeyName {
			t.Errorf("%q: %d characters, limit %d", got, n, MaxKeyName)
		}
	}
}

func TestGrantableScopesNeverEmpty(t *testing.T) {
	for _, in := range [][]string{nil, {}, {"2fa_required", " "}, {"sender_verification_eligible"}} {
		if got, err := GrantableScopes(in); err == nil {
			t.Errorf("%q: %v accepted", in, got)
		}
	}
	got, err := GrantableScopes([]string{"stats.read", "mail.send", "2fa_required", "mail.send"})
	if err != nil || strings.Join(got, ",") != "mail.send,stats.read" {
		t.Fatalf("%v %v", got, err)
	}
}
