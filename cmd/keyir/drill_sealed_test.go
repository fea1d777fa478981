package main

import "bytes"
import "encoding/json"
import "net/http"
import "net/http/httptest"
import "os"
import "os/exec"
import "path/filepath"
import "strings"
import "sync/atomic"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// realWorld is an environment set up for real incidents: credentials and URLs
// for SendGrid, Slack, email and a webhook, every URL pointing at a server
// that counts what it receives. A drill must not touch any of it.
func realWorld(t *testing.T) (map[string]string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"ok":true,"scopes":["user.email.read"]}`))
	}))
	t.Cleanup(srv.Close)
	keyFile := writeFile(t, t.TempDir(), "responder.key", "SG.rEaLrEsPoNdErKeYiD00X.rEaLrEsPoNdErSeCrEt000000000000000000000000\n")
	return map[string]string{
		"SENDGRID_API_KEY":           "SG.rEaLrEsPoNdErKeYiD00A.rEaLrEsPoNdErSeCrEt0000000000000000000000000",
		"SENDGRID_API_KEY_FILE":      keyFile,
		"SENDGRID_API_URL":           srv.URL,
		"SENDGRID_API_URL_EU":        srv.URL,
		"SENDGRID_REGION":            "eu",
		"SENDGRID_NOTIFY_API_KEY":    "SG.rEaLnOtIfYkEyIdXXXXX0.rEaLnOtIfYsEcReT0000000000000000000000000000",
		"SLACK_BOT_TOKEN":            "xoxb-000000000000-000000000000-rEaLsLaCkToKeN00000000",
		"SLACK_API_URL":              srv.URL + "/api/",
		"KEYIR_SLACK_CHANNEL":        "C0REALCHAN",
		"KEYIR_WEBHOOK_URL":          srv.URL + "/hook",
		"KEYIR_WEBHOOK_SECRET":       "rEaL-wEbHoOk-sEcReT-0000000000000000",
		"KEYIR_EMAIL_TO":             "oncall@example.com",
		"KEYIR_EMAIL_FROM":           "keyir@example.com",
		"KEYIR_DRILL_EXTRA_SENTINEL": "x",
	}, &hits
}

// TestDrillAndItsResumeAreSealedOff: with a real-looking environment, a drill
// with --email-to is interrupted (SIGTERM) and resumed; the counting server
// behind every credential and URL of that environment receives nothing, the
// drill's mail went to its simulator, the resumed run is still a drill whose
// banner says nothing real was touched, and containment is proven.
func TestDrillAndItsResumeAreSealedOff(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	envv, hits := realWorld(t)
	reports := filepath.Join(t.TempDir(), "reports")
	cmd := keyirProcess(t, "drill", "--scenario", "persistence", "--reports", reports,
		"--email-to", "drill-watcher@example.com", "--email-from", "keyir@example.com", "--output", "json")
	for k, v := range envv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "KEYIR_TEST_DRILL_STALL=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt it while it is held at its stats step (revoked, confirmed, mail queued).
	waitForStep(t, cmd, reports, "stats", &stderr)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("interrupted drill: exit %d, want 1\n%s", code, stderr.String())
	}
	var out drillJSON
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("drill --output json: %v\n%s", err, stdout.String())
	}
	if out.EmailsCaptured < 1 {
		t.Errorf("the drill's email did not reach its simulator (captured %d)", out.EmailsCaptured)
	}
	runDir := onlyRunDir(t, reports)

	// Resume in this process with the same environment, for urfave's flag
	// variables as well as keyir's own reads.
	for k, v := range envv {
		t.Setenv(k, v)
	}
	r := keyir(t, "", envv, "resume", runDir)
	if r.code != report.ExitFootholdsOpen { // persistence: contained, footholds open
		t.Fatalf("resume of the drill: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the real environment's server received %d requests during a drill and its resume", n)
	}
	rep, err := runstore.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Mode != report.ModeDrill || rep.Run.Resumes != 1 || rep.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("mode %s, resumes %d, containment %q", rep.Run.Mode, rep.Run.Resumes, rep.Run.Containment.Status)
	}
	md, err := os.ReadFile(filepath.Join(runDir, "report.md"))
	if err != nil || !strings.Contains(string(md), "nothing real was touched") {
		t.Fatalf("report.md banner: %v %.200s", err, md)
	}
	if rep.ExitCode != report.ExitFootholdsOpen { // persistence: contained, footholds open
		for _, s := range rep.Steps {
			t.Logf("  %s %s %s", s.ID, s.Status, s.Error)
		}
		t.Fatalf("resumed drill exit %d", rep.ExitCode)
	}
	// Its record beside the run directory is gone once the run finished.
	if left, _ := filepath.Glob(filepath.Join(reports, ".drill-*")); len(left) != 0 {
		t.Errorf("drill record left behind: %v", left)
	}
	// A drill resume takes no key: the scenario has it.
	keyFile := writeFile(t, t.TempDir(), "k", "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n")
	if r := keyir(t, "", envv, "resume", runDir, "--key-file", keyFile); r.code != 2 {
		t.Errorf("resume of a drill with --key-file: exit %d, want 2\n%s", r.code, r.stderr)
	}
}

// TestDrillResumeWithoutItsRecordRefuses: a drill whose record is gone cannot
// be rebuilt; resume says so with exit 2 and touches nothing.
func TestDrillResumeWithoutItsRecordRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	envv, hits := realWorld(t)
	reports := filepath.Join(t.TempDir(), "reports")
	cmd := keyirProcess(t, "drill", "--scenario", "persistence", "--reports", reports)
	for k, v := range envv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "KEYIR_TEST_DRILL_STALL=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForStep(t, cmd, reports, "stats", &stderr)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	recs, _ := filepath.Glob(filepath.Join(reports, ".drill-*.json"))
	if len(recs) == 0 {
		t.Fatal("an interrupted drill left no record to resume from")
	}
	for _, p := range recs {
		os.Remove(p)
	}
	r := keyir(t, "", envv, "resume", onlyRunDir(t, reports))
	if r.code != 2 || !strings.Contains(r.stderr, "start a new drill") {
		t.Fatalf("resume without the record: exit %d\n%s", r.code, r.stderr)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the real environment's server received %d requests", n)
	}
}

// waitForStep waits until the journal of the only run under reports records
// that step as started.
func waitForStep(t *testing.T, cmd *exec.Cmd, reports, step string, stderr *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, _ := filepath.Glob(filepath.Join(reports, "*", "journal.jsonl"))
		if len(j) == 1 {
			b, _ := os.ReadFile(j[0])
			for _, line := range bytes.Split(b, []byte("\n")) {
				var ev report.Event
				if json.Unmarshal(line, &ev) == nil && ev.Type == report.EventStepStarted && ev.Step == step {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the drill never reached its %s step\n%s", step, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
