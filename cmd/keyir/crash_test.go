package main

import "bytes"
import "context"
import "errors"
import "fmt"
import "io"
import "io/fs"
import "maps"
import "math/rand/v2"
import "net/http"
import "net/http/httptest"
import "net/http/httputil"
import "net/url"
import "os"
import "os/exec"
import "path/filepath"
import "slices"
import "strings"
import "sync"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// crashSeed makes the kill points reproducible; KEYIR_CRASH_SEED overrides it
// to explore others.
const crashSeed = 20261128

// holdGate passes requests to the simulator, except the k-th (counting every
// request of SendGrid and Slack alike), which it holds until released: the
// test kills keyir while that request is in flight. A held request is then
// handed to the simulator anyway, as a server that already received it
// would.
type holdGate struct {
	mu      sync.Mutex
	n, k    int
	held    chan struct{} // closed when the k-th request arrives
	release chan struct{}
	once    sync.Once
	// heldPost is the text of the held request when it is a Slack
	// chat.postMessage: the one message a kill may leave delivered but
	// unrecorded.
	heldPost, heldWhat string
	// watch is the reports root; before counts the requests that arrived
	// while it did not exist yet (the preflight's).
	watch  string
	before int
}

func newHoldGate(k int) *holdGate {
	return &holdGate{k: k, held: make(chan struct{}), release: make(chan struct{})}
}

func (g *holdGate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.n++
		hold := g.n == g.k
		if _, err := os.Stat(g.watch); g.watch != "" && errors.Is(err, fs.ErrNotExist) {
			g.before++
		}
		g.mu.Unlock()
		if hold {
			g.heldWhat = r.Method + " " + r.URL.Path
			if strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if q, err := url.ParseQuery(string(body)); err == nil {
					g.heldPost = q.Get("text")
				}
			}
			close(g.held)
			<-g.release
		}
		h.ServeHTTP(w, r)
	})
}

// let releases the held request (once).
func (g *holdGate) let() { g.once.Do(func() { close(g.release) }) }

func (g *holdGate) count() int { g.mu.Lock(); defer g.mu.Unlock(); return g.n }

// crashWorld is a registered scenario's world (rate limits off) with its
// baseline saved and its attack applied, every one of its loopback hosts and
// Slack behind the gate, and the command line that runs its playbook.
type crashWorld struct {
	sc    provider.Scenario
	truth provider.Truth
	pw    provider.World
	slack *slacksim.Server
	env   map[string]string
	// inputs are the playbook's inputs as flags (--key-file, --input).
	inputs  []string
	keyFile string
	reports string
}

func newCrashWorld(t *testing.T, g *holdGate, sc provider.Scenario) *crashWorld {
	t.Helper()
	built := time.Now().UTC().Truncate(time.Second)
	pw, err := sc.World(context.Background(), built, provider.WorldOptions{NoRateLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pw.Close() })
	cw := &crashWorld{sc: sc, truth: sc.Truth(built), pw: pw, env: map[string]string{}, reports: filepath.Join(t.TempDir(), "reports")}
	worldEnv := pw.Env()
	given := pw.Given()
	if b, ok := pw.(provider.Baseliner); ok {
		path := filepath.Join(t.TempDir(), "baseline.json")
		env := actions.StandaloneEnv("baseline", func(k string) string { return worldEnv[k] }, nil, redact.New(pw.Secrets()...), http.DefaultTransport)
		if err := b.SaveBaseline(context.Background(), env, path); err != nil {
			t.Fatal(err)
		}
		given["baseline"] = path
	}
	pw.Attack()
	// The simulators live in this process, outside the one that is killed;
	// each of the world's hosts is reached through the gate.
	for k, v := range worldEnv {
		if v == "" {
			continue // a name the world blanks: the process env has none of keyir's
		}
		if u, err := url.Parse(v); err == nil && u.Scheme == "http" && strings.HasPrefix(u.Host, "127.0.0.1:") {
			v = gatedProxy(t, g, u)
		}
		cw.env[k] = v
	}
	cw.slack = slacksim.New(slacksim.Options{RateLimit: slacksim.RateLimit{Off: true}})
	hs := httptest.NewServer(g.wrap(cw.slack))
	t.Cleanup(hs.Close)
	cw.env["SLACK_API_URL"], cw.env["SLACK_BOT_TOKEN"] = hs.URL+"/api/", cw.slack.BotToken()
	pb, err := playbook.Builtin(sc.Playbook)
	if err != nil {
		t.Fatal(err)
	}
	secret := map[string]bool{}
	for _, n := range pb.SecretInputs() {
		secret[n] = true
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		v := given[name]
		switch {
		case name == "key":
			cw.keyFile = writeFile(t, t.TempDir(), "leaked.key", v+"\n")
			cw.inputs = append(cw.inputs, "--key-file", cw.keyFile)
		case secret[name]:
			cw.env["KEYIR_INPUT_"+strings.ToUpper(name)+"_FILE"] = writeFile(t, t.TempDir(), name, v+"\n")
		case strings.ContainsAny(v, " \t\n"):
			t.Fatalf("input %s of scenario %s holds white space: the subprocess's arguments cannot carry it", name, sc.Name)
		default:
			cw.inputs = append(cw.inputs, "--input", name+"="+v)
		}
	}
	return cw
}

