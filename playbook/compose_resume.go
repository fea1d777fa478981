package playbook

import "fmt"
import "slices"
import "strings"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"

// A composed playbook is neither a built-in nor a file: resume cannot open
// it again by name. It is rebuilt from what run.json recorded of each key
// (its kind, fingerprint and where it was found, never the key): Compose is
// deterministic, so the same parts in the same order give the same bytes,
// which resume then holds to the digest the run started with, as for any
// playbook. The keys themselves are given again by the caller (keyir resume
// --from) under the composed inputs SecretInputs names.

// Recompose rebuilds the playbook of a run of several keys from its
// run.json. It refuses a kind this keyir does not know and a rebuild whose
// digest or steps are not the run's: resuming would run different steps.
func Recompose(run report.Run) (*Playbook, error) {
	if len(run.Keys) == 0 {
		return nil, fmt.Errorf("run %s responds to one key, not several: nothing to recompose", run.ID)
	}
	parts := make([]ComposePart, len(run.Keys))
	for i, k := range run.Keys {
		if k.Label != Label(i) {
			return nil, fmt.Errorf("run %s: key %d is labelled %q, not %s", run.ID, i+1, k.Label, Label(i))
		}
		kind := kindNamed(k.Kind)
		if kind == nil {
			return nil, fmt.Errorf("run %s: %s is a %s (fingerprint %s), a kind this keyir does not know: resume it with the keyir that started it", run.ID, k.Label, k.Kind, k.Fingerprint)
		}
		parts[i] = ComposePart{Kind: kind, Fingerprint: k.Fingerprint, Found: k.Found}
	}
	// The run records the playbook's source, which Compose names NAME.yaml.
	pb, err := Compose(strings.TrimSuffix(run.Playbook, ".yaml"), parts)
	if err != nil {
		return nil, fmt.Errorf("run %s: rebuilding its playbook: %w", run.ID, err)
	}
	if pb.SHA256 != run.PlaybookSHA {
		return nil, fmt.Errorf("run %s: its keys' playbooks changed since the run started (composed sha256 %.12s, now %.12s): resuming would run different steps; respond to the keys again with keyir respond --from", run.ID, run.PlaybookSHA, pb.SHA256)
	}
	for i, k := range pb.Keys {
		if !slices.Equal(k.Steps, run.Keys[i].Steps) {
			return nil, fmt.Errorf("run %s: %s's steps are not the ones run.json records: resuming would run different steps", run.ID, k.Label)
		}
	}
	return pb, nil
}

// kindNamed is the registered key kind named kind, or nil.
func kindNamed(kind string) *provider.KeyKind {
	for _, k := range provider.Kinds() {
		if k.Kind == kind {
			return k
		}
	}
	return nil
}

// keyStopped says whether a composed run ended with a key's critical step
// failed: a run of that key's playbook alone would have stopped there, so
// the run ends as stopped (failed, resumable), not as finished and sealed.
func (e *execution) keyStopped(rep *report.Report) bool {
	if e.pb.composed == nil {
		return false
	}
	return slices.ContainsFunc(rep.Steps, func(s report.Step) bool {
		return s.Status == report.StepFailed && e.pb.composed.critical[s.ID]
	})
}

// resumable is the playbook a run started with: rebuilt for a run of
// several keys, else opened again by name (a built-in or a file).
func resumable(run report.Run) (*Playbook, error) {
	if len(run.Keys) > 0 {
		return Recompose(run)
	}
	return Resolve(run.Playbook)
}

// composedRules are what a resume of a composed run must know beyond the
// steps: in it every step continues on error, so the runner's own rule (a
// failed step that did not stop the run stays failed; a skipped one stays
// skipped) would leave a key whose revoke failed as it was.
type composedRules struct {
	// critical are the steps that would have stopped a run of their key's
	// playbook alone (a batch step when its parts' step would have).
	critical map[string]bool
	// gates are, for each step after a key's critical steps, those steps:
	// it runs only once they completed.
	gates map[string][]string
	// closing are the incident's closing messages, sent last.
	closing []string
	// keyInputs are the inputs that take each key, in the order of Keys.
	keyInputs []string
}

// missingKeys refuses to resume a composed run without every one of its
// keys: a key's input may be optional in its playbook (an id can stand for
// it), but here each step was composed for the key itself.
func (pb *Playbook) missingKeys(given map[string]string) error {
	if pb.composed == nil {
		return nil
	}
	var missing []string
	for i, in := range pb.composed.keyInputs {
		if given[in] == "" {
			k := pb.Keys[i]
			missing = append(missing, fmt.Sprintf("%s (%s %s, input %s)", k.Label, k.Human, k.Fingerprint, in))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the keys of a run of several are never stored: give them again (keyir resume --from the scanner's report); missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// gate records that step id waits for the steps of gate (a batch step
// waits for every part's).
func (r *composedRules) gate(id string, gate []string) {
	for _, g := range gate {
		if !slices.Contains(r.gates[id], g) {
			r.gates[id] = append(r.gates[id], g)
		}
	}
}

// regate applies a composed run's resume rules to what restore read from
// the journal, so a resume does for each key what a resume of its playbook
// alone would: a critical step that failed runs again, and so does every
// step skipped because it waited for one that now runs again (its
// condition is evaluated anew). What completed is not repeated: a batch
// revocation the journal records as done is not sent again, nor is the
// opening message. The closing messages are sent again when anything runs
// again, so the incident's channel hears the outcome the resume reached.
func (e *execution) regate() {
	r := e.pb.composed
	if r == nil {
		return
	}
	index := map[string]int{}
	for i, s := range e.steps {
		index[s.ID] = i
	}
	again := false
	for i, s := range e.steps {
		switch {
		case s.Status == report.StepFailed && r.critical[s.ID]:
			e.done[i] = false
		case s.Status == report.StepSkipped && slices.ContainsFunc(r.gates[s.ID], func(g string) bool { return !e.done[index[g]] }):
			e.done[i] = false
		}
		if !e.done[i] && !slices.Contains(r.closing, s.ID) {
			again = true
		}
	}
	for _, id := range r.closing {
		if again {
			e.done[index[id]] = false
		}
	}
	for i, s := range e.steps {
		if !e.done[i] {
			delete(e.outputs, s.ID)
		}
	}
}
