package playbook_test

import "context"
import "embed"
import "encoding/json"
import "errors"
import "fmt"
import "io/fs"
import "net/http"
import "net/http/httptest"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import _ "github.com/keyir/keyir/actions/notifystep"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// The test-only provider "cmp" has two key kinds: Cmp-A keys, which its
// API revokes many at a time (a batch step), and Cmp-B tokens, one at a
// time. Its simulator is an httptest server the actions reach through
// CMP_API_URL.

//go:embed testdata/compose/*.yaml
var cmpFS embed.FS

var (
	cmpA = &provider.KeyKind{Kind: "cmp-a-key", Human: "Cmp-A key", Prefix: "cmpa_", Pattern: `cmpa_[a-z0-9]{20}`,
		Playbook: "cmpa-compromise", Sample: "cmpa_sample0sample0sample", Batch: "revoke", BatchParam: "keys", BatchMax: 2}
	cmpB = &provider.KeyKind{Kind: "cmp-b-token", Human: "Cmp-B token", Prefix: "cmpb_", Pattern: `cmpb_[a-z0-9]{20}`,
		Playbook: "cmpb-compromise", Input: "token", Sample: "cmpb_sample0sample0sample"}
)

func init() {
	actions.Register(actions.Info{Name: "cmp.identify", Summary: "name a Cmp key", New: func() actions.Action { return new(cmpIdentify) }})
	actions.Register(actions.Info{Name: "cmp.revoke_many", Summary: "revoke Cmp keys", Mutates: true, Contains: true, New: func() actions.Action { return new(cmpRevoke) }})
	actions.Register(actions.Info{Name: "cmp.confirm", Summary: "prove a Cmp key dead", Contains: true, New: func() actions.Action { return new(cmpConfirm) }})
	actions.Register(actions.Info{Name: "cmp.assess", Summary: "assess a Cmp key", New: func() actions.Action { return new(cmpAssess) }})
	sub, err := fs.Sub(cmpFS, "testdata/compose")
	if err != nil {
		panic(err)
	}
	provider.Register(provider.Provider{Name: "cmp", Title: "Cmp", Keys: []*provider.KeyKind{cmpA, cmpB}, Playbooks: sub})
}

type cmpIdentify struct {
	Key string `param:"key,secret" desc:"the key"`
}

func (a *cmpIdentify) Run(context.Context, *actions.Env) (actions.Outputs, error) {
	return actions.Outputs{"id": redact.Fingerprint(a.Key)}, nil
}

type cmpRevoke struct {
	Keys []string `param:"keys,secret" desc:"the keys"`
}

func (a *cmpRevoke) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	status, err := cmpCall(ctx, env, http.MethodPost, "/revoke", strings.Join(a.Keys, ","))
	if errors.Is(err, transport.ErrDryRun) {
		return actions.Outputs{"planned": len(a.Keys)}, nil
	}
	if err == nil && status != http.StatusNoContent {
		err = fmt.Errorf("revoke answered %d", status)
	}
	return actions.Outputs{"revoked": len(a.Keys)}, err
}

type cmpConfirm struct {
	Key string `param:"key,secret" desc:"the key"`
	ID  string `param:"id" desc:"its id"`
}

func (a *cmpConfirm) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	if env.Mode == report.ModeDryRun {
		return actions.Outputs{"status": "dry run"}, nil
	}
	status, err := cmpCall(ctx, env, http.MethodGet, "/whoami", a.Key)
	if err != nil {
		return nil, err
	}
	if status != http.StatusUnauthorized {
		return nil, fmt.Errorf("the key still authenticates (%d)", status)
	}
	env.Recorder.Containment(report.Containment{Status: report.ContainmentConfirmed, Detail: "answered 401", At: env.Now()})
	return actions.Outputs{"status": status}, nil
}

type cmpAssess struct {
	ID string `param:"id" desc:"its id"`
}

func (a *cmpAssess) Run(context.Context, *actions.Env) (actions.Outputs, error) {
	return actions.Outputs{"assessed": a.ID}, nil
}

