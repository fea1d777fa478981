package playbook_test

import "context"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

// commitProbe sees, for each step of TestReadOnlyStepsDoNotWaitForTheCommit,
// whether its action ran and whether the observers had heard of its start.
type commitProbe struct {
	mu      sync.Mutex
	calls   []string
	started map[string]bool
	ran     map[string]chan struct{}
	early   map[string]bool // the action ran before the observers heard of its start
}

var probe *commitProbe

func (p *commitProbe) ranCh(step string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ran[step] == nil {
		p.ran[step] = make(chan struct{})
	}
	return p.ran[step]
}

type probeAction struct{ reads bool }

func (a *probeAction) Run(_ context.Context, env *actions.Env) (actions.Outputs, error) {
	probe.mu.Lock()
	probe.early[env.Step] = !probe.started[env.Step]
	probe.mu.Unlock()
	close(probe.ranCh(env.Step))
	return actions.Outputs{}, nil
}

func (a *probeAction) OnlyReads() bool { return a.reads }

func init() {
	actions.Register(actions.Info{Name: "probe.read", Summary: "reads (test)", New: func() actions.Action { return &probeAction{reads: true} }})
	actions.Register(actions.Info{Name: "probe.act", Summary: "acts (test)", New: func() actions.Action { return &probeAction{} }})
	actions.Register(actions.Info{Name: "probe.change", Summary: "changes something outside keyir (test)", Mutates: true, New: func() actions.Action { return &probeAction{} }})
}

// slowObserver holds StepStarted of the step named wait until that step's
// action has run (at most 3 s): with the old runner, which told the
// observers before a step acted, the action could not run meanwhile.
type slowObserver struct{ wait, also string }

func (o slowObserver) RunStarted(*report.Report, string) {}
func (o slowObserver) StepStarted(s report.Step) {
	if s.ID == o.wait || (o.also != "" && s.ID == o.also) {
		select {
		case <-probe.ranCh(s.ID):
		case <-time.After(3 * time.Second):
			probe.mu.Lock()
			probe.calls = append(probe.calls, "timeout "+s.ID)
			probe.mu.Unlock()
		}
	}
	probe.mu.Lock()
	defer probe.mu.Unlock()
	probe.started[s.ID] = true
	probe.calls = append(probe.calls, "started "+s.ID)
}
func (o slowObserver) StepProgress(report.Step, string) {}
func (o slowObserver) StepFinished(s report.Step) {
	probe.mu.Lock()
	defer probe.mu.Unlock()
	probe.calls = append(probe.calls, "finished "+s.ID)
}
func (o slowObserver) RunFinished(*report.Report, string) {}

// TestReadOnlyStepsDoNotWaitForTheCommit: a step that only reads, after
// steps that only read, acts while the group commit of its start runs (the
// observer holding the commit's announcement back until the action ran does
// not stop it); a step that acts, and a read-only step after it, act only
// once the observers have heard of their start, i.e. after the commit; a
// step that changes something acts after its commit too, but a read-only
// step after it does not wait (the change's events are synced as recorded:
// only its end line is pending). The observers hear of every step in order
// either way.
func TestReadOnlyStepsDoNotWaitForTheCommit(t *testing.T) {
	probe = &commitProbe{started: map[string]bool{}, ran: map[string]chan struct{}{}, early: map[string]bool{}}
	pb := load(t, header+`
steps:
  - id: r1
    action: probe.read
  - id: r2
    action: probe.read
  - id: a
    action: probe.act
  - id: r3
    action: probe.read
  - id: c
    action: probe.change
  - id: r4
    action: probe.read
`)
	o := opts(t, "http://127.0.0.1:1")
	o.Observer = slowObserver{wait: "r2", also: "r4"}
	res, err := playbook.Run(context.Background(), pb, o)
	if err != nil || res.ExitCode != report.ExitDone {
		t.Fatalf("run: %v %+v", err, res)
	}
	want := "started r1,finished r1,started r2,finished r2,started a,finished a,started r3,finished r3,started c,finished c,started r4,finished r4"
	if got := strings.Join(probe.calls, ","); got != want {
		t.Errorf("observer calls %v, want %s", probe.calls, want)
	}
	if !probe.early["r2"] {
		t.Errorf("r2 (only reads, after a step that only read) did not act before its start was announced")
	}
	if probe.early["a"] || probe.early["r3"] || probe.early["c"] {
		t.Errorf("a step acted before its start was durable and announced: a %v, r3 (after a step that told) %v, c (changes) %v", probe.early["a"], probe.early["r3"], probe.early["c"])
	}
	if !probe.early["r4"] {
		t.Errorf("r4 (only reads, after a step that changed something and synced its events) waited for the commit")
	}
}

// actHook records StepActing and StepActed with whether the probe's action
// had run by then.
type actHook struct {
	slowObserver
	seen []string
}

func (h *actHook) StepActing(s report.Step) {
	h.seen = append(h.seen, "acting "+s.ID+ranMark(s.ID))
}
func (h *actHook) StepActed(s report.Step) {
	h.seen = append(h.seen, "acted "+s.ID+ranMark(s.ID))
}

func ranMark(step string) string {
	select {
	case <-probe.ranCh(step):
		return " (ran)"
	default:
		return ""
	}
}

// TestActObserverBracketsTheAction: a playbook.ActObserver hears of every
// step right before its action runs and right after, on the runner's
// goroutine, even a read-only step that acts before its start is announced
// (the fault matrix injects a step's fault there).
func TestActObserverBracketsTheAction(t *testing.T) {
	probe = &commitProbe{started: map[string]bool{}, ran: map[string]chan struct{}{}, early: map[string]bool{}}
	pb := load(t, header+`
steps:
  - id: r1
    action: probe.read
  - id: c
    action: probe.change
  - id: r2
    action: probe.read
`)
	o := opts(t, "http://127.0.0.1:1")
	h := &actHook{slowObserver: slowObserver{wait: "r2"}}
	o.Observer = playbook.Observers{h}
	if res, err := playbook.Run(context.Background(), pb, o); err != nil || res.ExitCode != report.ExitDone {
		t.Fatalf("run: %v %+v", err, res)
	}
	want := "acting r1,acted r1 (ran),acting c,acted c (ran),acting r2,acted r2 (ran)"
	if got := strings.Join(h.seen, ","); got != want {
		t.Errorf("act observer heard %s, want %s", got, want)
	}
	if !probe.early["r2"] {
		t.Errorf("r2 waited for its announcement: the act observer must be told without it")
	}
}
