package audit_test

import "context"
import "encoding/json"
import "io"
import "math/rand/v2"
import "net/http"
import "os"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// Every request these tests send the simulator must be one the official spec declares.
func TestMain(m *testing.M) { os.Exit(contract.RunMain(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// rig is a simulated account, its responder key, and a setup key that builds conditions
// through the API and is deleted (through the API) before the audit.
type rig struct {
	t         *testing.T
	fx        *sendgridsim.AuditFixture
	srv       *sendgridsim.Server
	base      string
	euBase    string // "" in env(): the audit is not told the EU host
	clk       *clock
	responder string
	setup     sendgridsim.Key
	red       *redact.Redactor
	hc        *http.Client
}

func newRig(t *testing.T, scenario string, tweak ...func(*sendgridsim.Config)) *rig {
	t.Helper()
	sc, ok := sendgridsim.LookupAuditScenario(scenario)
	if !ok {
		t.Fatalf("no scenario %s", scenario)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	fx := sc.Build(clk.Now())
	fx.Config.Now = clk.Now
	for _, f := range tweak {
		f(&fx.Config)
	}
	contract.Observe(t, &fx.Config)
	setup := sendgridsim.NewKey(rand.New(rand.NewPCG(99, 99)), "test-setup", sendgridsim.FullAccessScopes())
	fx.State.AddKey(setup)
	srv := sendgridsim.New(fx.State, fx.Config)
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hosts.Shutdown(ctx)
	})
	return &rig{t: t, fx: fx, srv: srv, base: hosts.URL, euBase: hosts.EUURL, clk: clk, responder: fx.ResponderKey, setup: setup, red: redact.New(), hc: &http.Client{Timeout: 10 * time.Second}}
}

// call sends one request with the setup key and fails the test on an unexpected status.
func (r *rig) call(method, path, body string, want int) []byte {
	r.t.Helper()
	return r.callAs(r.setup.Token(), method, path, body, want)
}

func (r *rig) callAs(token, method, path, body string, want int, hdr ...string) []byte {
	r.t.Helper()
	return r.callHost(r.base, token, method, path, body, want, hdr...)
}

func (r *rig) callHost(base, token, method, path, body string, want int, hdr ...string) []byte {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		r.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return b
}

// createKey creates a key through the API and returns its id.
func (r *rig) createKey(name string, scopes ...string) string {
	r.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "scopes": scopes})
	var k struct {
		ID string `json:"api_key_id"`
	}
	_ = json.Unmarshal(r.call("POST", "/v3/api_keys", string(body), 201), &k)
	return k.ID
}

// dropSetup deletes the setup key with the responder's api_keys.delete.
func (r *rig) dropSetup() {
	r.t.Helper()
	r.callAs(r.responder, "DELETE", "/v3/api_keys/"+r.setup.ID, "", 204)
}

func (r *rig) env() *actions.Env {
	env := actions.StandaloneEnv("audit", func(k string) string {
		switch k {
		case "SENDGRID_API_URL":
			return r.base
		case "SENDGRID_API_KEY":
			return r.responder
		case "SENDGRID_API_URL_EU":
			return r.euBase
		}
		return ""
	}, nil, r.red, http.DefaultTransport)
	env.Now = r.clk.Now
	return env
}

// audit drops the setup key, reads and runs every check.
func (r *rig) audit(o audit.Options) []audit.Result {
	r.t.Helper()
	r.dropSetup()
	s, err := audit.Read(context.Background(), r.env(), o)
	if err != nil {
		r.t.Fatalf("audit: %v", err)
	}
	return audit.Run(s)
}

func ids(rs []audit.Result, st audit.Status) []string {
	var out []string
	for _, r := range rs {
		if r.Status == st && !slices.Contains(out, r.ID) {
			out = append(out, r.ID)
		}
	}
	slices.Sort(out)
	return out
}

func subjects(rs []audit.Result, id string) []string {
	var out []string
	for _, r := range rs {
		if r.ID == id && r.Status == audit.Fail {
			out = append(out, r.Subject)
		}
	}
	return out
}
