package main

import "bytes"
import "context"
import "io/fs"
import "net/http"
import "net/http/httptest"
import "os"
import "os/exec"
import "path/filepath"
import "strings"
import "sync"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// TestMain lets the test binary act as the keyir command, so subprocess
// tests (SIGKILL mid-run) run the real main without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("KEYIR_TEST_AS_MAIN") == "1" {
		os.Args = append([]string{"keyir"}, strings.Fields(os.Getenv("KEYIR_TEST_ARGS"))...)
		main()
		return
	}
	os.Exit(contract.RunMain(m)) // requests to the SendGrid simulator are held to the spec
}

type result struct {
	stdout, stderr string
	code           int
}

// keyir runs the CLI in-process with the given stdin and environment.
func keyir(t *testing.T, stdin string, envv map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{
		stdin:    strings.NewReader(stdin),
		stdout:   &out,
		stderr:   &errb,
		getenv:   func(k string) string { return envv[k] },
		readFile: os.ReadFile,
	}
	code := newApp(e).run(context.Background(), append([]string{"keyir"}, args...))
	return result{out.String(), errb.String(), code}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateReportsEveryProblemWithPosition(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", `name: bad
description: two problems
steps:
  - id: one
    action: core.nope
  - id: two
    action: core.note
    with: {}
`)
	good := writeFile(t, dir, "good.yaml", "name: good\ndescription: fine\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hi}\n")
	r := keyir(t, "", nil, "validate", good, bad)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{bad + ":5:13: ", `"core.nope"`, bad + ":8:5: "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, good+": ok") {
		t.Errorf("stdout %q", r.stdout)
	}
	if r := keyir(t, "", nil, "validate", good); r.code != 0 {
		t.Fatalf("valid playbook: exit %d %s", r.code, r.stderr)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	cases := [][]string{
		{"run"},
		{"run", "no-such-playbook"},
		{"run", "generic-key-revoke", "--input", "novalue"},
		{"run", "generic-key-revoke", "--nope"},
		{"run", "generic-key-revoke", "--output", "yaml"},
		{"frobnicate"},
		{"run", "generic-key-revoke", "--key", "SG.literal-key-on-the-command-line"},
	}
	for _, args := range cases {
		r := keyir(t, "", nil, args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, r.code, r.stderr)
		}
		if strings.TrimSpace(r.stderr) == "" {
			t.Errorf("%v: no message on stderr", args)
		}
		if strings.Contains(r.stderr+r.stdout, "literal-key-on-the-command-line") {
			t.Errorf("%v: a key given on the command line was echoed", args)
		}
	}
}

func TestReportVerifyCatchesTampering(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hello}\n")
	reports := filepath.Join(dir, "reports")
	r := keyir(t, "", nil, "run", pb, "--reports", reports)
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	runDir := onlyRunDir(t, reports)
	if r := keyir(t, "", nil, "report", "verify", runDir); r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("fresh report: %+v", r)
	}
	// A changed byte.
	p := filepath.Join(runDir, "report.md")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o600)
	r = keyir(t, "", nil, "report", "verify", runDir)
	if r.code != 1 || !strings.Contains(r.stdout, "changed: report.md") {
		t.Fatalf("changed byte: %+v", r)
	}
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o600)
	// A removed file.
	os.Rename(filepath.Join(runDir, "findings.json"), filepath.Join(dir, "findings.json"))
	r = keyir(t, "", nil, "report", "verify", runDir)
	if r.code != 1 || !strings.Contains(r.stdout, "missing: findings.json") {
		t.Fatalf("removed file: %+v", r)
	}
	os.Rename(filepath.Join(dir, "findings.json"), filepath.Join(runDir, "findings.json"))
	// An added file.
	writeFile(t, runDir, "extra.txt", "planted")
	r = keyir(t, "", nil, "report", "verify", runDir)
	if r.code != 1 || !strings.Contains(r.stdout, "added:   extra.txt") {
		t.Fatalf("added file: %+v", r)
	}
}

func onlyRunDir(t *testing.T, root string) string {
	t.Helper()
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(root, e.Name()))
		}
	}
	if len(dirs) != 1 {
		t.Fatalf("want one run directory in %s, got %v", root, dirs)
	}
	return dirs[0]
}

// gate is a server whose /slow path hangs until released, so a test can
// kill keyir while a step is in flight.
type gate struct {
	mu      sync.Mutex
	hits    map[string]int
	release chan struct{}
	srv     *httptest.Server
}

func newGate(t *testing.T) *gate {
	g := &gate{hits: map[string]int{}, release: make(chan struct{})}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.hits[r.URL.Path]++
		rel := g.release
		g.mu.Unlock()
		if r.URL.Path == "/slow" {
			select {
			case <-rel:
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(func() { g.open(); g.srv.Close() })
	return g
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

func (g *gate) count(p string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hits[p]
}

// gatedPlaybook has three steps; the middle one hangs on the gate's /slow.
const gatedPlaybook = `name: gated
description: a run to stop in its middle step
inputs:
  base: {type: string, required: true}
steps:
  - id: first
    action: core.http
    with: {url: "{{ .inputs.base }}/first"}
  - id: slow
    action: core.http
    with: {url: "{{ .inputs.base }}/slow"}
  - id: last
    action: core.http
    with: {url: "{{ .inputs.base }}/last"}
`

// startGatedRun starts `keyir run` of gatedPlaybook as a subprocess and
// returns once its middle step is in flight, held by the gate.
func startGatedRun(t *testing.T) (g *gate, cmd *exec.Cmd, reports string, stderr *bytes.Buffer) {
	t.Helper()
	g = newGate(t)
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", gatedPlaybook)
	reports = filepath.Join(dir, "reports")
	cmd = keyirProcess(t, "run", pb, "--reports", reports, "--input", "base="+g.srv.URL)
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for g.count("/slow") == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the slow step never started; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return g, cmd, reports, stderr
}

// killedGatedRun is a gated run killed (SIGKILL) while its middle step is
// in flight, its gate then opened: g counts what a resume asks, dir is the
// unfinished run's directory.
func killedGatedRun(t *testing.T) (g *gate, dir string) {
	t.Helper()
	g, cmd, reports, _ := startGatedRun(t)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	g.open()
	return g, onlyRunDir(t, reports)
}

func TestSIGKILLMidRunThenResumeCompletes(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	g, cmd, reports, _ := startGatedRun(t)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	runDir := onlyRunDir(t, reports)
	if _, err := os.Stat(filepath.Join(runDir, "MANIFEST")); err == nil {
		t.Fatal("a killed run cannot have written its MANIFEST")
	}
	g.open()
	r := keyir(t, "", nil, "resume", runDir)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if g.count("/first") != 1 || g.count("/last") != 1 || g.count("/slow") != 2 {
		t.Fatalf("completed steps must run once, the killed one again: first=%d slow=%d last=%d",
			g.count("/first"), g.count("/slow"), g.count("/last"))
	}
	if r := keyir(t, "", nil, "report", "verify", runDir); r.code != 0 {
		t.Fatalf("verify after resume: %+v", r)
	}
	rep, err := runstore.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Steps {
		if s.Status != report.StepOK {
			t.Errorf("step %s is %s after resume", s.ID, s.Status)
		}
	}
	if rep.Run.Resumes != 1 {
		t.Errorf("run.json resumes = %d", rep.Run.Resumes)
	}
}

func TestRunOutputJSONIsOneDocument(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hello}\n")
	r := keyir(t, "", nil, "run", pb, "--reports", filepath.Join(dir, "r"), "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	out := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(out, "{") || !strings.HasSuffix(out, "}") || strings.Count(out, "\n}") != 1 {
		t.Fatalf("stdout is not one JSON document:\n%s", out)
	}
	for _, want := range []string{`"report_dir"`, `"exit_code": 0`, `"manifest_head"`} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

func TestCanariesNeverReachAnyOutput(t *testing.T) {
	const credential = "CANARY-env-credential-5d1f0e9a"
	leaked := "SG.CANARYcanaryCANARY12._CANARY-leaked-secret-part-canary-canary12"
	g := newGate(t)
	g.open()
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", `name: canary
description: canary
inputs:
  base: {type: string, required: true}
  host: {type: string, required: true}
  key: {type: string, secret: true, required: true}
credentials:
  provider: {env: PROVIDER_TOKEN, host: "{{ .inputs.host }}"}
steps:
  - id: call
    action: core.http
    with: {url: "{{ .inputs.base }}/c", credential: provider}
  - id: identify
    action: sendgrid.identify_key
    with: {key: "{{ .inputs.key }}"}
    on_error: continue
  - id: note
    action: core.note
    with: {text: "said {{ .steps.call.body }}"}
  - id: fail
    action: core.http
    with: {url: "{{ .inputs.base }}/c", expect: [418], credential: provider}
    on_error: continue
`)
	reports := filepath.Join(dir, "reports")
	// The playbook can send neither the leaked key (only to a secret
	// parameter) nor keyir's own SENDGRID_API_KEY (not declarable); its
	// declared credential goes to the gate and must be redacted everywhere.
	envv := map[string]string{"SENDGRID_API_KEY": credential + "-own", "PROVIDER_TOKEN": credential}
	var outputs [][]byte
	for _, output := range []string{"text", "json"} {
		r := keyir(t, leaked+"\n", envv, "run", pb, "--key", "-", "--reports", reports, "--input", "base="+g.srv.URL, "--input", "host="+strings.TrimPrefix(g.srv.URL, "http://"), "--output", output)
		if r.code != 3 {
			t.Fatalf("exit %d, want 3 (one failed non-critical step): %s", r.code, r.stderr)
		}
		outputs = append(outputs, []byte(r.stdout), []byte(r.stderr))
	}
	filepath.WalkDir(reports, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			outputs = append(outputs, b)
		}
		return nil
	})
	notifytest.AssertLeaksNoSecret(t, []string{credential, leaked, leaked[strings.LastIndex(leaked, ".")+1:]}, outputs...)
}
