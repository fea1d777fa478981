package runstore

import "fmt"
import "path/filepath"
import "strings"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// trackedFiles are the files besides run.json and the evidence that a step
// may write whole into the run directory. Each write is tracked like
// run.json: the next journal event records its size and SHA-256, so a resume
// checks it and MANIFEST seals it.
var trackedFiles = map[string]bool{report.PlanFile: true}

// WriteTracked replaces one of the tracked files (report.PlanFile) atomically and
// notes its SHA-256 for the next journal event. The caller journals an event
// right after: a crash between the two leaves a file the journal does not
// vouch for, and the resume refuses it (fail closed), as for run.json.
func (s *Store) WriteTracked(name string, data []byte) error {
	if !trackedFiles[name] {
		return fmt.Errorf("refusing to write %q: not a file a step may write (%s)", name, strings.Join(trackedNames(), ", "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return fmt.Errorf("run is finished: %s cannot change", name)
	}
	if err := safefile.WriteAtomic(filepath.Join(s.dir, name), data, FilePerm); err != nil {
		return err
	}
	s.track(name).setWhole(data)
	return nil
}

func trackedNames() []string {
	out := make([]string, 0, len(trackedFiles))
	for n := range trackedFiles {
		out = append(out, n)
	}
	return out
}
