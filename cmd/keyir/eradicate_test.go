package main

import "context"
import "encoding/json"
import "math/rand/v2"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"

// The whole loop from the command line: a run that contains the key but
// leaves footholds ends 5 and names keyir eradicate last; eradicate refuses
// without a terminal and without --yes (2), takes only a typed yes, removes
// the footholds, and a second eradicate has nothing to do.
func TestEradicateFromTheCommandLine(t *testing.T) {
	fx, envv, root, r := footholdRun(t)
	dir := onlyRunDir(t, root)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	last := strings.Join(lines[len(lines)-2:], "\n")
	if !strings.Contains(last, "Outcome: contained; ") || !strings.Contains(last, "footholds open") || !strings.HasSuffix(last, "Next: keyir eradicate "+dir) {
		t.Fatalf("the run's last lines do not name the next step:\n%s", last)
	}
	footholds := []sendgridsim.Item{
		{Kind: "pending_invite", Subject: "ops-helper@mailbox.example"}, {Kind: "forward_bounce", Subject: "drop@mailbox.example"},
		{Kind: "event_webhook", Subject: "collect.hooks-relay.example"}, {Kind: "ip_allow_entry", Subject: "203.0.113.66"},
	}

	defer func(f func() bool) { stdinIsTerminal = f }(stdinIsTerminal)
	stdinIsTerminal = func() bool { return false }
	if r := keyir(t, "yes\n", envv, "eradicate", dir); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("no terminal, no --yes: exit %d, stderr %s", r.code, r.stderr)
	}
	stdinIsTerminal = func() bool { return true }
	if r := keyir(t, "no\n", envv, "eradicate", dir); r.code != 1 || !strings.Contains(r.stdout, "Will remove") {
		t.Fatalf("typed no: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if runs, _ := os.ReadDir(root); len(runs) != 1 {
		t.Fatalf("a refused or declined eradication created a run: %d directories", len(runs))
	}
	for _, f := range footholds {
		if !fx.State.Present(f) {
			t.Fatalf("removed without confirmation: %v", f)
		}
	}
	r = keyir(t, "yes\n", envv, "eradicate", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Type yes to remove") {
		t.Fatalf("typed yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range footholds {
		if fx.State.Present(f) {
			t.Errorf("still present after eradicate: %v", f)
		}
	}
	r = keyir(t, "", envv, "eradicate", dir, "--yes", "--output", "json")
	var doc struct {
		ExitCode    int `json:"exit_code"`
		Eradication struct {
			Removed     int      `json:"removed"`
			AlreadyGone int      `json:"already_gone"`
			Open        []string `json:"open"`
			Parent      string   `json:"parent"`
		} `json:"eradication"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 {
		t.Fatalf("second eradicate: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if doc.Eradication.Removed != 0 || doc.Eradication.AlreadyGone == 0 || len(doc.Eradication.Open) != 0 || doc.Eradication.Parent == "" {
		t.Errorf("second eradicate did something: %+v", doc.Eradication)
	}
}

// footholdRun runs the built-in playbook live against the persistence
// scenario with a responder key that may also remove what the plan names:
// the run contains the key and leaves footholds (exit 5, checked here).
func footholdRun(t *testing.T) (*sendgridsim.Fixture, map[string]string, string, result) {
	t.Helper()
	sc, _ := sendgridsim.LookupScenario("persistence")
	fx := sc.Build(time.Now())
	fx.Attack(fx.State)
	fx.Config.Limits = nil
	// A responder key that may remove what the plan names.
	k := sendgridsim.NewKey(rand.New(rand.NewPCG(3, 4)), "ir", append(sendgridsim.ResponderScopes(), sendgridsim.RemovalScopes()...))
	fx.State.AddKey(k)
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", sendgridsim.New(fx.State, fx.Config))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosts.Shutdown(context.Background()) })
	envv := hosts.Env()
	envv["SENDGRID_API_KEY"] = k.Token()
	root := filepath.Join(t.TempDir(), "r")
	r := keyir(t, fx.LeakedKey+"\n", envv, "run", "sendgrid-key-compromise", "--key", "-", "--incident", "INC-9", "--reports", root)
	if r.code != 5 {
		t.Fatalf("run: exit %d, want 5\n%s%s", r.code, r.stdout, r.stderr)
	}
	return fx, envv, root, r
}
