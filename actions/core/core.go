// Package core holds keyir's provider-neutral actions: core.note, core.wait
// and core.http. They let a playbook explain itself, pause for an API to
// settle, and revoke a credential of a provider keyir has no package for.
package core

import "context"
import "fmt"
import "time"

import "github.com/keyir/keyir/actions"

func init() {
	actions.Register(actions.Info{
		Name:    "core.note",
		Summary: "Add a note to the run's report",
		New:     func() actions.Action { return new(Note) },
	})
	actions.Register(actions.Info{
		Name:    "core.wait",
		Summary: "Wait for a while (at most 10m), e.g. for a revocation to propagate",
		New:     func() actions.Action { return new(Wait) },
	})
	actions.Register(actions.Info{
		Name:    "core.http",
		Summary: "Send one HTTP request, e.g. to revoke a credential of another provider",
		// Mutates unless the method is GET or HEAD; see HTTP.Mutates.
		Mutates: true,
		Outputs: []actions.Output{
			{Name: "status", Type: actions.TypeInt, Description: "HTTP status code"},
			{Name: "body", Type: actions.TypeString, Description: "response body, redacted, at most 4 KiB"},
			actions.PlannedOutput,
		},
		New: func() actions.Action { return new(HTTP) },
	})
}

// Note adds free text to the report: who decided what, and why, is evidence
// too.
type Note struct {
	Text string `param:"text,required" desc:"the note; templates may name inputs and earlier outputs"`
}

// Run records the note. Notes pass through the recorder, which redacts them.
func (n *Note) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	env.Recorder.Note(n.Text)
	return nil, nil
}

// MaxWait bounds core.wait: a longer pause in the middle of a containment is
// a mistake, and a responder can always run the rest later with resume.
const MaxWait = 10 * time.Minute

// Wait pauses the run.
type Wait struct {
	Duration time.Duration `param:"duration,required" desc:"how long to wait, at most 10m"`
}

// Validate bounds the wait.
func (w *Wait) Validate() error {
	if w.Duration <= 0 || w.Duration > MaxWait {
		return &actions.ParamError{Param: "duration", Msg: fmt.Sprintf("want more than 0 and at most %s, got %s", MaxWait, w.Duration)}
	}
	return nil
}

// Run waits, returning early (with the context's error) when the run is
// interrupted, so SIGINT never waits out a long pause.
func (w *Wait) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	env.Recorder.Progress(fmt.Sprintf("waiting %s", w.Duration))
	t := time.NewTimer(w.Duration)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, nil
	}
}

var (
	_ actions.Action    = (*Note)(nil)
	_ actions.Action    = (*Wait)(nil)
	_ actions.Validator = (*Wait)(nil)
)
