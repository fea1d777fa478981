package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/redact"
	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/runstore"
	"github.com/keyir/keyir/safefile"
	"github.com/keyir/keyir/sim/sendgridsim"
)

// record is what a drill writes beside its run directory so a resume can
// rebuild the very simulator the run started against: the scenario and the
// instant it was built at (a scenario is deterministic given both).
type record struct {
	Version  int       `json:"version"`
	Scenario string    `json:"scenario"`
	Built    time.Time `json:"built"`
	RunID    string    `json:"run_id"`
}

const maxRecord = 64 << 10

func writeRecord(path string, r record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteAtomic(path, append(b, '\n'), 0o600)
}

func readRecord(path string) (record, error) {
	var r record
	b, err := safefile.ReadFile(path, maxRecord)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// IsDrill reports whether dir holds a drill's run (run.json says mode drill).
func IsDrill(dir string) (bool, error) {
	b, err := safefile.ReadFile(filepath.Join(dir, runstore.RunFile), 1<<20)
	if err != nil {
		return false, err
	}
	var run report.Run
	if err := json.Unmarshal(b, &run); err != nil {
		return false, fmt.Errorf("%s: %w", runstore.RunFile, err)
	}
	return run.Mode == report.ModeDrill, nil
}

// ResumeOptions configure Resume; the fields mean what they do in Options.
type ResumeOptions struct {
	Operator  string
	Version   string
	Observer  playbook.Observer
	Redactor  *redact.Redactor
	Now       func() time.Time
	SimConfig func(*sendgridsim.Config)
}

// Resume continues an interrupted or failed drill. It never reads the process
// environment or any credential: it rebuilds the scenario's simulator as the
// drill built it (same scenario and instant, then the attack and the faults),
// replays into it what the run did to SendGrid (a revoke the journal records
// as done), and resumes the run against it with the drill's own environment.
// Without the drill's record (written beside the run directory at its start)
// it refuses with a usage error: nothing else could stand in for the
// simulator the run began with.
func Resume(ctx context.Context, dir string, o ResumeOptions) (*Result, error) {
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rep, err := runstore.Load(dir)
	if err != nil {
		return nil, err
	}
	if rep.Run.Mode != report.ModeDrill {
		return nil, &playbook.UsageError{Err: fmt.Errorf("%s is not a drill's run (mode %s)", dir, rep.Run.Mode)}
	}
	root := filepath.Dir(filepath.Clean(dir))
	recPath, basePath := recordPaths(root, rep.Run.ID)
	rec, err := readRecord(recPath)
	if err != nil {
		return nil, &playbook.UsageError{Err: fmt.Errorf("cannot resume drill run %s: its record %s is unreadable (%v); the simulator it ran against cannot be rebuilt, so start a new drill", rep.Run.ID, recPath, err)}
	}
	sc, ok := sendgridsim.LookupScenario(rec.Scenario)
	if !ok || rec.RunID != rep.Run.ID {
		return nil, &playbook.UsageError{Err: fmt.Errorf("cannot resume drill run %s: its record names scenario %q and run %q, which this keyir cannot rebuild; start a new drill", rep.Run.ID, rec.Scenario, rec.RunID)}
	}
	w, err := start(sc, rec.Built, Options{Redactor: o.Redactor, SimConfig: o.SimConfig})
	if err != nil {
		return nil, err
	}
	defer w.close()
	// The baseline was taken before the attack; a resume whose baseline file
	// is gone takes it again, from the same pre-attack state.
	if _, err := os.Lstat(basePath); errors.Is(err, fs.ErrNotExist) {
		if err := w.saveBaseline(ctx, o.Redactor, basePath); err != nil {
			return nil, fmt.Errorf("saving the scenario's baseline again: %w", err)
		}
	}
	w.attack()
	w.replay(rep)

	given := map[string]string{}
	if !w.fx.IDOnly {
		given["key"] = w.fx.LeakedKey
	}
	res, err := playbook.Resume(ctx, dir, playbook.Options{
		Given:    given,
		Redactor: o.Redactor,
		Getenv:   w.getenv,
		Observer: o.Observer,
		Operator: o.Operator,
		Version:  o.Version,
		Now:      o.Now,
		Backoff:  drillBackoff,
	})
	if err != nil {
		return nil, err
	}
	return w.finish(ctx, res, nil, recPath, basePath), nil
}

// replay makes the rebuilt simulator what the interrupted run left: the
// leaked key revoked when the revoke step finished. A revoke that started but
// did not finish is left undone: the resumed revoke sends it again, which
// the simulator answers as SendGrid would either way.
func (w *world) replay(rep *report.Report) {
	for _, s := range rep.Steps {
		if s.ID == "revoke" && s.Status == report.StepOK {
			at := s.Started.Add(s.Duration)
			if s.Started.IsZero() {
				at = time.Now()
			}
			w.fx.State.RevokeKey(w.fx.LeakedKeyID, at)
		}
	}
}
