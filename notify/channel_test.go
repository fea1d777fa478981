package notify

import "strings"
import "testing"

import "github.com/keyir/keyir/redact"

// OpenChannel is every channel constructor's first step: a channel without
// the run's redactor is refused before its credential is read, and the
// credential read is registered with the redactor (a later message quoting
// it prints its token instead).
func TestOpenChannelRegistersTheCredentialItReads(t *testing.T) {
	env := func(k string) string {
		if k == "HOOK_SECRET" {
			return "s3cr3t-value-for-the-hook-0123456789"
		}
		return ""
	}
	o := ChannelOptions{HubEnv: HubEnv{Getenv: env}}
	if _, err := OpenChannel("notify.test", nil, &o, "HOOK_SECRET"); err == nil || !strings.Contains(err.Error(), "notify.test: a redactor is required") {
		t.Fatalf("without a redactor: %v", err)
	}
	o.Redactor = redact.New()
	got, err := OpenChannel("notify.test", nil, &o, "HOOK_SECRET")
	if err != nil || got != "s3cr3t-value-for-the-hook-0123456789" {
		t.Fatalf("OpenChannel = %q, %v", got, err)
	}
	if s := o.Redactor.String("posted with " + got); strings.Contains(s, got) {
		t.Errorf("the credential read is not registered with the redactor: %q", s)
	}
	if o.Now == nil {
		t.Error("the clock is not defaulted")
	}
	if _, err := OpenChannel("notify.test", nil, &ChannelOptions{HubEnv: HubEnv{Getenv: env, Redactor: redact.New()}}, "MISSING"); err == nil || !strings.HasPrefix(err.Error(), "notify.test: ") {
		t.Errorf("a missing credential: %v", err)
	}
}
