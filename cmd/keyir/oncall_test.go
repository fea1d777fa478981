package main

import "context"
import "encoding/json"
import "math/rand/v2"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// simAccount starts the SendGrid simulator with a responder key of the given
// scopes, a leaked key and two innocent keys, and returns the environment a
// responder would export.
func simAccount(t *testing.T, responderScopes []string) (envv map[string]string, srv *sendgridsim.Server, leaked sendgridsim.Key) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	st := sendgridsim.NewState()
	responder := sendgridsim.NewKey(rng, "responder", responderScopes)
	leaked = sendgridsim.NewKey(rng, "leaky", []string{"mail.send"})
	st.AddKey(responder)
	st.AddKey(leaked)
	st.AddKey(sendgridsim.NewKey(rng, "innocent-1", []string{"mail.send"}))
	st.AddKey(sendgridsim.NewKey(rng, "innocent-2", sendgridsim.FullAccessScopes()))
	srv = sendgridsim.New(st, sendgridsim.DefaultConfig())
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosts.Shutdown(context.Background()) })
	return map[string]string{"SENDGRID_API_KEY": responder.Token(), "SENDGRID_API_URL": hosts.URL, "SENDGRID_API_URL_EU": hosts.EUURL}, srv, leaked
}

func TestDoctorNamesMissingScopesAndWarnsOfExcess(t *testing.T) {
	envv, _, _ := simAccount(t, []string{"api_keys.read", "api_keys.delete", "mail.send"})
	r := keyir(t, "", envv, "doctor")
	if r.code != 1 {
		t.Fatalf("missing scopes must fail: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "lacks") || !strings.Contains(r.stderr, "stats.read") {
		t.Errorf("missing scopes not named: %s", r.stderr)
	}
	if !strings.Contains(r.stdout, "warning") || !strings.Contains(r.stdout, "mail.send") {
		t.Errorf("excess scope mail.send not warned about: %s", r.stdout)
	}

	envv, _, _ = simAccount(t, sendgridsim.ResponderScopes())
	if r := keyir(t, "", envv, "doctor"); r.code != 0 || !strings.Contains(r.stdout, "ok:") {
		t.Fatalf("the scenario responder scopes must satisfy doctor: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestOnCallRunRevokesExactlyTheLeakedKeyIdempotently(t *testing.T) {
	envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.json")
	if r := keyir(t, "", envv, "inventory", "save", baseline); r.code != 0 {
		t.Fatalf("inventory save: %d %s", r.code, r.stderr)
	}
	if fi, err := os.Stat(baseline); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("baseline must be 0600: %v %v", fi, err)
	}
	reports := filepath.Join(dir, "reports")
	start := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)
	args := []string{"run", "sendgrid-key-compromise", "--key", "-", "--incident", "INC-7",
		"--reports", reports, "--baseline", baseline, "--window-start", start, "--output", "json"}
	r := keyir(t, leaked.Token()+"\n", envv, args...)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not the JSON document: %v\n%s", err, r.stdout)
	}
	if out.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("containment %+v", out.Report.Run.Containment)
	}
	if live := srv.State().Keys(""); len(live) != 3 {
		t.Fatalf("%d keys live after the run, want 3 (only the leaked one revoked)", len(live))
	}
	if srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatal("the leaked key is still live")
	}
	// Re-running after success is harmless: the key is already gone.
	r = keyir(t, leaked.Token()+"\n", envv, args...)
	if r.code != 0 {
		t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "key.already_revoked") {
		t.Error("the second run does not say the key was already revoked")
	}
	deletes := 0
	for _, req := range srv.Requests() {
		if req.Method == "DELETE" {
			deletes++
			if req.Path != "/v3/api_keys/"+leaked.ID {
				t.Errorf("DELETE %s: not the leaked key", req.Path)
			}
		}
	}
	if deletes != 2 {
		t.Errorf("%d DELETEs, want one per run", deletes)
	}
	for _, o := range []string{r.stdout, r.stderr} {
		if strings.Contains(o, leaked.Secret) || strings.Contains(o, envv["SENDGRID_API_KEY"]) {
			t.Error("a key reached the output")
		}
	}
}

func TestDryRunOnCallPlansTheRevokeAndTouchesNothing(t *testing.T) {
	envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	dir := t.TempDir()
	r := keyir(t, leaked.Token()+"\n", envv, "run", "sendgrid-key-compromise", "--key", "-", "--dry-run", "--reports", filepath.Join(dir, "r"))
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "DRY RUN") || !strings.Contains(r.stdout, "DRY RUN") {
		t.Errorf("a dry run's outputs must say DRY RUN:\nstderr: %.200s\nstdout: %.200s", r.stderr, r.stdout)
	}
	for _, req := range srv.Requests() {
		if req.Method != "GET" && req.Method != "HEAD" {
			t.Errorf("a dry run sent %s %s", req.Method, req.Path)
		}
	}
	if !srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatal("a dry run revoked the key")
	}
	md, _ := os.ReadFile(filepath.Join(onlyRunDir(t, filepath.Join(dir, "r")), "report.md"))
	if !strings.Contains(string(md), "DRY RUN") || !strings.Contains(string(md), "DELETE") {
		t.Errorf("report.md must say DRY RUN and list the planned DELETE:\n%.600s", md)
	}
}
