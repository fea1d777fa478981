package chatops_test

import "bytes"
import "context"
import "crypto/hmac"
import "crypto/sha256"
import "encoding/hex"
import "encoding/json"
import "io"
import "io/fs"
import "net/http"
import "net/http/httptest"
import "net/url"
import "os"
import "path/filepath"
import "strconv"
import "strings"
import "sync"
import "testing"
import "time"

import _ "github.com/keyir/keyir/actions/all"
import "github.com/keyir/keyir/chatops"
import _ "github.com/keyir/keyir/notify/all"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

const (
	secret  = "8f14e45fceea167a5a36dedd4bea2543"
	team    = slacksim.DefaultTeamID
	appID   = slacksim.DefaultAppID
	channel = "C0INCIDENT"
	alice   = "U0ALICE"   // allow-listed
	bob     = "U0BOB"     // allow-listed
	carol   = "U0CAROL"   // member of the on-call user group
	mallory = "U0MALLORY" // nobody
	group   = "S0ONCALL"
)

// clock is a settable clock for expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is one keyir serve against the two simulators.
type world struct {
	t       testing.TB
	slack   *slacksim.Server
	sg      *sendgridsim.Server
	fx      *sendgridsim.Fixture
	dataDir string
	reports string
	cfg     *chatops.Config
	clock   *clock
	srv     *chatops.Server
	http    *httptest.Server
	apiURL  string
	sgURL   string
	red     *redact.Redactor
	log     *bytes.Buffer
	mods    func(*chatops.Options)
	// scenario is the simulator's scenario (default spam-burst); fixture,
	// if set, adjusts it before the simulator starts.
	scenario string
	fixture  func(*sendgridsim.Fixture)
	// env adds to the runs' environment (another provider's simulator).
	env map[string]string
}

func newWorld(t testing.TB, mods ...func(*world)) *world {
	t.Helper()
	w := &world{t: t, clock: &clock{t: time.Now()}, log: &bytes.Buffer{}}
	for _, m := range mods {
		m(w)
	}
	w.slack = slacksim.New(slacksim.Options{UserGroups: map[string][]string{group: {carol}}, RateLimit: slacksim.RateLimit{Off: true}})
	api, err := w.slack.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.slack.Close() })
	w.apiURL = api
	if w.scenario == "" {
		w.scenario = "spam-burst"
	}
	sc, _ := sendgridsim.LookupScenario(w.scenario)
	w.fx = sc.Build(time.Now())
	if w.fixture != nil {
		w.fixture(w.fx)
	}
	if w.sg == nil {
		w.sg = sendgridsim.New(w.fx.State, w.fx.Config)
	}
	base, shutdown, err := sendgridsim.Listen("127.0.0.1:0", w.sg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(context.Background()) })
	w.sgURL = base
	root := t.TempDir()
	w.dataDir, w.reports = filepath.Join(root, "data"), filepath.Join(root, "reports")
	cfgText := "team_id: " + team + "\napi_app_id: " + appID + "\nallowed_users: [" + alice + ", " + bob + "]\n" +
		"allowed_user_groups: [" + group + "]\nallowed_channels: [" + channel + "]\napproval_expiry: 15m\n" +
		"reports_dir: " + w.reports + "\ndata_dir: " + w.dataDir + "\ndrill_channel: C0DRILL\n"
	w.cfg, err = chatops.ParseConfig("serve.yaml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	w.start()
	return w
}

func (w *world) getenv(k string) string {
	switch k {
	case "SENDGRID_API_KEY":
		return w.fx.ResponderKey
	case "SENDGRID_API_URL":
		return w.sgURL
	}
	return w.env[k]
}

