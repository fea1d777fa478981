package main

import "context"
import "encoding/json"
import "math/rand/v2"
import "net/http"
import "net/http/httptest"
import "os"
import "path/filepath"
import "strings"
import "sync"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// gitleaksOf writes a gitleaks report of the given keys (one finding each)
// and returns its path.
func gitleaksOf(t *testing.T, name string, keys ...sendgridsim.Key) string {
	t.Helper()
	var fs []glFinding
	for i, k := range keys {
		fs = append(fs, glFinding{"sendgrid-api-token", k.Token(), k.Token(), "deploy/app.env", "3f9c2a7e41b05d8c6e1f", i + 1})
	}
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), name, string(b))
}

// deleteCount counts the DELETE requests that named a key.
func deleteCount(srv *sendgridsim.Server, k sendgridsim.Key) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodDelete && r.Path == "/v3/api_keys/"+k.ID {
			n++
		}
	}
	return n
}

// TestResumeFromGivesEachKeyBackByFingerprint: a composed run whose second
// key's revoke is refused ends not contained and prints the real resume
// command; a resume without the report, with a report that lacks a key or
// holds another, or with --key-file, is refused (exit 2) naming the key by
// label, kind and fingerprint; with the same report it revokes the second
// key, does not revoke the first again, and ends done. No secret reaches
// any output or file.
func TestResumeFromGivesEachKeyBackByFingerprint(t *testing.T) {
	envv, srv, leaked := twoLeakedKeys(t)
	other := sendgridsim.NewKey(rand.New(rand.NewPCG(9, 9)), "elsewhere", []string{"mail.send"})
	from := gitleaksOf(t, "gitleaks.json", leaked...)
	reports := filepath.Join(t.TempDir(), "reports")
	srv.InjectFault(sendgridsim.Fault{Method: http.MethodDelete, After: 1, Kind: sendgridsim.FaultStatus, Status: http.StatusForbidden})
	first := keyir(t, "", envv, "respond", "--from", from, "--incident", "INC-51", "--reports", reports)
	if first.code != report.ExitNotContained {
		t.Fatalf("first run: exit %d\n%s", first.code, first.stderr)
	}
	runDir := onlyRunDir(t, reports)
	if want := "keyir resume " + runDir + " --from " + from + "\n"; !strings.Contains(first.stderr, want) {
		t.Fatalf("the hint is not the resume command %q:\n%s", want, first.stderr)
	}
	fp2 := redact.Fingerprint(leaked[1].Token())
	results := []result{first}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "give the scanner's report again: keyir resume " + runDir + " --from FILE"},
		{[]string{"--from", gitleaksOf(t, "one.json", leaked[0])}, "k2 (SendGrid API key " + fp2 + ") is not in "},
		{[]string{"--from", gitleaksOf(t, "more.json", leaked[0], leaked[1], other)}, "SendGrid API key " + redact.Fingerprint(other.Token()) + " (sendgrid-api-token), which is not one of this run's keys"},
		{[]string{"--from", gitleaksOf(t, "swapped.json", other, leaked[1])}, "k1 (SendGrid API key " + redact.Fingerprint(leaked[0].Token()) + ") is not in "},
		{[]string{"--key-file", writeFile(t, t.TempDir(), "k", leaked[1].Token()+"\n")}, "not --key or --key-file"},
		{[]string{"--from", "/dev/zero"}, "--from"},
		{[]string{"--from", from, "--format", "gitlaeks"}, `did you mean "gitleaks"`},
	} {
		r := keyir(t, "", envv, append([]string{"resume", runDir}, c.args...)...)
		if r.code != report.ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("resume %v: exit %d, want 2 and %q:\n%s", c.args, r.code, c.want, r.stderr)
		}
		results = append(results, r)
	}
	if rep, err := runstore.Load(runDir); err != nil || rep.Run.Resumes != 0 {
		t.Fatalf("a refused resume touched the run: %v, resumes %d", err, rep.Run.Resumes)
	}
	srv.ClearFaults()
	r := keyir(t, "", envv, "resume", runDir, "--from", from, "--output", "json")
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range out.Report.Keys {
		if k.Containment.Status != report.ContainmentConfirmed {
			t.Errorf("%s: %+v", k.Label, k.Containment)
		}
	}
	for _, k := range leaked {
		if srv.State().KeyLive(k.ID, time.Now()) {
			t.Errorf("key %s still live", k.Name)
		}
	}
	if n := deleteCount(srv, leaked[0]); n != 1 {
		t.Errorf("the first key, revoked and proven before, was named in %d DELETEs", n)
	}
	if r := keyir(t, "", nil, "report", "verify", runDir); r.code != 0 {
		t.Errorf("verify after resume: %+v", r)
	}
	var outputs [][]byte
	for _, res := range append(results, r) {
		outputs = append(outputs, everyOutput(res, reports)...)
	}
	notifytest.AssertLeaksNoSecret(t, []string{leaked[0].Token(), leaked[1].Token(), other.Token(), leaked[1].Secret}, outputs...)
}

