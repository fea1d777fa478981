package main

import "os"
import "strings"
import "testing"

import "github.com/keyir/keyir/sim/sendgridsim"

// SendGrid's plan is refused before the operator is asked, as GitHub's is:
// the responder key now belongs to another account than the one the run
// assessed (the plan's ids would name other resources there), or no
// responder key is given. keyir showed the plan, took a typed yes, then
// created a run whose eradicate step refused (exit 1). Now: exit 2, no
// question, no run directory, every foothold still there.
func TestEradicateSendGridRefusesBeforeAsking(t *testing.T) {
	fx, envv, root, _ := footholdRun(t)
	dir := onlyRunDir(t, root)
	foothold := sendgridsim.Item{Kind: "event_webhook", Subject: "collect.hooks-relay.example"}

	defer func(f func() bool) { stdinIsTerminal = f }(stdinIsTerminal)
	stdinIsTerminal = func() bool { return true }
	noKey := map[string]string{}
	for k, v := range envv {
		if k != "SENDGRID_API_KEY" {
			noKey[k] = v
		}
	}
	cases := []struct {
		name  string
		env   map[string]string
		setup func()
		want  string
	}{
		// The same simulator answering as another account: the responder
		// key is one of another account.
		{"another account", envv, func() { fx.State.SetOwner(sendgridsim.Owner{Username: "other-co", UserID: 777}) }, "other-co"},
		{"no responder key", noKey, func() { fx.State.SetOwner(sendgridsim.Owner{}) }, "SENDGRID_API_KEY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			r := keyir(t, "yes\n", tc.env, "eradicate", dir)
			if r.code != 2 || strings.Contains(r.stdout+r.stderr, "Type yes") || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d (want 2, refused before the question, naming %q)\n%s%s", r.code, tc.want, r.stdout, r.stderr)
			}
			if runs, _ := os.ReadDir(root); len(runs) != 1 {
				t.Errorf("a refused eradication created a run directory: %d directories", len(runs))
			}
			if !fx.State.Present(foothold) {
				t.Errorf("removed by a refused eradication: %v", foothold)
			}
			for _, args := range [][]string{{"--yes"}, {"--dry-run"}} {
				if r := keyir(t, "", tc.env, append([]string{"eradicate", dir}, args...)...); r.code != 2 {
					t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
				}
			}
		})
	}
	// Its own account again: asked, then carried out.
	fx.State.SetOwner(sendgridsim.Owner{})
	r := keyir(t, "yes\n", envv, "eradicate", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Type yes") || fx.State.Present(foothold) {
		t.Fatalf("the plan's own account: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
