package playbook

import "context"
import "fmt"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// Resume continues a run after its last completed step, with the same run id,
// inputs and journal. Steps that finished are not repeated (their outputs are
// restored from the journal); a step that was in flight, interrupted, or that
// failed critically runs again. given supplies secret inputs, which are never
// stored; the playbook must be byte-identical to the one the run started with.
//
// Nothing is written before runstore.Open has checked the directory: a sealed
// run is refused (*runstore.SealedError), and a journal, run.json or evidence
// file that is not as the journal recorded it refuses the resume
// (*runstore.TamperError) rather than sealing the change into a new MANIFEST.
func Resume(ctx context.Context, dir string, o Options) (*Result, error) {
	o = o.withDefaults()
	st, err := runstore.Open(dir)
	if err != nil {
		return nil, err
	}
	// A failure below leaves the directory as it was, journal closed.
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
	st.Now = o.Now
	run := st.Run()
	pb, err := resumable(run)
	if err != nil {
		return nil, fmt.Errorf("resume %s: %w", dir, err)
	}
	if pb.SHA256 != run.PlaybookSHA {
		return nil, fmt.Errorf("resume %s: playbook %s changed since the run started (sha256 %.12s, now %.12s): resuming would run different steps", dir, run.Playbook, run.PlaybookSHA, pb.SHA256)
	}
	pb.RegisterShapes(o.Redactor)
	given := map[string]string{}
	for k, v := range run.Inputs {
		given[k] = v
	}
	for _, name := range pb.SecretInputs() {
		if v, ok := o.Given[name]; ok {
			given[name] = v
			o.Redactor.Add(v)
		}
	}
	inputs, err := pb.ResolveInputs(given)
	if err == nil {
		err = pb.missingKeys(given)
	}
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("resume %s: %w (secret inputs are never stored: give them again)", dir, err)}
	}
	events, _, err := runstore.ReadJournal(dir)
	if err != nil {
		return nil, err
	}
	o.Mode, o.Incident, o.RunID = run.Mode, run.Incident, run.ID
	e := &execution{pb: pb, o: o, st: st, inputs: inputs, outputs: map[string]map[string]any{}}
	e.steps = NewPlan(pb, inputs).ReportSteps()
	e.restore(events)
	e.regate()
	if err := st.UpdateRun(func(r *report.Run) { r.Resumes++; r.Status = report.RunRunning; r.Finished = time.Time{} }); err != nil {
		return nil, err
	}
	run = st.Run()
	if err := st.Resumed(&run); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	ok = true
	return e.execute(ctx)
}
