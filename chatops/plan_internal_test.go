package chatops

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import _ "github.com/keyir/keyir/actions/all"

// TestApprovalShowsThePlan: the approval message lists the steps from the
// run's plan, so a core.http POST is shown as a change (to its host) and a
// core.http GET as a read, whatever core.http's registration says; the
// built-in playbook's revoke is a change of SendGrid's hosts, its reads
// are not.
func TestApprovalShowsThePlan(t *testing.T) {
	dir := t.TempDir()
	pbFile := filepath.Join(dir, "revoke.yaml")
	if err := os.WriteFile(pbFile, []byte(`
name: other-provider
description: revoke with one POST
inputs:
  key_id: {type: string}
steps:
  - id: look
    action: core.http
    with: {url: "https://api.example.com/keys/{{ .inputs.key_id }}"}
  - id: revoke
    action: core.http
    with: {method: POST, url: "https://api.example.com/keys/{{ .inputs.key_id }}/revoke"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: &Config{Region: "global", TwoPerson: true}}
	now := time.Now()
	message := func(pb string) string {
		r := &Request{ID: "r1", Playbook: pb, KeyID: "AAAAAAAAAAAAAAAAAAAAAA", State: StatePending, Created: now, Updated: now, Expires: now.Add(time.Hour)}
		_, blocks := planMessage(r, s.cfg, s.steps4(r), true)
		b, err := json.Marshal(blocks)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	got := message(pbFile)
	for _, want := range []string{"1. `look` (core.http)\\n", "2. `revoke` (core.http) — *changes api.example.com*\\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("approval message lacks %q:\n%s", want, got)
		}
	}
	got = message(DefaultPlaybook)
	if !strings.Contains(got, "(sendgrid.revoke_key) — *changes api.sendgrid.com or api.eu.sendgrid.com*") {
		t.Errorf("the built-in revoke is not shown as a change of SendGrid:\n%s", got)
	}
	if strings.Contains(got, "(sendgrid.locate_key) — *changes") {
		t.Errorf("a read is shown as a change:\n%s", got)
	}
}
