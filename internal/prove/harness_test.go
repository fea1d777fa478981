package prove

import "cmp"
import "context"
import "fmt"
import "maps"
import "net"
import "net/http"
import "net/http/httptest"
import "os"
import "path/filepath"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import _ "github.com/keyir/keyir/actions/all"
import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/notify"
import _ "github.com/keyir/keyir/notify/all"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"
import "github.com/keyir/keyir/sim/slacksim"

// TestMain shortens the SendGrid client's retry timing for every test here:
// a persistent fault then costs milliseconds, and a matrix of ~180 runs
// stays within a minute. The policy's shape (how many retries, which
// answers are retried) is unchanged.
func TestMain(m *testing.M) {
	restore := sendgrid.SetRetryPolicy(sendgrid.RetryPolicy{
		MaxRateWait: 20 * time.Millisecond, MaxRateRetries: 12, MaxTransientRetries: 3,
		BackoffBase: 2 * time.Millisecond, BackoffMax: 10 * time.Millisecond,
	})
	code := contract.RunMain(m) // requests to the SendGrid simulator are held to the spec
	restore()
	if keyirBin != "" { // built by a benchmark
		os.RemoveAll(filepath.Dir(keyirBin))
	}
	os.Exit(code)
}

// The playbook every proof runs.
const pbName = "sendgrid-key-compromise"

// stepTimeout bounds every step without its own timeout; a hung request
// (the timeout fault) costs exactly this much.
const stepTimeout = 2 * time.Second

// genericStepTimeout bounds every step of a registered world's playbook
// without its own timeout: long enough for a confirm that polls a revocation
// through a propagation delay of a few seconds (GitHub's), short enough
// that a hung request does not stall the matrix.
const genericStepTimeout = 10 * time.Second

// fastNotify keeps a failing channel's retries short.
var fastNotify = notify.Policy{MaxAttempts: 3, MaxElapsed: 4 * time.Second, Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}

// world is one isolated account: a provider's simulated world (SendGrid's
// simulator loaded with the persistence scenario, its attack applied, no
// rate limits, or any registered scenario's world), a Slack simulator behind
// a fault injector, and a reports root.
type world struct {
	t testing.TB
	// playbook is the built-in playbook the world's runs use; given its
	// inputs, secrets what is registered with each run's redactor, and
	// leaked the leaked key.
	playbook string
	given    map[string]string
	secrets  []string
	leaked   string
	// pw is the registered world (nil for a SendGrid fixture served here),
	// with its fault injector and its word on the key.
	pw   provider.World
	fi   provider.FaultInjector
	live provider.LiveKey
	// The SendGrid simulator's own view, for the SendGrid-specific checks
	// (nil in a registered world of another provider).
	sg       *sendgridsim.Server
	sgURL    string
	sgEU     string
	fx       *sendgridsim.Fixture
	leakedID string
	keysAt   []string // ids of the live keys before any run
	slack    *slacksim.Server
	sf       *slackFaults
	slackAPI string
	reports  string
	env      map[string]string
	// byID names the leaked key by its id only (--key-id), not the key.
	byID bool
	// stepTimeout overrides the harness's (a registered world's playbook
	// may poll for a revocation to propagate for longer).
	stepTimeout time.Duration
	// unanswered: the Slack posts whose answer keyir never got.
	unanswered *ambiguous
}

func newWorld(t testing.TB) *world {
	t.Helper()
	sc, ok := sendgridsim.LookupScenario("persistence")
	if !ok {
		t.Fatal("no persistence scenario")
	}
	fx := sc.Build(time.Now())
	if fx.Attack != nil {
		fx.Attack(fx.State)
	}
	fx.Config.Limits = nil // rate limits are their own scenario; faults are the subject here
	return newWorldFrom(t, fx)
}

// newWorldFrom serves an already built fixture (its attack applied or not,
// as the caller chose).
func newWorldFrom(t testing.TB, fx *sendgridsim.Fixture) *world {
	t.Helper()
	w := &world{t: t, fx: fx, reports: t.TempDir(), unanswered: newAmbiguous(), playbook: pbName, leaked: fx.LeakedKey, secrets: []string{fx.ResponderKey}}
	w.given = map[string]string{
		"key":          fx.LeakedKey,
		"window_start": fx.WindowStart.UTC().Format(time.RFC3339),
		"window_end":   fx.WindowEnd.UTC().Format(time.RFC3339),
	}
	w.sg = sendgridsim.New(fx.State, fx.Config)
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", w.sg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosts.Shutdown(context.Background()) })
	w.sgURL, w.sgEU = hosts.URL, hosts.EUURL
	w.leakedID = strings.Split(fx.LeakedKey, ".")[1]
	for _, sub := range append([]string{""}, subusers(fx.State)...) {
		for _, k := range fx.State.Keys(sub) {
			w.keysAt = append(w.keysAt, k.ID)
		}
	}
	w.env = map[string]string{
		"SENDGRID_API_KEY":    fx.ResponderKey,
		"SENDGRID_API_URL":    w.sgURL,
		"SENDGRID_API_URL_EU": w.sgEU,
	}
	w.startSlack()
	return w
}

