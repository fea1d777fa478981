// Package notifytest holds what every notifier's tests share: canary secrets,
// a hostile sample Event, and AssertLeaksNoSecret (alertmanager has
// notify/test.AssertNotifyLeaksNoSecret; keyir checks every output, not only
// errors).
package notifytest

import "encoding/base64"
import "encoding/json"
import "net/url"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/report"

// Canaries. Each is shaped like the real thing so that shape-based redaction
// is exercised too; none is a working credential.
const (
	// LeakedKeyID is the id segment of LeakedKey: it is not secret and may appear.
	LeakedKeyID = "AbCdEfGhIjKlMnOpQrStUv"
	// LeakedKey is the compromised SendGrid key (SG. + 22 + . + 43).
	LeakedKey     = "SG." + LeakedKeyID + ".CANARYleakedKEYsecretPART0123456789abcdefgh"
	BotToken      = "xoxb-1111111111-2222222222-CANARYbotTOKEN"
	AppToken      = "xapp-1-A111-2222-CANARYappTOKEN"
	NotifyKey     = "SG.NotifyKeyIdNotifyKe01.CANARYnotifyKEYsecretPART0123456789abcdef"
	ResponderKey  = "SG.ResponderKeyIdRespo01.CANARYresponderKEYsecretPART0123456789ab"
	WebhookSecret = "CANARY-webhook-signing-secret-0123456789"
)

// Secrets lists every canary.
func Secrets() []string {
	return []string{LeakedKey, BotToken, AppToken, NotifyKey, ResponderKey, WebhookSecret}
}

// HostileName is a key name an attacker could have chosen: mentions, a
// disguised link, formatting and HTML. Notifiers must show it as text.
const HostileName = "prod <!channel> <@U123> *bold* <https://evil.example|click> <script>x</script> & `tick`"

// Event returns a deterministic event of the given kind. The leaked key hides
// in a step error, a finding's detail and a step output, as it could in real
// life (an API echoing it back); redaction must remove it everywhere.
func Event(kind notify.Kind, mode report.Mode) notify.Event {
	t0 := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	ev := notify.Event{
		Kind:           kind,
		Time:           t0,
		RunRef:         notify.RunRef{RunID: "run-7f3a", Incident: "INC-42", Playbook: "sendgrid-key-compromise", Mode: mode, Operator: "alice"},
		KeyID:          LeakedKeyID,
		KeyName:        HostileName,
		KeyType:        "full access",
		KeyFingerprint: "3c9a1f0e",
		KeyKind:        "SendGrid API key",
		Status:         report.RunRunning,
	}
	steps := []report.Step{
		{Index: 1, ID: "identify", Action: "sendgrid.key_details", Status: report.StepOK, Started: t0, Duration: 800 * time.Millisecond},
		{Index: 2, ID: "revoke", Action: "sendgrid.revoke_key", Mutates: true, Critical: true, Status: report.StepOK, Started: t0.Add(time.Second), Duration: 1200 * time.Millisecond,
			Outputs: map[string]any{"echo": "deleted " + LeakedKey}},
		{Index: 3, ID: "activity", Action: "sendgrid.activity", Status: report.StepFailed, Started: t0.Add(3 * time.Second), Duration: 2 * time.Second,
			Error: "400 from /v3/messages for key " + LeakedKey},
		{Index: 4, ID: "notify", Action: "notify.slack", Status: report.StepPending},
	}
	switch kind {
	case notify.Opened:
	case notify.Progress:
		ev.Time = t0.Add(5 * time.Second)
		ev.Steps = steps
	case notify.Closed:
		ev.Time = t0.Add(95 * time.Second)
		steps[3].Status = report.StepOK
		ev.Steps = steps
		ev.Status = report.RunDegraded
		ev.ExitCode = 3
		ev.Containment = report.Containment{Status: report.ContainmentConfirmed, Detail: "key answered 401 after 3 polls",
			TimeToContainment: 42 * time.Second, At: t0.Add(42 * time.Second)}
		ev.Findings = []report.Finding{
			{Kind: "key.full_access", Subject: LeakedKeyID, Severity: report.Critical, Title: "Key had full access", Step: "identify"},
			{Kind: "persistence.new_api_key", Subject: "backup-2 <!here>", Severity: report.High, Title: "API key `backup-2` <!here> is not in the baseline", Detail: "created by " + LeakedKey, Step: "inventory"},
			{Kind: "activity.volume", Severity: report.Medium, Title: "4,210 messages to 3,900 recipients in the window", Step: "activity"},
			{Kind: "activity.not_assessable", Severity: report.Info, Title: "Email Activity not assessable (no add-on)", Step: "activity"},
		}
		ev.ManifestHead = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	}
	return ev
}

// forms are the spellings a secret can take on the wire.
func forms(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s), base64.StdEncoding.EncodeToString([]byte(s))}
	if b, err := json.Marshal(s); err == nil {
		out = append(out, strings.Trim(string(b), `"`))
	}
	return out
}

// AssertLeaksNoSecret fails t if any canary, in any of its wire spellings
// (raw, URL-, JSON- or base64-encoded), appears in any output. Pass everything
// a notifier produced: every request a simulator recorded, error strings,
// logs.
func AssertLeaksNoSecret(t testing.TB, canaries []string, outputs ...[]byte) {
	t.Helper()
	for i, out := range outputs {
		s := string(out)
		for _, c := range canaries {
			for _, f := range forms(c) {
				if f != "" && strings.Contains(s, f) {
					at := strings.Index(s, f)
					lo, hi := max(0, at-40), min(len(s), at+len(f)+40)
					t.Errorf("output %d leaks a canary secret (%.12s…) near %q", i, c, s[lo:hi])
				}
			}
		}
	}
}
