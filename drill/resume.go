package drill

import "context"
import "encoding/json"
import "fmt"
import "net/http"
import "path/filepath"
import "time"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/safefile"

// record is what a drill writes beside its run directory so a resume can
// rebuild the very world the run started against: the scenario, the instant
// it was built at (a scenario is deterministic given both) and what the
// drill asked of the world (a mail sink, an eradicator's credential: both
// change the account the baseline saw).
type record struct {
	Version   int       `json:"version"`
	Scenario  string    `json:"scenario"`
	Built     time.Time `json:"built"`
	RunID     string    `json:"run_id"`
	Mail      bool      `json:"mail,omitempty"`
	Eradicate bool      `json:"eradicate,omitempty"`
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
	Operator   string
	Version    string
	Observer   playbook.Observer
	Redactor   *redact.Redactor
	Now        func() time.Time
	OnResponse func(r *http.Request, status int, h http.Header, body []byte)
}

// Resume continues an interrupted or failed drill. It never reads the process
// environment or any credential: it rebuilds the scenario's world as the
// drill built it (same scenario and instant, then the attack and the faults),
// replays into it what the run did (provider.World.Replay: a revoke the
// journal records as done), and resumes the run against it with the world's
// own environment. Without the drill's record (written beside the run
// directory at its start) it refuses with a usage error: nothing else could
// stand in for the world the run began with.
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
	sc, err := lookup(rec.Scenario)
	if err != nil || rec.RunID != rep.Run.ID {
		return nil, &playbook.UsageError{Err: fmt.Errorf("cannot resume drill run %s: its record names scenario %q and run %q, which this keyir cannot rebuild; start a new drill", rep.Run.ID, rec.Scenario, rec.RunID)}
	}
	w, err := start(ctx, sc, rec.Built, nil, o.Redactor, provider.WorldOptions{Mail: rec.Mail, Eradicate: rec.Eradicate, OnResponse: o.OnResponse})
	if err != nil {
		return nil, err
	}
	defer w.close()
	// The baseline was taken before the attack; a resume whose baseline file
	// is gone takes it again, from the same pre-attack state.
	given, err := w.baseline(ctx, basePath, false)
	if err != nil {
		return nil, err
	}
	w.world.Attack()
	w.world.Replay(rep.Steps)

	res, err := playbook.Resume(ctx, dir, playbook.Options{
		Given:    given, // only its secret inputs are taken
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