// newRegisteredWorld builds a registered scenario's world the way a drill
// does (rate limits off: faults are the subject): its baseline saved first
// when it has one, then its attack.
func newRegisteredWorld(t testing.TB, sc provider.Scenario) *world {
	t.Helper()
	pw, err := sc.World(context.Background(), time.Now().UTC().Truncate(time.Second), provider.WorldOptions{NoRateLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pw.Close() })
	w := &world{t: t, pw: pw, reports: t.TempDir(), unanswered: newAmbiguous(), playbook: sc.Playbook, stepTimeout: genericStepTimeout,
		given: pw.Given(), secrets: pw.Secrets(), leaked: pw.LeakedKey(), env: maps.Clone(pw.Env())}
	w.fi, _ = pw.(provider.FaultInjector)
	w.live, _ = pw.(provider.LiveKey)
	if sg, ok := pw.(*sendgrid.DrillWorld); ok {
		w.sg, w.fx = sg.Sim(), sg.Fixture()
	}
	if b, ok := pw.(provider.Baseliner); ok {
		red := redact.New(w.secrets...)
		path := filepath.Join(t.TempDir(), "baseline.json")
		if err := b.SaveBaseline(context.Background(), actions.StandaloneEnv("baseline", w.getenv, nil, red, http.DefaultTransport), path); err != nil {
			t.Fatal(err)
		}
		w.given["baseline"] = path
	}
	pw.Attack()
	w.startSlack()
	return w
}

// startSlack puts the Slack simulator behind its fault injector.
func (w *world) startSlack() {
	w.slack = slacksim.New(slacksim.Options{RateLimit: slacksim.RateLimit{Off: true}})
	w.sf = &slackFaults{next: w.slack, release: make(chan struct{})}
	hs := httptest.NewServer(w.sf)
	w.t.Cleanup(func() { w.sf.close(); hs.Close() })
	w.slackAPI = hs.URL + "/api/"
	w.env["SLACK_BOT_TOKEN"] = w.slack.BotToken()
}

func subusers(st *sendgridsim.State) []string {
	var out []string
	for _, u := range st.Subusers() {
		out = append(out, u.Username)
	}
	return out
}

