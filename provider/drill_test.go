package provider_test

import "context"
import "errors"
import "fmt"
import "io/fs"
import "net/http/httptest"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// tinyWorld is the Tiny provider's drill world: its API on an httptest
// server (loopback) holding one leaked token, made from the instant the world
// is built so a resume rebuilds the same token.
type tinyWorld struct {
	sim   *tinySim
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	attacked int
}

func tinyWorldOf(sticky bool) provider.BuildWorld {
	return func(_ context.Context, built time.Time, _ provider.WorldOptions) (provider.World, error) {
		sim := &tinySim{revoked: map[string]bool{}, sticky: sticky}
		return &tinyWorld{sim: sim, srv: httptest.NewServer(sim), token: tinyToken(fmt.Sprintf("%024d", built.Unix()))}, nil
	}
}

func tinyTruth(containment string, exit int) func(time.Time) provider.Truth {
	return func(time.Time) provider.Truth {
		return provider.Truth{Findings: []provider.Finding{{Kind: "tiny-token-revoked", Subject: "tiny"}}, Containment: containment, ExitCode: exit}
	}
}

func (w *tinyWorld) Env() map[string]string   { return map[string]string{"TINY_API_URL": w.srv.URL} }
func (w *tinyWorld) Given() map[string]string { return map[string]string{"key": w.token} }
func (w *tinyWorld) Secrets() []string        { return []string{w.token} }
func (w *tinyWorld) LeakedKey() string        { return w.token }
func (w *tinyWorld) Attack()                  { w.mu.Lock(); w.attacked++; w.mu.Unlock() }
func (w *tinyWorld) Close() error             { w.srv.Close(); return nil }
func (w *tinyWorld) calls() []string {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	return slices.Clone(w.sim.calls)
}
func (w *tinyWorld) revoked() bool {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	return w.sim.revoked[w.token]
}
func (w *tinyWorld) Replay(steps []report.Step) { w.replay(steps) }

// replay kills the token again when the interrupted run's revoke finished.
func (w *tinyWorld) replay(steps []report.Step) {
	for _, s := range steps {
		if s.ID == "revoke" && s.Status == report.StepOK {
			w.sim.mu.Lock()
			w.sim.revoked[w.token] = !w.sim.sticky
			w.sim.mu.Unlock()
		}
	}
}

func tinyOf(t *testing.T, res *drill.Result) *tinyWorld {
	t.Helper()
	w, ok := res.World.(*tinyWorld)
	if !ok {
		t.Fatalf("the drill ran in a %T, not the Tiny world", res.World)
	}
	return w
}