// start (re)starts keyir serve on the same data directory.
func (w *world) start() {
	w.t.Helper()
	w.red = redact.New(w.fx.ResponderKey)
	o := chatops.Options{
		Config: w.cfg, BotToken: w.slack.BotToken(), SlackAPIURL: w.apiURL, Getenv: w.getenv,
		Redactor: w.red, Now: w.clock.Now, Log: &syncWriter{b: w.log}, ExpiryTick: 20 * time.Millisecond,
		MinUpdateInterval: time.Millisecond,
		RunOptions: func(o *playbook.Options) {
			o.Backoff = func(n int) time.Duration { return time.Duration(n) * 20 * time.Millisecond }
		},
	}
	if w.mods != nil {
		w.mods(&o)
	}
	srv, err := chatops.New(o)
	if err != nil {
		w.t.Fatal(err)
	}
	srv.Start(context.Background())
	w.srv = srv
	w.http = httptest.NewServer(srv.Handler(secret))
	w.t.Cleanup(func() {
		w.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
}

// stop shuts keyir serve down as SIGTERM does.
func (w *world) stop() {
	w.t.Helper()
	w.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.srv.Shutdown(ctx); err != nil {
		w.t.Fatal(err)
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func sign(body []byte, ts time.Time, key string) (string, string) {
	t := strconv.FormatInt(ts.Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("v0:" + t + ":"))
	m.Write(body)
	return t, "v0=" + hex.EncodeToString(m.Sum(nil))
}

type reqOpt struct {
	ts       time.Time
	key      string
	unsigned bool
	team     string
	app      string
}

func commandForm(w *world, user, ch, text string, o reqOpt) []byte {
	tm, app := team, appID
	if o.team != "" {
		tm = o.team
	}
	if o.app != "" {
		app = o.app
	}
	v := url.Values{"token": {"deprecated"}, "team_id": {tm}, "api_app_id": {app}, "user_id": {user}, "user_name": {"someone"},
		"channel_id": {ch}, "channel_name": {"incidents"}, "command": {"/keyir"}, "text": {text},
		"response_url": {w.slack.NewResponseURL("", ch, user)}, "trigger_id": {"1.2.3"}}
	return []byte(v.Encode())
}

func (w *world) postSigned(path string, body []byte, o reqOpt) (*http.Response, []byte) {
	w.t.Helper()
	req, _ := http.NewRequest("POST", w.http.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !o.unsigned {
		if o.ts.IsZero() {
			o.ts = time.Now()
		}
		if o.key == "" {
			o.key = secret
		}
		ts, sig := sign(body, o.ts, o.key)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// command posts /keyir text and returns the reply text.
func (w *world) command(user, ch, text string) string {
	w.t.Helper()
	start := time.Now()
	resp, b := w.postSigned("/slack/commands", commandForm(w, user, ch, text, reqOpt{}), reqOpt{})
	if d := time.Since(start); d > 3*time.Second {
		w.t.Errorf("ack took %s, over Slack's 3 s", d)
	}
	if resp.StatusCode != 200 {
		w.t.Fatalf("command: status %d %s", resp.StatusCode, b)
	}
	var r chatops.Reply
	if err := json.Unmarshal(b, &r); err != nil {
		w.t.Fatalf("reply %s: %v", b, err)
	}
	return r.Text
}

func interactionForm(w *world, user, ch, ts, actionID, value string, o reqOpt) []byte {
	tm, app := team, appID
	if o.team != "" {
		tm = o.team
	}
	if o.app != "" {
		app = o.app
	}
	p := map[string]any{
		"type": "block_actions", "team": map[string]any{"id": tm}, "api_app_id": app,
		"user": map[string]any{"id": user}, "channel": map[string]any{"id": ch},
		"container":    map[string]any{"type": "message", "message_ts": ts, "channel_id": ch},
		"response_url": w.slack.NewResponseURL("", ch, user), "trigger_id": "1.2.3",
		"actions": []map[string]any{{"action_id": actionID, "block_id": "keyir_approval", "value": value, "type": "button", "action_ts": "1"}},
	}
	b, _ := json.Marshal(p)
	return []byte(url.Values{"payload": {string(b)}}.Encode())
}

// click presses a button as user; it returns the HTTP status.
func (w *world) click(user, actionID string, r chatops.Request) int {
	w.t.Helper()
	resp, _ := w.postSigned("/slack/interactions", interactionForm(w, user, r.Channel, r.MessageTS, actionID, r.ID, reqOpt{}), reqOpt{})
	return resp.StatusCode
}

// waitFor polls cond for up to d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// request waits for the only request on key id to reach a state, with its
// plan posted (message ts known) when pending.
func (w *world) request(keyID string, states ...chatops.State) chatops.Request {
	w.t.Helper()
	return w.requestWhere(keyID, func(r chatops.Request) bool { return r.KeyID == keyID }, states...)
}

// tokenRequest is request for a token of another kind, by its fingerprint.
func (w *world) tokenRequest(fp string, states ...chatops.State) chatops.Request {
	w.t.Helper()
	return w.requestWhere(fp, func(r chatops.Request) bool { return r.Fingerprint == fp }, states...)
}

func (w *world) requestWhere(what string, match func(chatops.Request) bool, states ...chatops.State) chatops.Request {
	w.t.Helper()
	var got chatops.Request
	waitFor(w.t, 60*time.Second, "request of "+what+" in "+joinStates(states), func() bool {
		for _, r := range w.srv.Requests() {
			if !match(r) {
				continue
			}
			for _, s := range states {
				if r.State == s && (s != chatops.StatePending || r.MessageTS != "") {
					got = r
					return true
				}
			}
		}
		return false
	})
	return got
}

func joinStates(ss []chatops.State) string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s))
	}
	return strings.Join(out, "|")
}

type auditLine struct {
	Event, User, Channel, Decision, Reason, Request, KeyID, Fingerprint, RunID, RunStatus, Verb string
}

func (w *world) audit() []auditLine {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dataDir, "audit.jsonl"))
	if err != nil {
		w.t.Fatal(err)
	}
	var out []auditLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var a struct {
			Event       string `json:"event"`
			User        string `json:"user"`
			Channel     string `json:"channel"`
			Decision    string `json:"decision"`
			Reason      string `json:"reason"`
			Request     string `json:"request"`
			KeyID       string `json:"key_id"`
			Fingerprint string `json:"fingerprint"`
			RunID       string `json:"run_id"`
			RunStatus   string `json:"run_status"`
			Verb        string `json:"verb"`
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			w.t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, auditLine(a))
	}
	return out
}