// holdNth holds the nth request matching method (1-based) until released,
// then serves it whatever became of the client, as a server that already
// received it would.
type holdNth struct {
	h      http.Handler
	method string
	mu     sync.Mutex
	n, nth int
	held   chan struct{}
	free   chan struct{}
	served chan struct{}
}

func (g *holdNth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	if r.Method == g.method {
		g.n++
	}
	hold := r.Method == g.method && g.n == g.nth
	g.mu.Unlock()
	if !hold {
		g.h.ServeHTTP(w, r)
		return
	}
	close(g.held)
	<-g.free
	g.h.ServeHTTP(struct{ http.ResponseWriter }{w}, r.WithContext(context.WithoutCancel(r.Context())))
	close(g.served)
}

// TestSIGKILLComposedRunThenResumeFromCompletes: keyir respond --from is
// killed while the second key's revoke is in flight (the first key revoked
// and proven dead); keyir resume --from finishes it: every key dead, the
// first never revoked again, no Slack message (the opening one included)
// posted twice, the directory verifies.
func TestSIGKILLComposedRunThenResumeFromCompletes(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	st := sendgridsim.NewState()
	responder := sendgridsim.NewKey(rng, "responder", sendgridsim.ResponderScopes())
	st.AddKey(responder)
	var leaked []sendgridsim.Key
	for _, n := range []string{"leaky-1", "leaky-2"} {
		k := sendgridsim.NewKey(rng, n, []string{"mail.send"})
		st.AddKey(k)
		leaked = append(leaked, k)
	}
	srv := sendgridsim.New(st, sendgridsim.DefaultConfig())
	g := &holdNth{h: srv, method: http.MethodDelete, nth: 2, held: make(chan struct{}), free: make(chan struct{}), served: make(chan struct{})}
	defer func() {
		select {
		case <-g.free:
		default:
			close(g.free)
		}
	}()
	global, stopGlobal, err := sendgridsim.Listen("127.0.0.1:0", g)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopGlobal(context.Background()) })
	eu, stopEU, err := sendgridsim.Listen("127.0.0.1:0", srv.EU())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopEU(context.Background()) })
	slack := slacksim.New(slacksim.Options{RateLimit: slacksim.RateLimit{Off: true}})
	hs := httptest.NewServer(slack)
	t.Cleanup(hs.Close)
	envv := map[string]string{"SENDGRID_API_KEY": responder.Token(), "SENDGRID_API_URL": global, "SENDGRID_API_URL_EU": eu,
		"SLACK_API_URL": hs.URL + "/api/", "SLACK_BOT_TOKEN": slack.BotToken()}
	from := gitleaksOf(t, "gitleaks.json", leaked...)
	reports := filepath.Join(t.TempDir(), "reports")
	cmd := keyirProcess(t, "respond", "--from", from, "--incident", "INC-52", "--reports", reports, "--slack-channel", "C0INCIDENT")
	for k, v := range envv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.held:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the second revoke never came; stderr:\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	runDir := onlyRunDir(t, reports)
	if _, err := os.Stat(filepath.Join(runDir, "MANIFEST")); err == nil {
		t.Fatal("a killed run cannot have written its MANIFEST")
	}
	close(g.free)
	<-g.served
	r := keyir(t, "", envv, "resume", runDir, "--from", from, "--slack-channel", "C0INCIDENT")
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, k := range leaked {
		if srv.State().KeyLive(k.ID, time.Now()) {
			t.Errorf("key %s still live", k.Name)
		}
	}
	if n := deleteCount(srv, leaked[0]); n != 1 {
		t.Errorf("the first key, revoked and proven before the kill, was named in %d DELETEs", n)
	}
	seen := map[string]bool{}
	opened := 0 // the opening message: "keyir: leaked … — INC-52 — running"
	for _, c := range slack.Calls() {
		if c.Method != "chat.postMessage" || c.Status != 200 || c.Error != "" {
			continue
		}
		k := c.Fields.Get("thread_ts") + "|" + c.Fields.Get("text") + "|" + c.Fields.Get("blocks")
		if seen[k] {
			t.Errorf("Slack message posted twice: %.100q", c.Fields.Get("text"))
		}
		seen[k] = true
		if strings.HasSuffix(c.Fields.Get("text"), " — running") {
			opened++
		}
	}
	// The opening message is not sent again. (The resumed process does not
	// know the first one's thread: its closing outcome starts a new one,
	// as a resumed run of one key does.)
	if opened != 1 {
		t.Errorf("the opening message was posted %d times, want once", opened)
	}
	if v := keyir(t, "", nil, "report", "verify", runDir); v.code != 0 {
		t.Errorf("verify after resume: %+v", v)
	}
	rep, err := runstore.Load(runDir)
	if err != nil || rep.Run.Resumes != 1 || rep.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("after resume: %v %+v", err, rep.Run)
	}
	notifytest.AssertLeaksNoSecret(t, []string{leaked[0].Token(), leaked[1].Token(), leaked[1].Secret}, everyOutput(r, reports)...)
}
