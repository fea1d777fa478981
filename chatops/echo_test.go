package chatops_test

import "strings"
import "testing"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/redact"

// A token pasted after a verb that takes a run id or a scenario is never
// echoed: a GitHub or Slack token is made of a run id's characters, and
// "/keyir status ghp_…" answered "No run or request ghp_….". Every output
// of serve is checked, and the token is registered with the redactor.
func TestServeNeverEchoesATokenGivenAsAnArgument(t *testing.T) {
	w := newWorld(t)
	toks := []string{"ghp_" + strings.Repeat("a", 36), "xoxb-4230001111-5230002222-KeyirDrillLeakedBot00001", "SG.abcdefghijklmnopqrstuv"}
	for _, tok := range toks {
		for _, verb := range []string{"status", "drill"} {
			got := w.command(alice, channel, verb+" "+tok)
			if strings.Contains(got, tok) {
				t.Errorf("%s: the reply quotes the token: %q", verb, got)
			}
			if !w.red.Contains(tok) || w.red.String(tok) == tok {
				t.Errorf("%s: the token is not registered with the redactor", verb)
			}
		}
	}
	w.assertNoLeak(toks...)
}

// A request id is not a key: /keyir status shows the request it names.
func TestServeStatusByRequestID(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+id+" INC-ST")
	r := w.request(id, chatops.StatePending)
	if got := w.command(alice, channel, "status "+r.ID); !strings.Contains(got, r.ID) || !strings.Contains(got, "waiting for approval") {
		t.Errorf("status %s: %q", r.ID, got)
	}
}

// No drill scenario's name has a key's shape: each is still taken.
func TestDrillTakesEveryScenarioName(t *testing.T) {
	for _, sc := range drill.ScenarioNames() {
		if a, err := chatops.ParseArgs("drill "+sc, redact.New()); err != nil || a.Scenario != sc {
			t.Errorf("drill %s: %+v %v", sc, a, err)
		}
	}
}
