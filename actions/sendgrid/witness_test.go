package sendgrid

import "context"
import "math/rand/v2"
import "strings"
import "sync/atomic"
import "testing"
import "time"

import "github.com/keyir/keyir/internal/witnesstest"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// witnessPlaybook is the containment part of the built-in playbook with a
// confirm that gives up after 2s, so a run can end not confirmed while the
// simulator still propagates the revocation.
const witnessPlaybook = `name: sendgrid-witness-test
description: the locate step, the revocation and a short confirm
inputs:
  key:
    type: string
    secret: true
    pattern: 'SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}'
  key_id:
    type: string
steps:
  - id: locate
    action: sendgrid.locate_key
    on_error: continue
    with:
      key: "{{ .inputs.key }}"
      key_id: "{{ .inputs.key_id }}"
  - id: revoke
    action: sendgrid.revoke_key
    on_error: stop
    with:
      key_id: "{{ .inputs.key_id }}"
  - id: confirm
    action: sendgrid.confirm_revoked
    on_error: stop
    with:
      key: "{{ .inputs.key }}"
      key_id: "{{ .inputs.key_id }}"
      interval: 50ms
      max_interval: 100ms
      timeout: 2s
`

// TestSendGridConfirmNeedsTheWitnessAtThisAPI: a run saw the key live at
// one SendGrid (the locate step) and deleted it there; its confirm ran out
// of time while the revocation propagated (exit 4). Resumed with
// SENDGRID_API_URL naming another SendGrid, which never issued the key and
// answers 401, the old confirm said "confirmed", exit 0: the other
// server's refusal proves nothing about the key where it lives. It is not
// confirmed (exit 4), and the detail names the API that saw it accepted
// and the variable to set. Resumed against the first SendGrid, come back
// on another port (as a drill's simulator does), once the revocation took
// effect, it is confirmed.
func TestSendGridConfirmNeedsTheWitnessAtThisAPI(t *testing.T) {
	witnessRun(t, false)
}

// TestSendGridConfirmNeedsTheRevokeAtThisAPI: the same run, but the locate
// step could not tell whether the key was live (the first SendGrid failed
// every GET /v3/scopes with the key), so the only witness is the revoke,
// whose DELETE answered 204 there: that SendGrid held the key's id.
// Resumed against another SendGrid, the old confirm said "confirmed" on its
// 401; it is not confirmed, the detail naming where the id was deleted.
// Resumed against the first SendGrid on a new port, it is confirmed.
func TestSendGridConfirmNeedsTheRevokeAtThisAPI(t *testing.T) {
	witnessRun(t, true)
}

// witnessRun runs witnessPlaybook against one SendGrid, then resumes it
// against another and against the first again; blind makes the first
// fail the leaked key's GET /v3/scopes during the first run, so that the
// revoke is the only witness.
func witnessRun(t *testing.T, blind bool) {
	var ahead atomic.Int64 // the first SendGrid's clock runs ahead by this
	a := newFixture(t, func(c *sendgridsim.Config) {
		c.PropagationDelay = time.Hour
		c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	if blind {
		a.srv.InjectFault(sendgridsim.Fault{Route: "GET /v3/scopes", Kind: sendgridsim.FaultStatus, Status: 503})
	}
	pb := witnesstest.Resolve(t, witnessPlaybook)
	given := map[string]string{"key": a.leaked.Token(), "key_id": a.leaked.ID}
	env := map[string]string{EnvAPIURL: a.url, EnvAPIURLEU: a.euURL, EnvAPIKey: a.responder.Token()}
	opts := func() playbook.Options {
		red := redact.New()
		red.Add(a.responder.Token())
		return playbook.Options{Mode: report.ModeLive, Incident: "INC-SG-W", Operator: "test", ReportsRoot: t.TempDir(), Given: given,
			Redactor: red, Getenv: func(k string) string { return env[k] }, StepTimeout: time.Minute}
	}
	res := witnesstest.RunUnconfirmed(t, pb, opts())
	saw := "accepted at " + a.url
	if blind {
		for _, st := range res.Report.Steps {
			if st.ID == "locate" && st.Outputs["status"] != StatusUnknown {
				t.Fatalf("the locate step told the key's liveness through the fault: %v", st.Outputs["status"])
			}
		}
		a.srv.ClearFaults()
		saw = "deleted the key's id " + a.leaked.ID + " at " + a.url
	}

	// Another SendGrid: another host, a key it never issued.
	st := sendgridsim.NewState()
	responder := sendgridsim.NewKey(rand.New(rand.NewPCG(3, 5)), "other responder", sendgridsim.FullAccessScopes())
	st.AddKey(responder)
	b := sendgridsim.New(st, sendgridsim.DefaultConfig())
	if b.Authenticates(a.leaked.ID) {
		t.Fatal("the other SendGrid knows the key")
	}
	hosts, err := sendgridsim.ListenHosts("127.0.0.2:0", "127.0.0.2:0", b)
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	t.Cleanup(func() { _ = hosts.Shutdown(context.Background()) })
	env = map[string]string{EnvAPIURL: hosts.URL, EnvAPIURLEU: hosts.EUURL, EnvAPIKey: responder.Token()}
	c := witnesstest.Resume(t, res.Dir, opts(), report.ExitNotContained, report.ContainmentNotConfirmed, "another SendGrid")
	if !strings.Contains(c.Detail, saw) || !strings.Contains(c.Detail, "another API") || !strings.Contains(c.Detail, "Set "+EnvAPIURL+" to "+a.url) {
		t.Errorf("the detail does not say where the key was seen accepted and how to resume there: %s", c.Detail)
	}

	// The first SendGrid, on a new port, once the revocation took effect.
	ahead.Store(int64(2 * time.Hour))
	again, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", a.srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Shutdown(context.Background()) })
	if again.URL == a.url {
		t.Fatalf("the simulator came back on the same URL %s", again.URL)
	}
	env = map[string]string{EnvAPIURL: again.URL, EnvAPIURLEU: again.EUURL, EnvAPIKey: a.responder.Token()}
	witnesstest.Resume(t, res.Dir, opts(), report.ExitDone, report.ContainmentConfirmed, "the first SendGrid on a new port")
}
