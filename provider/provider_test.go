package provider_test

import "bytes"
import "context"
import "embed"
import "errors"
import "fmt"
import "hash/crc32"
import "io"
import "io/fs"
import "net"
import "net/http"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"

// SendGrid's scenarios are listed below: package drill links no
// provider itself.
import _ "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// The test-only provider "tiny" is added the way a real one is: one
// registration of its key shape, actions, playbook, simulator and drill
// scenario, and nothing else. Every test below finds it through the same
// entry points the engine and the CLI use.

//go:embed testdata/tiny/*.yaml
var tinyFS embed.FS

// tinyToken makes a Tiny token: tk_, 24 characters, and 4 hex digits of the
// CRC-32 of those 24 (a checksum, as GitHub tokens have).
func tinyToken(body string) string {
	return fmt.Sprintf("tk_%s%04x", body, crc32.ChecksumIEEE([]byte(body))&0xffff)
}

var tinySample = tinyToken("sample0sample0sample0sam")

var tinyKey = &provider.KeyKind{
	Kind:    "tiny-token",
	Human:   "Tiny token",
	Prefix:  "tk_",
	Pattern: `tk_([a-z0-9]{24})([0-9a-f]{4})`,
	Checksum: func(key string) bool {
		body := key[3:27]
		return tinyToken(body) == key
	},
	Revoke:   "Tiny: Settings → Tokens",
	Playbook: "tiny-key-compromise",
	Sample:   tinySample,
}

func init() {
	actions.Register(actions.Info{Name: "tiny.revoke", Summary: "revoke a Tiny token", Mutates: true, Contains: true, New: func() actions.Action { return new(tinyRevoke) }})
	actions.Register(actions.Info{Name: "tiny.confirm", Summary: "prove a Tiny token dead", Contains: true, New: func() actions.Action { return new(tinyConfirm) }})
	sub, err := fs.Sub(tinyFS, "testdata/tiny")
	if err != nil {
		panic(err)
	}
	provider.Register(provider.Provider{
		Name:      "tiny",
		Title:     "Tiny",
		Keys:      []*provider.KeyKind{tinyKey},
		Playbooks: sub,
		Simulators: []provider.Simulator{{
			Name:  "tiny",
			Usage: "serve the simulated Tiny API",
			Flags: []provider.Flag{{Name: "listen", Value: "127.0.0.1:0", Usage: "address (loopback)"}},
			Start: startTiny,
		}},
		Scenarios: []provider.Scenario{{
			Name: "tiny-leak", Description: "a Tiny token leaked", Playbook: "tiny-key-compromise",
			Truth: tinyTruth(report.ContainmentConfirmed, report.ExitDone),
			World: tinyWorldOf(false),
		}, {
			Name: "tiny-sticky", Description: "a Tiny token the API says it revoked, and which keeps working", Playbook: "tiny-key-compromise",
			Truth: tinyTruth(report.ContainmentNotConfirmed, report.ExitNotContained),
			World: tinyWorldOf(true),
		}, {
			Name: "tiny-unbuilt", Description: "a Tiny scenario with no world", Playbook: "tiny-key-compromise",
			Truth: tinyTruth(report.ContainmentConfirmed, report.ExitDone),
		}},
	})
}

type tinyRevoke struct {
	Key string `param:"key,secret" desc:"the leaked token"`
}

func (a *tinyRevoke) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	status, err := tinyCall(ctx, env, http.MethodPost, "/revoke", a.Key)
	if err != nil {
		return nil, err
	}
	if status != http.StatusNoContent {
		return nil, fmt.Errorf("revoke answered %d", status)
	}
	env.Finding(report.Finding{Kind: "tiny-token-revoked", Subject: "tiny", Severity: report.Info, Title: "the Tiny API accepted the revoke"})
	return actions.Outputs{"status": status}, nil
}

type tinyConfirm struct {
	Key string `param:"key,secret" desc:"the leaked token"`
}

func (a *tinyConfirm) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	status, err := tinyCall(ctx, env, http.MethodGet, "/whoami", a.Key)
	if err != nil {
		return nil, err
	}
	if status != http.StatusUnauthorized {
		return nil, fmt.Errorf("the token still authenticates (%d)", status)
	}
	env.Recorder.Containment(report.Containment{Status: report.ContainmentConfirmed, Detail: "the token answered 401", At: env.Now()})
	return actions.Outputs{"status": status}, nil
}

func tinyCall(ctx context.Context, env *actions.Env, method, path, key string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, env.Lookup("TINY_API_URL")+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	return resp.StatusCode, nil
}

// tinySim is the Tiny API: a token authenticates until it is revoked (a
// sticky one answers the revoke and keeps working).
type tinySim struct {
	mu      sync.Mutex
	revoked map[string]bool
	calls   []string
	sticky  bool
}

