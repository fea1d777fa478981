package prove

import "context"
import "fmt"
import "io"
import "net/http"
import "net/http/httptest"
import "strings"
import "sync"
import "testing/fstest"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"

// The test-only provider "probe" is registered the way a real one is (its
// actions, its playbook, a drill scenario with a world that can fail on
// cue) and nothing in the matrix names it: TestFaultMatrixEveryPlaybook
// finds it through the registry, as it will the GitHub and Slack providers.

const probePlaybook = `name: probe-key-compromise
description: Revoke a leaked Probe token and prove it dead (a test-only provider).
inputs:
  key:
    type: string
    secret: true
    required: true
    description: the leaked Probe token
steps:
  - id: notify_open
    action: notify.all
    on_error: continue
    timeout: 30s
    with:
      event: opened
  - id: revoke
    action: probe.revoke
    on_error: stop
    retries: 2
    timeout: 2s
    with:
      key: "{{ .inputs.key }}"
  - id: confirm
    action: probe.confirm
    on_error: stop
    retries: 2
    timeout: 2s
    with:
      key: "{{ .inputs.key }}"
  - id: notify_close
    action: notify.all
    on_error: continue
    timeout: 30s
    with:
      event: closed
`

func init() {
	actions.Register(actions.Info{Name: "probe.revoke", Summary: "revoke a Probe token", Mutates: true, Contains: true, New: func() actions.Action { return new(probeRevoke) }})
	actions.Register(actions.Info{Name: "probe.confirm", Summary: "prove a Probe token dead", Contains: true, New: func() actions.Action { return new(probeConfirm) }})
	provider.Register(provider.Provider{
		Name:      "probe",
		Title:     "Probe",
		Playbooks: fstest.MapFS{"probe-key-compromise.yaml": {Data: []byte(probePlaybook)}},
		Scenarios: []provider.Scenario{{
			Name: "probe-leak", Description: "a Probe token leaked", Playbook: "probe-key-compromise",
			Truth: func(time.Time) provider.Truth {
				return provider.Truth{Containment: report.ContainmentConfirmed, ExitCode: report.ExitDone}
			},
			World: newProbeWorld,
		}},
	})
}

type probeRevoke struct {
	Key string `param:"key,secret" desc:"the leaked token"`
}

func (a *probeRevoke) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	status, err := probeCall(ctx, env, http.MethodPost, "/api/revoke", a.Key)
	if err != nil {
		return nil, err
	}
	if status != http.StatusNoContent {
		return nil, fmt.Errorf("revoke answered %d", status)
	}
	return actions.Outputs{"status": status}, nil
}

type probeConfirm struct {
	Key string `param:"key,secret" desc:"the leaked token"`
}

func (a *probeConfirm) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	status, err := probeCall(ctx, env, http.MethodGet, "/api/whoami", a.Key)
	if err != nil {
		return nil, err
	}
	if status != http.StatusUnauthorized {
		return nil, fmt.Errorf("the token still authenticates (%d)", status)
	}
	env.Recorder.Containment(report.Containment{Status: report.ContainmentConfirmed, Detail: "the token answered 401", At: env.Now()})
	return actions.Outputs{"status": status}, nil
}

func probeCall(ctx context.Context, env *actions.Env, method, path, key string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, env.Lookup("PROBE_API_URL")+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10)); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// probeWorld is the Probe API (a token works until revoked) behind the
// same fault injector the matrix puts in front of Slack.
type probeWorld struct {
	mu      sync.Mutex
	token   string
	revoked bool
	faults  *slackFaults
	srv     *httptest.Server
}

func newProbeWorld(_ context.Context, built time.Time, _ provider.WorldOptions) (provider.World, error) {
	w := &probeWorld{token: fmt.Sprintf("probe-token-%d", built.UnixNano())}
	w.faults = &slackFaults{next: http.HandlerFunc(w.serve), release: make(chan struct{})}
	w.srv = httptest.NewServer(w.faults)
	return w, nil
}

func (w *probeWorld) serve(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case tok != w.token || w.revoked:
		rw.WriteHeader(http.StatusUnauthorized)
	case r.Method == http.MethodPost && r.URL.Path == "/api/revoke":
		w.revoked = true
		rw.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && r.URL.Path == "/api/whoami":
		_, _ = io.WriteString(rw, `{"user":"probe"}`)
	default:
		rw.WriteHeader(http.StatusNotFound)
	}
}

func (w *probeWorld) Env() map[string]string   { return map[string]string{"PROBE_API_URL": w.srv.URL} }
func (w *probeWorld) Given() map[string]string { return map[string]string{"key": w.token} }
func (w *probeWorld) Secrets() []string        { return []string{w.token} }
func (w *probeWorld) LeakedKey() string        { return w.token }
func (w *probeWorld) Attack()                  {}
func (w *probeWorld) Close() error             { w.faults.close(); w.srv.Close(); return nil }
func (w *probeWorld) LeakedKeyLive() bool      { w.mu.Lock(); defer w.mu.Unlock(); return !w.revoked }
func (w *probeWorld) ClearFaults()             { w.faults.clear() }

func (w *probeWorld) Replay(steps []report.Step) {
	for _, s := range steps {
		if s.ID == "revoke" && s.Status == report.StepOK {
			w.mu.Lock()
			w.revoked = true
			w.mu.Unlock()
		}
	}
}

// InjectFault supports the kinds the Slack injector knows (status, timeout,
// reset, truncate), on every request.
func (w *probeWorld) InjectFault(f provider.Fault) {
	n := f.Times
	if n == 0 {
		n = -1
	}
	w.faults.set(string(f.Kind), f.Status, n)
}