func (w *world) countAudit(event, reason string) int {
	n := 0
	for _, a := range w.audit() {
		if a.Event == event && (reason == "" || a.Reason == reason) {
			n++
		}
	}
	return n
}

// assertNoLeak checks that secret appears in no Slack call the simulator
// recorded, no Socket Mode ack, the audit log, the data dir, the reports
// and the server's log.
func (w *world) assertNoLeak(secrets ...string) {
	w.t.Helper()
	hay, where := w.outputs()
	for _, s := range secrets {
		for i, h := range hay {
			if bytes.Contains(h, []byte(s)) {
				w.t.Errorf("secret (%d chars) found in %s", len(s), where[i])
			}
		}
	}
}

// outputs is everything keyir serve wrote or said, and where: every Slack
// call the simulator recorded, every Socket Mode ack, the audit log, the
// data dir, the reports and the server's log.
func (w *world) outputs() (hay [][]byte, where []string) {
	for _, c := range w.slack.Calls() {
		hay, where = append(hay, c.Content()), append(where, "slack call "+c.Method)
	}
	for _, a := range w.slack.Acks() {
		hay, where = append(hay, a.Payload), append(where, "socket ack")
	}
	for _, dir := range []string{w.dataDir, w.reports} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				hay, where = append(hay, b), append(where, p)
			}
			return nil
		})
	}
	return append(hay, w.log.Bytes()), append(where, "server log")
}

// modes of files and directories under the data dir.
func checkModes(t testing.TB, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
}

func keyIDOf(key string) string { return strings.Split(key, ".")[1] }
