package slacktoken

import "errors"
import "strings"
import "testing"

import "github.com/keyir/keyir/sim/slacksim"

// FuzzParseToken: whatever is pasted as the leaked token, ParseToken never
// panics, an accepted token is whole one of the four kinds, and a refusal
// never quotes the value.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{slacksim.LeakedBotToken, slacksim.LeakedUserToken, RotatingToken.Sample, RefreshToken.Sample,
		"xoxb-", "xoxe.xoxa-1-" + strings.Repeat("a", 40), "xapp-1-A1-1-abc", " xoxb-1-2-3 ", "xoxp-\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ti, err := ParseToken(s)
		if err == nil {
			if ti.Kind == nil || !ti.Kind.Valid(strings.TrimSpace(s)) || ti.Fingerprint == "" {
				t.Fatalf("accepted as %+v", ti)
			}
			return
		}
		if v := strings.TrimSpace(s); len(v) >= 8 && strings.Contains(err.Error(), v) {
			t.Fatalf("the error quotes the value: %v", err)
		}
	})
}

// FuzzDecode: a hostile or broken answer from "Slack" is an error or a
// decoded value, never a panic; ok:false is always a *SlackError, and
// anything without a boolean ok is refused.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"ok":true,"user_id":"U1"}`, `{"ok":false,"error":"token_revoked"}`, `{"ok":false}`,
		`{"ok":false,"error":"missing_scope","needed":"admin","provided":"identify"}`, `{"ok":"yes"}`, `[]`, `null`, ``, `{"ok":true,"logins":[{"date_first":"x"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var id identity
		err := decode("auth.test", body, &id)
		var se *SlackError
		if errors.As(err, &se) && se.Code == "" {
			t.Fatal("a Slack error without a code")
		}
		var p pageOf[login]
		_ = decode("team.accessLogs", body, &p)
	})
}