// gatedProxy serves target behind the gate. A request keyir gave up on
// still reaches the simulator (its context is detached), as one a server
// had already received would.
func gatedProxy(t *testing.T, g *holdGate, target *url.URL) string {
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t.Errorf("the gate's proxy to %s: %s %s: %v", target, r.Method, r.URL.Path, err)
			w.WriteHeader(http.StatusBadGateway)
		}}
	hs := httptest.NewServer(g.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Neither the request's context nor the connection's close
		// notification (hidden by the plain writer) cancels the forward.
		rp.ServeHTTP(struct{ http.ResponseWriter }{w}, r.WithContext(context.WithoutCancel(r.Context())))
	})))
	t.Cleanup(hs.Close)
	return hs.URL
}

func (cw *crashWorld) args() []string {
	return append([]string{"run", cw.sc.Playbook, "--incident", "INC-CRASH", "--reports", cw.reports, "--slack-channel", "C0INCIDENT"}, cw.inputs...)
}

func (cw *crashWorld) process(t *testing.T) *exec.Cmd {
	cmd := keyirProcess(t, cw.args()...)
	for k, v := range cw.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// check: the leaked key no longer authenticates anywhere; in SendGrid's
// world, only the leaked key was ever named in a DELETE, it was revoked
// effectively exactly once and every other key lives; and no Slack message
// was posted twice.
func (cw *crashWorld) check(t *testing.T, label string, mayRepeat string) {
	t.Helper()
	if lk, ok := cw.pw.(provider.LiveKey); ok && lk.LeakedKeyLive() {
		t.Errorf("%s: the leaked key still authenticates", label)
	}
	if sg, ok := cw.pw.(*sendgrid.DrillWorld); ok {
		checkSendGridRevocations(t, label, sg)
	}
	seen := map[string]bool{}
	for _, c := range cw.slack.Calls() {
		if c.Method != "chat.postMessage" || c.Status != 200 || c.Error != "" {
			continue
		}
		k := c.Fields.Get("thread_ts") + "|" + c.Fields.Get("text") + "|" + c.Fields.Get("blocks")
		if seen[k] && c.Fields.Get("text") == mayRepeat && mayRepeat != "" {
			t.Logf("%s: known at-least-once window: the post in flight when keyir stopped was delivered and is sent again by the resume: %.80q", label, mayRepeat)
		} else if seen[k] {
			t.Errorf("%s: Slack message posted twice: %.100q", label, c.Fields.Get("text"))
		}
		seen[k] = true
	}
}

func checkSendGridRevocations(t *testing.T, label string, w *sendgrid.DrillWorld) {
	t.Helper()
	leakedID := w.Fixture().LeakedKeyID
	effective := 0
	for _, r := range w.Sim().Requests() {
		if r.Method != http.MethodDelete {
			continue
		}
		if r.Path != "/v3/api_keys/"+leakedID {
			t.Errorf("%s: DELETE %s is not the leaked key", label, r.Path)
		}
		if r.Status/100 == 2 {
			effective++
		}
	}
	if effective != 1 {
		t.Errorf("%s: %d effective revocations, want 1", label, effective)
	}
	st := w.Fixture().State
	for _, sub := range append([]string{""}, subuserNames(st)...) {
		for _, k := range st.Keys(sub) {
			if k.ID != leakedID && !st.KeyLive(k.ID, time.Now()) {
				t.Errorf("%s: innocent key %s revoked", label, k.ID)
			}
		}
	}
}

func subuserNames(st *sendgridsim.State) []string {
	var out []string
	for _, u := range st.Subusers() {
		out = append(out, u.Username)
	}
	return out
}

// crashScenarios picks, for each built-in playbook a drill scenario
// rehearses, the scenario to crash it in: one that proves containment with
// the most findings (ties: the first registered). A provider that registers
// such a scenario has its playbook crash-tested without a change here.
func crashScenarios() []provider.Scenario {
	best := map[string]provider.Scenario{}
	var order []string
	for _, sc := range provider.Scenarios() {
		if sc.World == nil || sc.Truth == nil || sc.Truth(time.Now()).Containment != report.ContainmentConfirmed {
			continue
		}
		cur, seen := best[sc.Playbook]
		if !seen {
			order = append(order, sc.Playbook)
		}
		if !seen || len(sc.Truth(time.Now()).Findings) > len(cur.Truth(time.Now()).Findings) {
			best[sc.Playbook] = sc
		}
	}
	var out []provider.Scenario
	for _, pb := range order {
		out = append(out, best[pb])
	}
	return out
}

// TestCrashRecoveryAtSeededPoints kills `keyir run` of every registered
// playbook (in the scenario crashScenarios picks) at seeded requests, with
// SIGINT, SIGTERM and SIGKILL, then checks the directory, resumes it and
// checks again. SendGrid's playbook gets 8 points per signal, every other
// one 3 (the suite stays within its budget).
func TestCrashRecoveryAtSeededPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	seed := uint64(crashSeed)
	if s := os.Getenv("KEYIR_CRASH_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	scenarios := crashScenarios()
	if len(scenarios) == 0 {
		t.Fatal("no registered scenario to crash a playbook in")
	}
	for _, sc := range scenarios {
		points := 3
		if sc.Playbook == "sendgrid-key-compromise" {
			points = 8
		}
		t.Run(sc.Playbook, func(t *testing.T) { crashPlaybook(t, sc, seed, points) })
	}
}

func crashPlaybook(t *testing.T, sc provider.Scenario, seed uint64, pointsPerSignal int) {
	// Calibrate: how many requests does a whole run make, and how many
	// before its run directory exists?
	calib := newHoldGate(-1)
	cw := newCrashWorld(t, calib, sc)
	calib.mu.Lock() // the world's hosts already serve: the gate reads it under mu
	calib.watch = cw.reports
	calib.mu.Unlock()
	out, err := cw.process(t).CombinedOutput()
	if ee := (*exec.ExitError)(nil); err != nil && !(errors.As(err, &ee) && ee.ExitCode() == cw.truth.ExitCode) || err == nil && cw.truth.ExitCode != 0 {
		t.Fatalf("calibration run of %s in %s: %v, want exit %d\n%s", sc.Playbook, sc.Name, err, cw.truth.ExitCode, out)
	}
	total, preflight := calib.count(), calib.before
	t.Logf("seed %d: a whole run of %s in %s makes %d requests (the provider's and Slack's), %d before its run directory", seed, sc.Playbook, sc.Name, total, preflight)
	rng := rand.New(rand.NewPCG(seed, 0))
	signals := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL}
	var table []string
	for _, sig := range signals {
		for range pointsPerSignal {
			k := 1 + rng.IntN(total)
			name := fmt.Sprintf("%s@%d", strings.ToUpper(sig.String()[:4]), k)
			t.Run(fmt.Sprintf("%v/request-%d", sig, k), func(t *testing.T) {
				table = append(table, name+": "+crashAt(t, sc, sig, k, preflight))
			})
		}
	}
	t.Logf("crash points (signal@request: outcome):\n  %s", strings.Join(table, "\n  "))
}