// hub builds a run's notification hub: Slack to #incidents through the
// fault injector, with short retries and a short HTTP timeout.
func (w *world) hub(red *redact.Redactor) *notify.Hub {
	h, err := notify.NewHub(notify.HubConfig{
		Retry:             fastNotify,
		EventTimeout:      5 * time.Second,
		MinUpdateInterval: 10 * time.Millisecond,
		Channels:          map[string]map[string]any{"slack": {"channel": "C0INCIDENT", "api_url": w.slackAPI}},
	}, notify.HubEnv{
		Redactor: red, Getenv: w.getenv, LeakedKey: w.leaked,
		HTTPClient: &http.Client{Timeout: 300 * time.Millisecond, Transport: w.unanswered},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}

func (w *world) getenv(k string) string { return w.env[k] }

func (w *world) options(red *redact.Redactor, hub *notify.Hub, obs playbook.Observer) playbook.Options {
	observers := playbook.Observers{hub}
	if obs != nil {
		observers = append(observers, obs)
	}
	given := maps.Clone(w.given)
	if w.byID {
		delete(given, "key")
		given["key_id"] = w.leakedID
	}
	return playbook.Options{
		Mode:        report.ModeLive,
		Incident:    "INC-PROVE",
		Operator:    "prove",
		ReportsRoot: w.reports,
		Given:       given,
		Redactor:    red,
		Getenv:      w.getenv,
		ReadFile:    os.ReadFile,
		Observer:    observers,
		Services:    map[string]any{"notify": hub},
		StepTimeout: cmp.Or(w.stepTimeout, stepTimeout),
		Backoff:     func(n int) time.Duration { return time.Duration(n) * 5 * time.Millisecond },
		Version:     "prove",
	}
}

// run runs the playbook from the start, like `keyir run`: the hub is
// flushed (bounded) after the run, as the CLI does.
func (w *world) run(ctx context.Context, obs playbook.Observer) (*playbook.Result, error) {
	pb, err := playbook.Builtin(w.playbook)
	if err != nil {
		return nil, err
	}
	red := redact.New(w.secrets...)
	hub := w.hub(red)
	res, err := playbook.Run(ctx, pb, w.options(red, hub, obs))
	w.stopHub(hub)
	return res, err
}

// resume continues dir like `keyir resume DIR --key -`.
func (w *world) resume(ctx context.Context, dir string) (*playbook.Result, error) {
	red := redact.New(w.secrets...)
	hub := w.hub(red)
	o := w.options(red, hub, nil)
	o.Given = map[string]string{"key": w.leaked}
	if w.pw != nil {
		o.Given = w.pw.Given() // only its secret inputs are taken, as `keyir resume` gives them
	}
	res, err := playbook.Resume(ctx, dir, o)
	w.stopHub(hub)
	return res, err
}

func (w *world) stopHub(h *notify.Hub) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.Flush(ctx)
	h.Close()
}

// checkRevocations: every DELETE the simulator received named the leaked
// key, it was revoked effectively (a 2xx DELETE) at most `want` times, and
// every other key that existed before is still live.
func (w *world) checkRevocations(effectiveWant int) error {
	var problems []string
	effective := 0
	for _, r := range w.sg.Requests() {
		if r.Method != http.MethodDelete {
			continue
		}
		if r.Path != "/v3/api_keys/"+w.leakedID {
			problems = append(problems, "DELETE "+r.Path+" is not the leaked key")
		}
		if r.Status >= 200 && r.Status < 300 {
			effective++
		}
	}
	if effective != effectiveWant {
		problems = append(problems, fmt.Sprintf("%d effective revocations, want %d", effective, effectiveWant))
	}
	now := time.Now()
	for _, id := range w.keysAt {
		live := w.fx.State.KeyLive(id, now)
		if id == w.leakedID && live && effectiveWant > 0 {
			problems = append(problems, "the leaked key is still live")
		}
		if id != w.leakedID && !live {
			problems = append(problems, "innocent key "+id+" was revoked")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// slackPosts are the chat.postMessage calls Slack processed successfully.
func (w *world) slackPosts() []slacksim.Call {
	var out []slacksim.Call
	for _, c := range w.slack.Calls() {
		if c.Method == "chat.postMessage" && c.Status == http.StatusOK && c.Error == "" {
			out = append(out, c)
		}
	}
	return out
}

// duplicatePosts finds two processed posts with the same channel, thread
// and text: the same notification delivered twice. A post whose answer never
// reached keyir (unanswered) may be asked again: Slack has no idempotency
// key, and delivery is at least once.
func duplicatePosts(posts []slacksim.Call, unanswered *ambiguous) []string {
	seen := map[string]int{}
	var dups []string
	for _, c := range posts {
		k := postKey(c.Fields)
		seen[k]++
		if seen[k] == 2 && !unanswered.has(k) {
			dups = append(dups, fmt.Sprintf("%.120q", c.Fields.Get("text")))
		}
	}
	return dups
}

func verify(dir string) error {
	v, err := runstore.Verify(dir)
	if err != nil {
		return err
	}
	if !v.OK() {
		return fmt.Errorf("verify %s: %+v", dir, v)
	}
	return nil
}

// slackFaults sits in front of the Slack simulator and fails Web API calls
// (not uploads) while a fault is set: left > 0 calls, or every call when
// left < 0. Faulted calls never reach the simulator, except truncate, which
// lets Slack process the call and cuts its answer in half.
type slackFaults struct {
	next    http.Handler
	mu      sync.Mutex
	kind    string // "status", "timeout", "reset", "truncate"
	status  int
	left    int
	release chan struct{}
	once    sync.Once
	fired   int
}

func (f *slackFaults) set(kind string, status, times int) {
	f.mu.Lock()
	f.kind, f.status, f.left = kind, status, times
	f.mu.Unlock()
}

func (f *slackFaults) clear() { f.set("", 0, 0) }

func (f *slackFaults) close() { f.once.Do(func() { close(f.release) }) }

func (f *slackFaults) take(r *http.Request) (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kind == "" || f.left == 0 || !strings.HasPrefix(r.URL.Path, "/api/") {
		return "", 0
	}
	if f.left > 0 {
		f.left--
	}
	f.fired++
	return f.kind, f.status
}

func (f *slackFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, status := f.take(r)
	switch kind {
	case "status":
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"ok":false,"error":"simulated_%d"}`, status)
	case "timeout":
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		hijackClose(w)
	case "reset":
		hijackClose(w)
	case "truncate":
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		body := rec.Body.Bytes()
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
	default:
		f.next.ServeHTTP(w, r)
	}
}

func hijackClose(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// stepHook is a playbook observer that calls on right before step acts and
// off right after (playbook.ActObserver: on the runner's goroutine, around
// the action itself, so the fault covers exactly that step, even a
// read-only one that acts before its start is announced).
type stepHook struct {
	step    string
	on, off func()
}

func (h *stepHook) RunStarted(*report.Report, string) {}
func (h *stepHook) StepStarted(report.Step)           {}
func (h *stepHook) StepActing(s report.Step) {
	if s.ID == h.step && h.on != nil {
		h.on()
	}
}
func (h *stepHook) StepActed(s report.Step) {
	if s.ID == h.step && h.off != nil {
		h.off()
	}
}
func (h *stepHook) StepProgress(report.Step, string)   {}
func (h *stepHook) StepFinished(report.Step)           {}
func (h *stepHook) RunFinished(*report.Report, string) {}
