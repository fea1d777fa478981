package main

import "bytes"
import "context"
import "encoding/json"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"

// auditSim serves an audit scenario and returns the environment of a keyir pointed at it.
func auditSim(t *testing.T, scenario string, edit ...func(*sendgridsim.AuditFixture)) (*sendgridsim.AuditFixture, map[string]string) {
	t.Helper()
	sc, ok := sendgridsim.LookupAuditScenario(scenario)
	if !ok {
		t.Fatalf("no audit scenario %s", scenario)
	}
	fx := sc.Build(time.Now())
	for _, f := range edit {
		f(fx)
	}
	base, shutdown, err := sendgridsim.Listen("127.0.0.1:0", sendgridsim.New(fx.State, fx.Config))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	})
	return fx, map[string]string{"SENDGRID_API_URL": base, "SENDGRID_API_KEY": fx.ResponderKey, "KEYIR_OPERATOR": "tester"}
}

func TestAuditExitCodesAndEvidence(t *testing.T) {
	fx, env := auditSim(t, "poor-hygiene")
	reports := t.TempDir()
	r := keyir(t, "", env, "audit", "--output", "json", "--reports", reports)
	if r.code != 3 {
		t.Fatalf("poor-hygiene: exit %d, want 3\n%s", r.code, r.stderr)
	}
	var doc struct {
		Checks  []json.RawMessage `json:"checks"`
		Summary struct {
			FailedChecks []string `json:"failed_checks"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%.300s", err, r.stdout)
	}
	if !slices.Equal(doc.Summary.FailedChecks, fx.Fails) {
		t.Errorf("failed %v, want %v", doc.Summary.FailedChecks, fx.Fails)
	}
	dir := onlyRunDir(t, reports)
	for _, f := range []string{"MANIFEST", "journal.jsonl", "run.json", "audit.json", "audit.txt", "audit.html", "report.json", "evidence/001-audit-snapshot.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("evidence lacks %s: %v", f, err)
		}
	}
	if v, err := runstore.Verify(dir); err != nil || !v.OK() {
		t.Errorf("MANIFEST does not verify: %v %+v", err, v)
	}
	if !strings.Contains(r.stderr, dir) {
		t.Errorf("stderr does not name the evidence directory: %s", r.stderr)
	}
	events, _, err := runstore.ReadJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	findings := 0
	for _, e := range events {
		if e.Type == report.EventFinding {
			findings++
		}
	}
	if findings == 0 {
		t.Error("no failure journaled as a finding")
	}

	// The full-access key is critical, so even --fail-on critical fails. (A fresh simulator:
	// Email Activity allows 6 queries a minute, one per sending key.)
	_, env = auditSim(t, "poor-hygiene")
	if r := keyir(t, "", env, "audit", "--fail-on", "critical", "--reports", t.TempDir()); r.code != 3 {
		t.Errorf("--fail-on critical: exit %d", r.code)
	}
	_, okEnv := auditSim(t, "well-kept")
	r = keyir(t, "", okEnv, "audit", "--fail-on", "info", "--reports", t.TempDir())
	if r.code != 0 {
		t.Errorf("well-kept: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for i, line := range strings.Split(r.stdout, "\n") {
		if len([]rune(line)) > 80 {
			t.Errorf("text line %d is %d columns", i+1, len([]rune(line)))
		}
	}
	if !strings.Contains(r.stdout, "== least privilege: 0 fail") {
		t.Errorf("no practice summary line:\n%s", r.stdout)
	}
	_, okEnv = auditSim(t, "well-kept")
	if r := keyir(t, "", okEnv, "audit", "--output", "html", "--reports", t.TempDir()); r.code != 0 || !strings.HasPrefix(r.stdout, "<!doctype html>") || !strings.Contains(r.stdout, "<svg") {
		t.Errorf("html: exit %d %.100q", r.code, r.stdout)
	}
}

func TestAuditUsageAndCouldNotRun(t *testing.T) {
	_, env := auditSim(t, "well-kept")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte("{not json"), 0o600)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(bad, link); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"audit", "--baseline", link}, // links are not followed
		{"audit", "--baseline", dir},  // not a regular file
		{"audit", "--fail-on", "severe"},
		{"audit", "--output", "xml"},
		{"audit", "--subuser", "a", "--all-subusers"},
		{"audit", "--baseline", filepath.Join(dir, "missing.json")},
		{"audit", "--baseline", bad},
		{"audit", "extra"},
		{"audit", "--subuser", "SG.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"},
	} {
		r := keyir(t, "", env, append(args, "--reports", t.TempDir())...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "BBBBBBBBBBBBBBBBBBBB") {
			t.Errorf("%v: stderr quotes a key-shaped value: %s", args, r.stderr)
		}
	}
	if r := keyir(t, "", env, "audit", "--subuser", "nobody", "--reports", t.TempDir()); r.code != 2 || !strings.Contains(r.stderr, "no such subuser") {
		t.Errorf("unknown subuser: exit %d: %s", r.code, r.stderr)
	}
	env["SENDGRID_API_KEY"] = "SG.NoSuchKeyNoSuchKey00.NoSuchSecretNoSuchSecretNoSuchSecret0000000"
	reports := t.TempDir()
	r := keyir(t, "", env, "audit", "--reports", reports)
	if r.code != 1 || !strings.Contains(r.stderr, "401") {
		t.Errorf("dead responder key: exit %d: %s", r.code, r.stderr)
	}
	if d := onlyRunDir(t, reports); d != "" {
		if v, err := runstore.Verify(d); err != nil || !v.OK() {
			t.Errorf("the failed audit's evidence does not verify: %v", err)
		}
	}
}

// TestAuditCanaries: with a canary responder key, a canary-shaped key name in the account and
// a webhook URL carrying a credential, nothing keyir writes or prints holds any of them.
func TestAuditCanaries(t *testing.T) {
	_, env := auditSim(t, "poor-hygiene", func(fx *sendgridsim.AuditFixture) {
		fx.State.AddKey(sendgridsim.Key{ID: canaryResponderID, Secret: canaryResponder[len("SG.")+23:], Name: "auditor", Scopes: sendgridsim.ResponderScopes()})
		fx.ResponderKey = canaryResponder
		fx.State.AddKey(sendgridsim.Key{ID: "NamedLikeAKeyNamedLike", Secret: strings.Repeat("s", 43), Name: canaryLeaked, Scopes: []string{"mail.send"}})
		fx.State.AddEventWebhook(sendgridsim.EventWebhook{URL: "https://hooks.example.com/e?token=" + canaryNotify, Enabled: true})
		fx.Config.Limits["GET /v3/messages"] = sendgridsim.Limit{Requests: 100, Window: time.Minute} // three audits, one sim
	})
	reports := t.TempDir()
	var outputs [][]byte
	for _, o := range []string{"text", "json", "html"} {
		r := keyir(t, "", env, "audit", "--output", o, "--all-subusers", "--reports", reports)
		if r.code != 3 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		outputs = append(outputs, []byte(r.stdout), []byte(r.stderr))
	}
	_ = filepath.WalkDir(reports, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			outputs = append(outputs, b)
		}
		return nil
	})
	if len(outputs) < 6+3*8 {
		t.Fatalf("only %d outputs collected", len(outputs))
	}
	for i, out := range outputs {
		for _, c := range canaries() {
			if strings.Contains(string(out), c) {
				t.Errorf("output %d holds canary %.8s…", i, c)
			}
		}
	}
	assertNoEncodedLeak(t, outputs)
}

// syncBuf is a bytes.Buffer safe to read while a command writes to it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestAuditAgainstSimCommand: `keyir sim sendgrid --scenario poor-hygiene` serves the audit
// scenario and names its ground truth; `keyir audit` with the printed environment fails exactly it.
func TestAuditAgainstSimCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuf
	done := make(chan int)
	go func() {
		e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, readFile: os.ReadFile}
		done <- newApp(e).run(ctx, []string{"keyir", "sim", "sendgrid", "--scenario", "poor-hygiene", "--listen", "127.0.0.1:0"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	envv := map[string]string{}
	var fails []string
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(strings.Fields(line + " #")[0], "="); ok {
			envv[k] = v
		}
		if rest, ok := strings.CutPrefix(line, "# keyir audit must fail: "); ok {
			fails = strings.Fields(rest)
		}
	}
	if envv["SENDGRID_API_URL"] == "" || len(fails) < 10 {
		cancel()
		t.Fatalf("sim printed:\n%s\n%s", out.String(), errb.String())
	}
	r := keyir(t, "", envv, "audit", "--output", "json", "--reports", t.TempDir())
	var doc struct {
		Summary struct {
			FailedChecks []string `json:"failed_checks"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 3 || !slices.Equal(doc.Summary.FailedChecks, fails) {
		t.Errorf("exit %d, failed %v, want %v (%v)", r.code, doc.Summary.FailedChecks, fails, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("sim exit %d", code)
	}
}