func (s *tinySim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	switch {
	case !tinyKey.Valid(tok) || s.revoked[tok]:
		w.WriteHeader(http.StatusUnauthorized)
	case r.Method == http.MethodPost && r.URL.Path == "/revoke":
		s.revoked[tok] = !s.sticky
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && r.URL.Path == "/whoami":
		_, _ = io.WriteString(w, `{"user":"tiny"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

var lastSim *tinySim

func startTiny(o provider.SimOptions, out io.Writer) (func(context.Context, io.Writer) error, error) {
	l, err := net.Listen("tcp", o.String("listen"))
	if err != nil {
		return nil, err
	}
	sim := &tinySim{revoked: map[string]bool{}}
	lastSim = sim
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	fmt.Fprintf(out, "TINY_API_URL=http://%s\nLEAKED_TOKEN=%s\n", l.Addr(), tinySample)
	return func(ctx context.Context, _ io.Writer) error { return srv.Shutdown(ctx) }, nil
}

// TestProviderAddedWithoutTouchingTheEngine starts the provider's simulator
// the way `keyir sim tiny` does, resolves its playbook by name and runs it
// live: the token is revoked and proven dead.
func TestProviderAddedWithoutTouchingTheEngine(t *testing.T) {
	sim, ok := provider.LookupSimulator("tiny")
	if !ok || sim.Provider != "tiny" {
		t.Fatalf("simulator tiny not found: %+v", sim)
	}
	var out bytes.Buffer
	stop, err := sim.Start(provider.SimOptions{Values: map[string]string{"listen": "127.0.0.1:0"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background(), io.Discard)
	url := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "TINY_API_URL="); ok {
			url = v
		}
	}
	if url == "" {
		t.Fatalf("the simulator printed no URL: %q", out.String())
	}

	p, ok := provider.Lookup("tiny")
	if !ok || len(p.Actions()) != 2 || p.Actions()[0].Name != "tiny.confirm" || p.Actions()[1].Name != "tiny.revoke" {
		t.Fatalf("provider tiny: %+v, actions %v", p, p.Actions())
	}
	if !slices.Contains(playbook.BuiltinNames(), "tiny-key-compromise") {
		t.Fatalf("built-ins %v lack the provider's playbook", playbook.BuiltinNames())
	}
	pb, err := playbook.Resolve("tiny-key-compromise")
	if err != nil {
		t.Fatal(err)
	}
	if pb.Source != "builtin:tiny-key-compromise" {
		t.Errorf("source %q", pb.Source)
	}
	red := redact.New()
	res, err := playbook.Run(context.Background(), pb, playbook.Options{
		Mode: report.ModeLive, Incident: "INC-TINY", Operator: "test", ReportsRoot: t.TempDir(),
		Given: map[string]string{"key": tinySample}, Redactor: red,
		Getenv: func(k string) string { return map[string]string{"TINY_API_URL": url}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || res.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("exit %d, containment %+v", res.ExitCode, res.Report.Run.Containment)
	}
	if !slices.Equal(lastSim.calls, []string{"POST /revoke", "GET /whoami"}) {
		t.Errorf("the simulator saw %v", lastSim.calls)
	}
}

// TestRegisteredKeyShapes: a registered shape is recognised (kind, human
// name, checksum) and redacted, though the built-in shapes know nothing of
// it.
func TestRegisteredKeyShapes(t *testing.T) {
	r, ok := provider.Identify(" " + tinySample + "\n")
	if !ok || r.Kind != "tiny-token" || r.Provider != "tiny" || !r.ChecksumOK || r.Playbook != "tiny-key-compromise" {
		t.Fatalf("Identify(sample) = %+v, %v", r, ok)
	}
	other := tinyToken("another0another0another0")
	bad := other[:len(other)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", other[len(other)-1])+1)%16])
	if r, ok := provider.Identify(bad); !ok || r.ChecksumOK {
		t.Errorf("a token with a wrong checksum: %+v, %v (want recognised, checksum not ok)", r, ok)
	}
	if _, ok := provider.Identify("tk_short"); ok {
		t.Error("a truncated token identified as whole")
	}
	if !redact.LooksLikeKey("token tk_abcdef12 pasted") {
		t.Error("LooksLikeKey misses a truncated registered shape")
	}
	if name, revoke := redact.KindOf(other); name != "a Tiny token" || revoke != "Tiny: Settings → Tokens" {
		t.Errorf("KindOf = %q, %q", name, revoke)
	}
	// Never registered as a secret: redacted by shape, also inside JSON
	// escapes and base64.
	red := redact.New()
	for _, text := range []string{
		"leaked: " + other + ".",
		`{"t":"` + strings.ReplaceAll(other, "_", `\u005f`) + `"}`,
	} {
		if got := red.String(text); strings.Contains(got, other) || !strings.Contains(got, "[REDACTED:") {
			t.Errorf("not redacted: %q -> %q", text, got)
		}
	}
	if got := red.String("plain tk_ text"); got != "plain tk_ text" {
		t.Errorf("ordinary text changed: %q", got)
	}
}

// TestRegisteredScenarios: the drill lists the provider's scenarios (and
// refuses, plainly, one its provider brings no world for); a provider with no
// doctor is not asked.
func TestRegisteredScenarios(t *testing.T) {
	if !slices.Contains(drill.ScenarioNames(), "tiny-leak") || !slices.Contains(drill.ScenarioNames(), "spam-burst") {
		t.Fatalf("drill scenarios %v", drill.ScenarioNames())
	}
	sc, ok := provider.LookupScenario("tiny-leak")
	if !ok || sc.Provider != "tiny" || sc.Playbook != "tiny-key-compromise" {
		t.Fatalf("%+v %v", sc, ok)
	}
	_, err := drill.Run(context.Background(), drill.Options{Scenario: "tiny-unbuilt", ReportsRoot: t.TempDir()})
	var ue *playbook.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "tiny") || !strings.Contains(err.Error(), "no simulated world") {
		t.Errorf("drill of tiny-unbuilt: %v", err)
	}
	if ds := provider.DoctorsFor([]string{"tiny.revoke", "core.note"}); len(ds) != 0 {
		t.Errorf("doctors for tiny: %v", ds)
	}
	if ds := provider.DoctorsFor([]string{"sendgrid.revoke_key"}); len(ds) != 1 || ds[0].Name != "sendgrid" {
		t.Errorf("doctors for sendgrid: %v", ds)
	}
}
