package playbook_test

import "context"
import "errors"
import "strings"
import "testing"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

// tellAction tells through its recorder's AfterCommit (as notify "opened"
// does); changeAction changes something. Both note in probe.calls when they
// act, and tellAction when it tells.
type tellAction struct{}

func (*tellAction) TellsAfterCommit() bool { return true }

func (*tellAction) Run(_ context.Context, env *actions.Env) (actions.Outputs, error) {
	ac, ok := env.Recorder.(interface{ AfterCommit(func()) })
	if !ok {
		return nil, errors.New("the recorder cannot run anything after the commit")
	}
	note("acted " + env.Step)
	close(probe.ranCh(env.Step))
	ac.AfterCommit(func() { note("told " + env.Step) })
	return actions.Outputs{}, nil
}

type changeAction struct{}

func (*changeAction) Run(_ context.Context, env *actions.Env) (actions.Outputs, error) {
	note("acted " + env.Step)
	return actions.Outputs{}, nil
}

func note(s string) {
	probe.mu.Lock()
	defer probe.mu.Unlock()
	probe.calls = append(probe.calls, s)
}

func init() {
	actions.Register(actions.Info{Name: "probe.tell", Summary: "tells after the commit (test)", New: func() actions.Action { return &tellAction{} }})
	actions.Register(actions.Info{Name: "probe.change_noted", Summary: "changes something (test)", Mutates: true, New: func() actions.Action { return &changeAction{} }})
}

// TestTellAfterCommitNeedsNoCommitOfItsOwn: a step that tells only through
// AfterCommit acts at once, without waiting for a commit (the observer that
// holds t1's announcement until t1 acted does not stop it: with a commit
// before acting it would wait 3 s); what it tells waits for the next commit
// and runs right after that commit's announcements, before the next step
// acts — for two such steps in a row, in order, and for the last step at the
// run's end. So the revocation after a notification waits for one commit,
// and nobody is told before the journal holds everything before the telling.
func TestTellAfterCommitNeedsNoCommitOfItsOwn(t *testing.T) {
	probe = &commitProbe{started: map[string]bool{}, ran: map[string]chan struct{}{}, early: map[string]bool{}}
	pb := load(t, header+`
steps:
  - id: t1
    action: probe.tell
  - id: t2
    action: probe.tell
  - id: c
    action: probe.change_noted
  - id: t3
    action: probe.tell
`)
	o := opts(t, "http://127.0.0.1:1")
	o.Observer = slowObserver{wait: "t1"}
	res, err := playbook.Run(context.Background(), pb, o)
	if err != nil || res.ExitCode != report.ExitDone {
		t.Fatalf("run: %v %+v", err, res)
	}
	want := "acted t1,acted t2,started t1,told t1,finished t1,started t2,told t2,finished t2,started c,acted c,acted t3,finished c,started t3,told t3,finished t3"
	if got := strings.Join(probe.calls, ","); got != want {
		t.Errorf("calls\n %s\nwant\n %s", got, want)
	}
}