func cmpCall(ctx context.Context, env *actions.Env, method, path, key string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, env.Lookup("CMP_API_URL")+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// cmpSim revokes keys (comma-separated in one request); refuse names a
// key whose revoke it answers 500.
type cmpSim struct {
	mu      sync.Mutex
	refuse  string
	revoked map[string]bool
	calls   []string
}

func (s *cmpSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := strings.Split(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), ",")
	s.calls = append(s.calls, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, len(keys)))
	switch {
	case r.URL.Path == "/revoke" && slices.Contains(keys, s.refuse):
		w.WriteHeader(http.StatusInternalServerError)
	case r.URL.Path == "/revoke":
		for _, k := range keys {
			s.revoked[k] = true
		}
		w.WriteHeader(http.StatusNoContent)
	case s.revoked[keys[0]]:
		w.WriteHeader(http.StatusUnauthorized)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

var (
	keyA1 = "cmpa_aaaaaaaaaaaaaaaaaaa1"
	keyA2 = "cmpa_aaaaaaaaaaaaaaaaaaa2"
	keyB1 = "cmpb_bbbbbbbbbbbbbbbbbbb1"
	keyA3 = "cmpa_aaaaaaaaaaaaaaaaaaa3"
)

func composeParts(t *testing.T, keys ...string) (*playbook.Playbook, map[string]string) {
	t.Helper()
	var parts []playbook.ComposePart
	given := map[string]string{}
	for i, k := range keys {
		r, ok := provider.Identify(k)
		if !ok {
			t.Fatalf("key %d not identified", i)
		}
		parts = append(parts, playbook.ComposePart{Kind: r.KeyKind, Fingerprint: redact.Fingerprint(k), Found: []string{fmt.Sprintf("f%d.txt:1", i)}})
		given[playbook.KeyInputOf(i, r.KeyKind)] = k
	}
	pb, err := playbook.Compose("respond-test", parts)
	if err != nil {
		t.Fatal(err)
	}
	return pb, given
}

func stepIDs(pb *playbook.Playbook) []string {
	var ids []string
	for _, s := range pb.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestComposeOrdersContainmentFirstAndNamespacesEachKey: every key's steps
// up to its containment, the batch steps (BatchMax keys each) where their
// keys' earlier steps have run, then the assessments, the closing message
// last; each key's inputs are its own, its key a secret input.
func TestComposeOrdersContainmentFirstAndNamespacesEachKey(t *testing.T) {
	pb, _ := composeParts(t, keyA1, keyB1, keyA2, keyA3)
	want := []string{
		"k1-identify", "k1-notify_open", "k2-identify", "k2-revoke", "k2-confirm", "k3-identify", "k4-identify",
		"batch1-revoke", "batch2-revoke",
		"k1-confirm", "k3-confirm", "k4-confirm",
		"k1-assess", "k2-assess", "k3-assess", "k4-assess", "k1-notify_close",
	}
	if got := stepIDs(pb); !slices.Equal(got, want) {
		t.Fatalf("steps\n got %v\nwant %v", got, want)
	}
	if got := pb.SecretInputs(); !slices.Equal(got, []string{"k1_key", "k2_token", "k3_key", "k4_key"}) {
		t.Errorf("secret inputs %v", got)
	}
	if len(pb.Keys) != 4 || !slices.Contains(pb.Keys[2].Steps, "batch1-revoke") || !slices.Contains(pb.Keys[3].Steps, "batch2-revoke") || slices.Contains(pb.Keys[1].Steps, "k1-identify") {
		t.Errorf("keys %+v", pb.Keys)
	}
	for _, s := range pb.Steps {
		if s.OnError != playbook.Continue {
			t.Errorf("%s stops the run: one key's failure would stop the others", s.ID)
		}
	}
}

func runComposed(t *testing.T, sim *cmpSim, mode report.Mode, keys ...string) *playbook.Result {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	pb, given := composeParts(t, keys...)
	res, err := playbook.Run(context.Background(), pb, playbook.Options{
		Mode: mode, Operator: "test", ReportsRoot: t.TempDir(), Given: given,
		Getenv:  func(k string) string { return map[string]string{"CMP_API_URL": srv.URL}[k] },
		Backoff: func(int) time.Duration { return 0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestComposedRunContainsEveryKeyInOneIncident: one run, the batchable keys
// revoked in one request, every key proven dead on its own, each key's
// outcome in the report, exit 0.
func TestComposedRunContainsEveryKeyInOneIncident(t *testing.T) {
	sim := &cmpSim{revoked: map[string]bool{}}
	res := runComposed(t, sim, report.ModeLive, keyA1, keyB1, keyA2)
	if res.ExitCode != 0 || res.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("exit %d, containment %+v", res.ExitCode, res.Report.Run.Containment)
	}
	if !slices.Contains(sim.calls, "POST /revoke 2") || !slices.Contains(sim.calls, "POST /revoke 1") || len(sim.revoked) != 3 {
		t.Errorf("simulator calls %v", sim.calls)
	}
	if len(res.Report.Keys) != 3 {
		t.Fatalf("report keys %+v", res.Report.Keys)
	}
	for _, k := range res.Report.Keys {
		if k.Containment.Status != report.ContainmentConfirmed || k.Containment.TimeToContainment <= 0 || len(k.Found) != 1 {
			t.Errorf("%s: %+v", k.Label, k)
		}
	}
	b, _ := json.Marshal(res.Report)
	for _, k := range []string{keyA1, keyB1, keyA2} {
		if strings.Contains(string(b), k) {
			t.Fatal("a key is in the report")
		}
	}
}

// TestOneKeysFailureLeavesTheOthersContained: the Cmp-B token's revoke
// fails; its later steps are skipped, the other keys are still revoked and
// proven dead, and the run, not contained as a whole, exits 4 naming it.
func TestOneKeysFailureLeavesTheOthersContained(t *testing.T) {
	sim := &cmpSim{revoked: map[string]bool{}, refuse: keyB1}
	res := runComposed(t, sim, report.ModeLive, keyA1, keyB1, keyA2)
	if res.ExitCode != report.ExitNotContained || res.Report.Run.Containment.Status != report.ContainmentNotConfirmed {
		t.Fatalf("exit %d, containment %+v", res.ExitCode, res.Report.Run.Containment)
	}
	if !strings.Contains(res.Report.Run.Containment.Detail, "k2 (Cmp-B token") {
		t.Errorf("the run's containment does not name the key: %q", res.Report.Run.Containment.Detail)
	}
	got := map[string]string{}
	for _, k := range res.Report.Keys {
		got[k.Label] = k.Containment.Status
	}
	if got["k1"] != report.ContainmentConfirmed || got["k3"] != report.ContainmentConfirmed || got["k2"] != report.ContainmentNotConfirmed {
		t.Errorf("per key %v", got)
	}
	status := map[string]report.StepStatus{}
	for _, s := range res.Report.Steps {
		status[s.ID] = s.Status
	}
	if status["k2-revoke"] != report.StepFailed || status["k2-confirm"] != report.StepSkipped || status["k2-assess"] != report.StepSkipped || status["k1-assess"] != report.StepOK || status["k1-notify_close"] != report.StepOK {
		t.Errorf("steps %v", status)
	}
}

// TestComposedDryRunPlansEveryKey: a dry run revokes nothing and every
// key's containment is planned.
func TestComposedDryRunPlansEveryKey(t *testing.T) {
	sim := &cmpSim{revoked: map[string]bool{}}
	res := runComposed(t, sim, report.ModeDryRun, keyA1, keyB1)
	if res.ExitCode != 0 || res.Report.Run.Containment.Status != report.ContainmentPlanned || len(sim.revoked) != 0 {
		t.Fatalf("exit %d, containment %+v, revoked %d", res.ExitCode, res.Report.Run.Containment, len(sim.revoked))
	}
	for _, k := range res.Report.Keys {
		if k.Containment.Status != report.ContainmentPlanned {
			t.Errorf("%s: %+v", k.Label, k.Containment)
		}
	}
}

// TestSecretListParameterTakesWholeInputsOnly: a list parameter declared
// secret (a batch revocation) takes a secret input as a whole item; a
// transformed one is still refused, and so is a list given to a parameter
// that is not a list.
func TestSecretListParameterTakesWholeInputsOnly(t *testing.T) {
	head := "name: t\ninputs:\n  key: {type: string, secret: true}\nsteps:\n  - id: s\n    action: "
	if _, err := playbook.Load("ok.yaml", []byte(head+"cmp.revoke_many\n    with:\n      keys: ['{{ .inputs.key }}']\n")); err != nil {
		t.Fatalf("a whole item refused: %v", err)
	}
	for _, body := range []string{
		"cmp.revoke_many\n    with:\n      keys: ['{{ .inputs.key | trim }}']\n",
		"cmp.revoke_many\n    with:\n      keys: ['x{{ .inputs.key }}']\n",
		"cmp.identify\n    with:\n      key: ['{{ .inputs.key }}']\n",
	} {
		if _, err := playbook.Load("bad.yaml", []byte(head+body)); err == nil || !strings.Contains(err.Error(), "must be the whole value") {
			t.Errorf("%q: %v", body, err)
		}
	}
}