// crashAt kills a run while its k-th request is in flight, then checks the
// directory, resumes, and checks again.
func crashAt(t *testing.T, sc provider.Scenario, sig syscall.Signal, k, preflight int) string {
	g := newHoldGate(k)
	cw := newCrashWorld(t, g, sc)
	cmd := cw.process(t)
	var outb strings.Builder
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-g.held:
	case err := <-exited:
		g.let()
		t.Fatalf("the run ended (%v) before request %d:\n%s", err, k, outb.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("request %d never came", k)
	}
	cmd.Process.Signal(sig)
	// The held request is answered 300 ms after the signal (a slow server),
	// or when keyir is gone, whichever comes first.
	go func() { time.Sleep(300 * time.Millisecond); g.let() }()
	var code int
	select {
	case <-exited:
		code = cmd.ProcessState.ExitCode()
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		g.let()
		t.Fatalf("%v: keyir did not stop:\n%s", sig, outb.String())
	}
	g.let() // the server still gets the request it had received
	if k <= preflight {
		// The preflight's checks (the responder's credential, Slack's
		// auth.test and conversations.info) come before the run directory:
		// a signal there leaves nothing to resume.
		if _, err := os.Stat(cw.reports); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%v during the preflight (request %d of %d, %s) left a reports directory (%v)", sig, k, preflight, g.heldWhat, err)
		}
		if sig != syscall.SIGKILL && code != 1 {
			t.Fatalf("%v during the preflight: exit %d, want 1\n%s", sig, code, outb.String())
		}
		return fmt.Sprintf("stopped in the preflight (held %s), no run directory", g.heldWhat)
	}
	dir := onlyRunDir(t, cw.reports)
	events, _, err := runstore.ReadJournal(dir)
	if err != nil {
		t.Fatalf("journal unreadable after %v: %v", sig, err)
	}
	ended := false    // the run journaled its end (finished, or stopped by the signal)
	finished := false // it had finished before the signal (only notifications were left)
	for _, ev := range events {
		ended = ended || ev.Type == report.EventRunFinished || ev.Type == report.EventRunInterrupted
		finished = finished || ev.Type == report.EventRunFinished
	}
	v, verr := runstore.Verify(dir)
	outcome := ""
	switch sig {
	case syscall.SIGKILL:
		// No chance to seal: Verify must say so, not pass; unless the kill
		// came after the run had ended and sealed its directory (the last
		// requests are the closing notifications).
		switch {
		case verr == nil && v.OK() && ended:
			outcome = "killed after the run had sealed"
		case verr == nil && v.OK():
			t.Fatalf("verify passed on a directory whose writer was killed mid-run: %+v", v)
		default:
			outcome = "killed, unsealed"
		}
	default:
		// A clean stop: interrupted (1), or 4 when it stopped before the key
		// was proven dead; the directory is sealed and verifiable.
		// A signal during the closing notifications of a finished run
		// leaves its exit code as it was.
		if finished && code != cw.truth.ExitCode || !finished && code != 1 && code != 4 {
			t.Fatalf("%v: exit %d, want 1 or 4 (0 after the run had finished: %v)\n%s", sig, code, finished, outb.String())
		}
		if verr != nil || !v.OK() {
			t.Fatalf("%v: verify after a clean stop: %v %+v", sig, verr, v)
		}
		outcome = fmt.Sprintf("exit %d, sealed", code)
	}
	// A run that had finished and sealed before the signal stays sealed:
	// resume refuses it (exit 2); every other one resumes to the end.
	wantResume := cw.truth.ExitCode // the scenario's footholds stay open
	if rep0, err := runstore.Load(dir); verr == nil && v.OK() && err == nil &&
		rep0.Run.Status != report.RunInterrupted && rep0.Run.Status != report.RunFailed {
		wantResume = 2
	}
	resume := []string{"resume", dir, "--slack-channel", "C0INCIDENT"}
	if cw.keyFile != "" {
		resume = append(resume, "--key-file", cw.keyFile)
	}
	r := keyir(t, "", cw.env, resume...)
	if r.code != wantResume {
		t.Fatalf("resume after %v at request %d: exit %d, want %d\n%s", sig, k, r.code, wantResume, r.stderr)
	}
	if v := keyir(t, "", nil, "report", "verify", dir); v.code != 0 {
		t.Fatalf("report verify after resume: %+v", v)
	}
	// The one message that may appear twice: a Slack post in flight when
	// keyir stopped, whose answer it never saw (killed, or gave up waiting),
	// while Slack still carried it out. chat.postMessage has no idempotency
	// key, so a resume cannot know it was delivered.
	mayRepeat := g.heldPost
	cw.check(t, fmt.Sprintf("%v@%d", sig, k), mayRepeat)
	rep, err := runstore.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Containment.Status != cw.truth.Containment {
		t.Errorf("containment %+v after resume", rep.Run.Containment)
	}
	return fmt.Sprintf("%s (held %s) → resume %d, verified", outcome, g.heldWhat, wantResume)
}
