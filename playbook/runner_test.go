package playbook_test

import "context"
import "io/fs"
import "net/http"
import "net/http/httptest"
import "os"
import "path/filepath"
import "strings"
import "sync"
import "testing"
import "time"

import _ "github.com/keyir/keyir/actions/core"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// counter is a local HTTP server that counts requests per method and path and
// can be told to fail a path a number of times.
type counter struct {
	mu    sync.Mutex
	hits  map[string]int // "GET /a"
	order []string
	fail  map[string]int // path -> remaining 500s
	srv   *httptest.Server
	extra string // said in every response body (a canary)
}

func newCounter(t *testing.T) *counter {
	c := &counter{hits: map[string]int{}, fail: map[string]int{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		k := r.Method + " " + r.URL.Path
		c.hits[k]++
		c.order = append(c.order, k)
		failing := c.fail[r.URL.Path] > 0
		if failing {
			c.fail[r.URL.Path]--
		}
		c.mu.Unlock()
		if failing {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		// Echo the credential back, as a careless API might, so the canary
		// test proves redaction of response bodies and headers too.
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.Write([]byte(`{"ok":true,"auth":"` + r.Header.Get("Authorization") + `","extra":"` + c.extra + `"}`))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *counter) count(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[k]
}

func (c *counter) setFail(path string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail[path] = n
}

func load(t *testing.T, src string) *playbook.Playbook {
	t.Helper()
	pb, err := playbook.Load("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return pb
}

func opts(t *testing.T, base string) playbook.Options {
	return playbook.Options{
		ReportsRoot: t.TempDir(),
		Given:       map[string]string{"base": base},
		Operator:    "tester",
		Backoff:     func(int) time.Duration { return time.Millisecond },
	}
}

const header = `
name: test
description: runner test
inputs:
  base: {type: string, required: true}
`

func statuses(rep *report.Report) map[string]report.StepStatus {
	out := map[string]report.StepStatus{}
	for _, s := range rep.Steps {
		out[s.ID] = s.Status
	}
	return out
}

func TestRunsStepsInOrderWithOutputs(t *testing.T) {
	c := newCounter(t)
	pb := load(t, header+`
steps:
  - id: first
    action: core.http
    with: {url: "{{ .inputs.base }}/a"}
  - id: second
    action: core.http
    with: {url: "{{ .inputs.base }}/b/{{ .steps.first.status }}"}
  - id: third
    action: core.note
    with: {text: "second said {{ .steps.second.status }}"}
`)
	res, err := playbook.Run(context.Background(), pb, opts(t, c.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != report.ExitDone {
		t.Fatalf("exit %d, report %+v", res.ExitCode, res.Report.Steps)
	}
	if got := strings.Join(c.order, ","); got != "GET /a,GET /b/200" {
		t.Fatalf("server saw %s", got)
	}
	if len(res.Report.Notes) != 1 || res.Report.Notes[0].Text != "second said 200" {
		t.Fatalf("notes: %+v", res.Report.Notes)
	}
	if v, err := runstore.Verify(res.Dir); err != nil || !v.OK() {
		t.Fatalf("verify: %+v %v", v, err)
	}
}

func TestIfFalseSkipsStep(t *testing.T) {
	c := newCounter(t)
	pb := load(t, header+`
steps:
  - id: probe
    action: core.http
    with: {url: "{{ .inputs.base }}/probe"}
  - id: only_if_404
    action: core.http
    if: '{{ eq .steps.probe.status 404 }}'
    with: {url: "{{ .inputs.base }}/never"}
  - id: only_if_200
    action: core.http
    if: '{{ eq .steps.probe.status 200 }}'
    with: {url: "{{ .inputs.base }}/yes"}
`)
	res, err := playbook.Run(context.Background(), pb, opts(t, c.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res.Report)
	if st["only_if_404"] != report.StepSkipped || st["only_if_200"] != report.StepOK {
		t.Fatalf("statuses %v", st)
	}
	if c.count("GET /never") != 0 || c.count("GET /yes") != 1 {
		t.Fatalf("hits %v", c.hits)
	}
}

func TestTimeoutFailsStepAndContinueGoesOn(t *testing.T) {
	c := newCounter(t)
	pb := load(t, header+`
steps:
  - id: slow
    action: core.wait
    with: {duration: 10s}
    timeout: 50ms
    on_error: continue
  - id: after
    action: core.http
    with: {url: "{{ .inputs.base }}/after"}
`)
	start := time.Now()
	res, err := playbook.Run(context.Background(), pb, opts(t, c.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the step timeout did not stop the wait")
	}
	st := statuses(res.Report)
	if st["slow"] != report.StepFailed || st["after"] != report.StepOK {
		t.Fatalf("statuses %v", st)
	}
	if res.ExitCode != report.ExitDegraded {
		t.Fatalf("exit %d, want %d (failed non-critical step)", res.ExitCode, report.ExitDegraded)
	}
	if !strings.Contains(res.Report.Steps[0].Error, "timed out") {
		t.Fatalf("error %q does not say it timed out", res.Report.Steps[0].Error)
	}
}

func TestRetriesUntilSuccessWithinBound(t *testing.T) {
	c := newCounter(t)
	pb := load(t, header+`
steps:
  - id: flaky
    action: core.http
    with: {url: "{{ .inputs.base }}/flaky"}
    retries: 2
  - id: hopeless
    action: core.http
    with: {url: "{{ .inputs.base }}/hopeless"}
    retries: 1
`)
	c.setFail("/flaky", 2)
	c.setFail("/hopeless", 100)
	res, err := playbook.Run(context.Background(), pb, opts(t, c.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if c.count("GET /flaky") != 3 || res.Report.Steps[0].Status != report.StepOK || res.Report.Steps[0].Attempts != 3 {
		t.Fatalf("flaky: hits %d, step %+v", c.count("GET /flaky"), res.Report.Steps[0])
	}
	if c.count("GET /hopeless") != 2 || res.Report.Steps[1].Status != report.StepFailed {
		t.Fatalf("hopeless: hits %d (want 2: one try and one retry), step %+v", c.count("GET /hopeless"), res.Report.Steps[1])
	}
	if res.ExitCode != report.ExitCouldNotRun {
		t.Fatalf("exit %d: a failed critical step must end 1", res.ExitCode)
	}
}

func TestCriticalFailureStopsRunAndResumeContinues(t *testing.T) {
	c := newCounter(t)
	pb := load(t, header+`
steps:
  - id: a
    action: core.http
    with: {url: "{{ .inputs.base }}/a"}
  - id: b
    action: core.http
    with: {url: "{{ .inputs.base }}/b"}
  - id: c
    action: core.http
    with: {url: "{{ .inputs.base }}/c"}
`)
	// Resume reloads the playbook by its source, so it must be a file.
	dir := t.TempDir()
	path := filepath.Join(dir, "pb.yaml")
	os.WriteFile(path, []byte(header+pbSteps(pb)), 0o600)
	pb, err := playbook.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c.setFail("/b", 1000)
	o := opts(t, c.srv.URL)
	res, err := playbook.Run(context.Background(), pb, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != report.ExitCouldNotRun || c.count("GET /c") != 0 {
		t.Fatalf("exit %d, c hit %d times: the run must stop at b", res.ExitCode, c.count("GET /c"))
	}
	c.setFail("/b", 0)
	res2, err := playbook.Resume(context.Background(), res.Dir, playbook.Options{Backoff: o.Backoff})
	if err != nil {
		t.Fatal(err)
	}
	if res2.ExitCode != report.ExitDone {
		t.Fatalf("resume exit %d: %+v", res2.ExitCode, res2.Report.Steps)
	}
	if c.count("GET /a") != 1 || c.count("GET /b") != 2 || c.count("GET /c") != 1 {
		t.Fatalf("completed steps must not repeat: %v", c.hits)
	}
	if res2.Report.Run.ID != res.Report.Run.ID || res2.Dir != res.Dir {
		t.Fatal("resume must keep the run id and directory")
	}
	if v, err := runstore.Verify(res.Dir); err != nil || !v.OK() {
		t.Fatalf("verify after resume: %+v %v", v, err)
	}
}

// pbSteps re-serialises nothing: the test playbooks are small, so the steps
// part of the source is rebuilt from the loaded model.
func pbSteps(pb *playbook.Playbook) string {
	var b strings.Builder
	b.WriteString("steps:\n")
	for _, s := range pb.Steps {
		b.WriteString("  - id: " + s.ID + "\n    action: " + s.Action + "\n    with: {url: \"" + s.With["url"].Template.Source() + "\"}\n")
	}
	return b.String()
}

func TestCancellationInterruptsCleanly(t *testing.T) {
	c := newCounter(t)
	pb := load(t, header+`
steps:
  - id: before
    action: core.http
    with: {url: "{{ .inputs.base }}/before"}
  - id: long
    action: core.wait
    with: {duration: 1m}
  - id: after
    action: core.http
    with: {url: "{{ .inputs.base }}/after"}
`)
	ctx, cancel := context.WithCancel(context.Background())
	o := opts(t, c.srv.URL)
	o.Observer = cancelOn{id: "long", cancel: cancel}
	res, err := playbook.Run(ctx, pb, o)
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(res.Report)
	if st["long"] != report.StepInterrupted || st["after"] != report.StepPending {
		t.Fatalf("statuses %v", st)
	}
	if res.Report.Run.Status != report.RunInterrupted || res.ExitCode != report.ExitCouldNotRun {
		t.Fatalf("run %s exit %d", res.Report.Run.Status, res.ExitCode)
	}
	if v, err := runstore.Verify(res.Dir); err != nil || !v.OK() {
		t.Fatalf("an interrupted run must still verify: %+v %v", v, err)
	}
	if c.count("GET /after") != 0 {
		t.Fatal("a step after the interruption ran")
	}
}

// cancelOn cancels the run when a step starts.
type cancelOn struct {
	id     string
	cancel context.CancelFunc
}

func (c cancelOn) RunStarted(*report.Report, string) {}
func (c cancelOn) StepStarted(s report.Step) {
	if s.ID == c.id {
		go func() { time.Sleep(20 * time.Millisecond); c.cancel() }()
	}
}
func (cancelOn) StepProgress(report.Step, string)   {}
func (cancelOn) StepFinished(report.Step)           {}
func (cancelOn) RunFinished(*report.Report, string) {}

func TestDryRunRefusesWritesAtTheTransport(t *testing.T) {
	c := newCounter(t)
	pb := load(t, header+`
steps:
  - id: read
    action: core.http
    with: {url: "{{ .inputs.base }}/keys"}
  - id: delete
    action: core.http
    with: {method: DELETE, url: "{{ .inputs.base }}/keys/abc", expect: [204]}
  - id: create
    action: core.http
    with: {method: POST, url: "{{ .inputs.base }}/keys", body: '{"name":"x"}'}
`)
	o := opts(t, c.srv.URL)
	o.Mode = report.ModeDryRun
	res, err := playbook.Run(context.Background(), pb, o)
	if err != nil {
		t.Fatal(err)
	}
	if c.count("GET /keys") != 1 || c.count("DELETE /keys/abc") != 0 || c.count("POST /keys") != 0 {
		t.Fatalf("the server saw writes in a dry run: %v", c.hits)
	}
	st := statuses(res.Report)
	if st["read"] != report.StepOK || st["delete"] != report.StepPlanned || st["create"] != report.StepPlanned {
		t.Fatalf("statuses %v", st)
	}
	if len(res.Report.Planned) != 2 || res.Report.Planned[0].Method != "DELETE" || res.Report.Planned[1].Body != `{"name":"x"}` {
		t.Fatalf("planned changes %+v", res.Report.Planned)
	}
	md, err := os.ReadFile(filepath.Join(res.Dir, "report.md"))
	if err != nil || !strings.Contains(string(md), "DRY RUN") {
		t.Fatalf("report.md of a dry run must say DRY RUN (err %v)", err)
	}
}

func TestSecretsNeverReachTheRunDirectory(t *testing.T) {
	const credential = "CANARY-credential-7f3a9c1e5b"
	const leaked = "CANARY-leaked-input-0d4e8a2b6c"
	c := newCounter(t)
	// The key cannot be sent anywhere but a secret parameter (the loader
	// refuses it in a URL or a note), so here the upstream says it on its
	// own, as a scanner's report would, next to the echoed credential.
	c.extra = leaked
	pb := load(t, `
name: canary
description: canary
inputs:
  base: {type: string, required: true}
  host: {type: string, required: true}
  key: {type: string, secret: true, required: true}
credentials:
  responder: {env: RESPONDER_TOKEN, host: "{{ .inputs.host }}"}
steps:
  - id: call
    action: core.http
    with: {url: "{{ .inputs.base }}/x", credential: responder}
  - id: note
    action: core.note
    with: {text: "the server said {{ .steps.call.body }}"}
`)
	o := opts(t, c.srv.URL)
	o.Given["key"] = leaked
	o.Given["host"] = strings.TrimPrefix(c.srv.URL, "http://")
	o.Getenv = func(k string) string {
		if k == "RESPONDER_TOKEN" {
			return credential
		}
		return ""
	}
	o.Redactor = redact.New()
	res, err := playbook.Run(context.Background(), pb, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("exit %d %+v", res.ExitCode, res.Report.Steps)
	}
	if c.count("GET /x") != 1 {
		t.Fatal("the request was not made")
	}
	var files [][]byte
	filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		files = append(files, b)
		return nil
	})
	notifytest.AssertLeaksNoSecret(t, []string{credential, leaked}, files...)
	if files := len(files); files < 5 {
		t.Fatalf("only %d files in the run directory", files)
	}
	// The redaction is visible, not silent: the note says what was there.
	if !strings.Contains(res.Report.Notes[0].Text, redact.Token(leaked)) {
		t.Fatalf("note %q lacks the redaction token", res.Report.Notes[0].Text)
	}
}