// TestProviderDrillRunsWithoutTouchingTheEngine: a drill of the test-only
// provider's scenario runs in the world the provider built (its own API on
// loopback, its own token), is scored against the provider's ground truth,
// and is sealed: a caller's TINY_API_URL pointing elsewhere is overridden by
// the world's, and the token is written nowhere.
func TestProviderDrillRunsWithoutTouchingTheEngine(t *testing.T) {
	root := t.TempDir()
	res, err := drill.Run(context.Background(), drill.Options{
		Scenario: "tiny-leak", ReportsRoot: root, Operator: "drill-test", Redactor: redact.New(),
		Env: map[string]string{"TINY_API_URL": "http://192.0.2.1:9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := tinyOf(t, res)
	if !res.Score.Passed() || len(res.Score.Found) != 1 || res.Score.WantContainment != report.ContainmentConfirmed {
		t.Fatalf("score %+v", res.Score)
	}
	if res.Run.ExitCode != report.ExitDone || res.Run.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("exit %d, containment %+v", res.Run.ExitCode, res.Run.Report.Run.Containment)
	}
	if got := w.calls(); !slices.Equal(got, []string{"POST /revoke", "GET /whoami"}) || !w.revoked() || w.attacked != 1 {
		t.Errorf("the world saw %v (revoked %v, attacked %d times)", got, w.revoked(), w.attacked)
	}
	assertTokenNowhere(t, root, w.token)
	if left, _ := filepath.Glob(filepath.Join(root, ".drill-*")); len(left) != 0 {
		t.Errorf("a finished drill left %v", left)
	}
}

// TestProviderDrillScoredAgainstItsTruth: the same playbook in a world whose
// API only pretends to revoke ends exit 4 (not confirmed); the scenario's
// truth says so, and the drill passes only because it does.
func TestProviderDrillScoredAgainstItsTruth(t *testing.T) {
	res, err := drill.Run(context.Background(), drill.Options{Scenario: "tiny-sticky", ReportsRoot: t.TempDir(), Redactor: redact.New()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.ExitCode != report.ExitNotContained || res.Score.Containment != report.ContainmentNotConfirmed {
		t.Fatalf("exit %d, containment %q", res.Run.ExitCode, res.Score.Containment)
	}
	if !res.Score.Passed() || res.Score.WantExit != report.ExitNotContained {
		t.Errorf("score %+v", res.Score)
	}
	if tinyOf(t, res).revoked() {
		t.Error("the sticky world revoked the token")
	}
}

// stopAt cancels the run when a step starts.
type stopAt struct {
	step   string
	cancel context.CancelFunc
}

func (c stopAt) RunStarted(*report.Report, string) {}
func (c stopAt) StepStarted(s report.Step) {
	if s.ID == c.step {
		c.cancel()
	}
}
func (c stopAt) StepProgress(report.Step, string)   {}
func (c stopAt) StepFinished(report.Step)           {}
func (c stopAt) RunFinished(*report.Report, string) {}

// TestProviderDrillResumes: a drill interrupted after its revoke resumes in
// a world rebuilt by the provider, which replays the finished revoke (the
// token stays dead, the revoke is not sent again) so the confirm proves it.
func TestProviderDrillResumes(t *testing.T) {
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := drill.Run(ctx, drill.Options{Scenario: "tiny-leak", ReportsRoot: root, Redactor: redact.New(), Observer: stopAt{"confirm", cancel}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Report.Run.Status != report.RunInterrupted {
		t.Fatalf("run %s, want interrupted", res.Run.Report.Run.Status)
	}
	again, err := drill.Resume(context.Background(), res.Run.Dir, drill.ResumeOptions{Operator: "drill-test", Redactor: redact.New()})
	if err != nil {
		t.Fatal(err)
	}
	if again.Run.ExitCode != report.ExitDone || !again.Score.Passed() {
		t.Fatalf("resumed: exit %d, score %+v", again.Run.ExitCode, again.Score)
	}
	w := tinyOf(t, again)
	if got := w.calls(); !slices.Equal(got, []string{"GET /whoami"}) || w.attacked != 1 {
		t.Errorf("the rebuilt world saw %v (attacked %d times): the finished revoke was not replayed", got, w.attacked)
	}
	if w.token != tinyOf(t, res).token {
		t.Error("the rebuilt world holds another token")
	}
	assertTokenNowhere(t, root, w.token)
}

// TestProviderDrillRefusesWhatItsWorldLacks: a world with no mail sink
// refuses the email channel (its mail could only go to a real provider),
// one that rehearses no eradication refuses --eradicate, and one that cannot
// fail on cue refuses the caller's faults, plainly and before anything is
// written.
func TestProviderDrillRefusesWhatItsWorldLacks(t *testing.T) {
	for name, o := range map[string]drill.Options{
		"mail sink": {Notify: &notify.HubConfig{Channels: map[string]map[string]any{"email": {"to": []string{"oncall@example.com"}}}}},
		"eradicat":  {Eradicate: true},
		"faults":    {Faults: []provider.Fault{{Kind: provider.FaultStatus, Status: 500}}},
	} {
		root := t.TempDir()
		o.Scenario, o.ReportsRoot, o.Redactor = "tiny-leak", root, redact.New()
		_, err := drill.Run(context.Background(), o)
		var ue *playbook.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
		if entries, _ := os.ReadDir(root); len(entries) != 0 {
			t.Errorf("%s: a refused drill wrote %d files", name, len(entries))
		}
	}
}

func assertTokenNowhere(t *testing.T, root, token string) {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		if b, _ := os.ReadFile(p); strings.Contains(string(b), token) || strings.Contains(string(b), token[3:27]) {
			t.Errorf("%s holds the leaked token", p)
		}
		return nil
	})
	if n == 0 {
		t.Error("the drill wrote nothing")
	}
}
