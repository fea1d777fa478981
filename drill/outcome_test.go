package drill_test

import "context"
import "slices"
import "sync"
import "testing"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// closedSink keeps the Closed events a run's hub delivered.
type closedSink struct {
	mu     sync.Mutex
	closed []notify.Event
}

func (s *closedSink) Notify(_ context.Context, ev notify.Event) error {
	if ev.Kind == notify.Closed {
		s.mu.Lock()
		s.closed = append(s.closed, ev)
		s.mu.Unlock()
	}
	return nil
}

// A test-only channel: its configuration carries the sink to fill.
func init() {
	notify.RegisterChannel(notify.Channel{Name: "outcome-capture", New: func(cfg map[string]any, _ notify.ChannelOptions) (notify.Notifier, error) {
		return cfg["sink"].(*closedSink), nil
	}})
}

// The closing notification (the playbook's notify_close step, which runs
// while the run is still going) and the runner (at the end, from the same
// journal) decide the outcome by one rule: what the channel is told is
// what the report says and what keyir exits with. They once disagreed: an
// id-only revoke was announced as "not confirmed, exit 4" and exited 0.
func TestClosingNotificationAgreesWithTheRunner(t *testing.T) {
	type tc struct {
		name, scenario string
		faults         []provider.Fault
	}
	var cases []tc
	for _, sc := range sendgridsim.Scenarios() {
		cases = append(cases, tc{name: sc.Name, scenario: sc.Name})
	}
	// A non-critical step that fails: the run ends degraded (exit 3).
	cases = append(cases, tc{name: "stats-down", scenario: "spam-burst",
		faults: []provider.Fault{{Method: "GET", Route: "GET /v3/stats", Kind: provider.FaultStatus, Status: 500}}})
	seen := map[int]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &closedSink{}
			res, err := drill.Run(context.Background(), drill.Options{
				Scenario: c.scenario, ReportsRoot: t.TempDir(), Operator: "drill-test",
				Redactor: redact.New(), Faults: c.faults,
				Notify: &notify.HubConfig{Retry: fast, Channels: map[string]map[string]any{"outcome-capture": {"sink": sink}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			sink.mu.Lock()
			closed := slices.Clone(sink.closed)
			sink.mu.Unlock()
			if len(closed) != 1 {
				t.Fatalf("%d closed events, want 1", len(closed))
			}
			ev, rep := closed[0], res.Run.Report
			// The step's event lists itself as running (it is being sent);
			// the hub's own fallback (a run that never reached its closing
			// step) comes after the run, where no step is running.
			if !slices.ContainsFunc(ev.Steps, func(s report.Step) bool { return s.ID == "notify_close" && s.Status == report.StepRunning }) {
				t.Fatal("the closed event did not come from the notify_close step")
			}
			if ev.Containment.Status != rep.Run.Containment.Status || ev.Status != rep.Run.Status || ev.ExitCode != res.Run.ExitCode {
				t.Errorf("notified %s / %s / exit %d; the run ended %s / %s / exit %d",
					ev.Containment.Status, ev.Status, ev.ExitCode, rep.Run.Containment.Status, rep.Run.Status, res.Run.ExitCode)
			}
			seen[res.Run.ExitCode] = true
		})
	}
	// The cases must reach more than one verdict, or agreement proves little.
	if !seen[report.ExitDone] || !seen[report.ExitDegraded] {
		t.Errorf("exit codes reached %v: want both 0 and 3 among the cases", seen)
	}
}
