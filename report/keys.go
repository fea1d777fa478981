package report

import "fmt"
import "slices"
import "strings"

// A run may respond to several keys at once (keyir respond --from): run.json
// then lists them (Run.Keys), each with the steps that are its own, and the
// report gives each key's containment. The run is contained only when every
// key is: its containment is the worst of theirs, so the exit code comes
// from the one table as for a single key.

// KeyRef is one key of a run that responds to several: named by kind and
// fingerprint (never the key), with where it was found and its steps.
type KeyRef struct {
	// Label is the key's name in the run ("k1"); its steps are "k1-…".
	Label       string   `json:"label"`
	Kind        string   `json:"kind"`
	Human       string   `json:"human"`
	Fingerprint string   `json:"fingerprint"`
	Found       []string `json:"found,omitempty"`
	// Steps are the ids of the steps that act for this key, a step shared
	// by several keys (a batch revocation) included.
	Steps []string `json:"steps"`
}

// KeyOutcome is one key's containment in the report.
type KeyOutcome struct {
	KeyRef
	Containment Containment `json:"containment"`
}

// keyContainment records a containment event for the keys whose step
// recorded it, and returns whether the event was one key's (a run of
// several keys has no run-wide containment event).
func keyContainment(rep *Report, e Event) bool {
	if len(rep.Keys) == 0 || e.Containment == nil {
		return false
	}
	for i := range rep.Keys {
		if slices.Contains(rep.Keys[i].Steps, e.Step) {
			rep.Keys[i].Containment = reached(*e.Containment, e, rep.Run.Started)
		}
	}
	return true
}

// keysFromRun starts the report's per-key outcomes from run.json's keys.
func keysFromRun(run Run) []KeyOutcome {
	var out []KeyOutcome
	for _, k := range run.Keys {
		out = append(out, KeyOutcome{KeyRef: k})
	}
	return out
}

// decideKeys settles each key's containment as Outcome settles a single
// key's, and returns the run's: the worst of them (not confirmed or not
// found first), confirmed only when every key is, its time the longest.
func decideKeys(rep *Report, contains bool) Containment {
	var run Containment
	worst := -1
	rank := map[string]int{ContainmentNotConfirmed: 5, ContainmentNotFound: 4, ContainmentPlanned: 3, ContainmentRevokedUnproven: 2, ContainmentConfirmed: 1, "": 0}
	for i := range rep.Keys {
		k := &rep.Keys[i]
		k.Containment = decide(k.Containment, rep.Run.Mode, contains)
		if r := rank[k.Containment.Status]; r > worst {
			worst = r
			run = k.Containment
			run.Detail = fmt.Sprintf("%s (%s %s): %s", k.Label, k.Human, k.Fingerprint, k.Containment.Detail)
		}
	}
	if run.Status == ContainmentConfirmed {
		var longest Containment
		for _, k := range rep.Keys {
			if k.Containment.TimeToContainment >= longest.TimeToContainment {
				longest = k.Containment
			}
		}
		run.TimeToContainment, run.At = longest.TimeToContainment, longest.At
		run.Detail = fmt.Sprintf("every one of the %d keys proven dead (the last after %s)", len(rep.Keys), FormatDuration(longest.TimeToContainment))
	}
	return run
}

// KeysLine is one line per key for a summary: "k1 SendGrid API key
// 1a2b3c4d → confirmed (found at …)".
func KeysLine(k KeyOutcome) string {
	s := fmt.Sprintf("%s  %s %s → %s", k.Label, k.Human, k.Fingerprint, ContainmentLabel(k.Containment.Status))
	if k.Containment.Status == ContainmentConfirmed && k.Containment.TimeToContainment > 0 {
		s += " in " + FormatDuration(k.Containment.TimeToContainment)
	}
	if len(k.Found) > 0 {
		s += " — found at " + strings.Join(k.Found, "; ")
	}
	return s
}

// settleKeys gives each key, once the run has ended, the containment
// Outcome decided for it (the run's own containment is already the
// aggregate the runner journaled).
func settleKeys(rep *Report) {
	if len(rep.Keys) > 0 {
		decideKeys(rep, true)
	}
}

// ActsFor reports whether step acts for the key of fingerprint: in a run of
// one key (no Keys) every step does; in a run of several, the steps that
// key lists. For outputs that do not name their key (a step journaled
// before it output its fingerprint).
func (r *Report) ActsFor(step, fingerprint string) bool {
	if len(r.Keys) == 0 {
		return true
	}
	for _, k := range r.Keys {
		if k.Fingerprint == fingerprint && slices.Contains(k.Steps, step) {
			return true
		}
	}
	return false
}

// SameKey reports whether steps a and b act for one key: always in a run
// of one key; in a run of several, when one key lists both.
func (r *Report) SameKey(a, b string) bool {
	if len(r.Keys) == 0 {
		return true
	}
	for _, k := range r.Keys {
		if slices.Contains(k.Steps, a) && slices.Contains(k.Steps, b) {
			return true
		}
	}
	return false
}
