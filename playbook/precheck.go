package playbook

import "errors"
import "fmt"

import "github.com/keyir/keyir/redact"

// checkCriticalSteps decodes, before anything is written or sent, every
// critical step (on_error: stop) whose parameters and condition read
// nothing but inputs: its values are known now, and a value its action
// refuses would stop the run there anyway, after the steps before it had
// acted (a POST sent, then "duration: want at most 10m" on the next step).
// Load cannot do this (the inputs are not known then); a step that reads an
// earlier step's output or .run is left to the run, and so is a
// non-critical one, whose failure does not stop the run.
func checkCriticalSteps(pb *Playbook, inputs map[string]any, red *redact.Redactor) error {
	sc := Scope{Inputs: inputs, Steps: map[string]map[string]any{}, Run: map[string]any{}}
	var errs []error
	for i := range pb.Steps {
		st := &pb.Steps[i]
		if st.OnError == Continue || !knownBeforeRun(st, sc) {
			continue
		}
		if ok, err := st.Cond(sc); err != nil || !ok {
			continue
		}
		if _, err := st.Decode(sc); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// A parameter error may quote a value; secret inputs are registered.
		return fmt.Errorf("%s (nothing was run)", red.String(err.Error()))
	}
	return nil
}

// knownBeforeRun reports whether the step's condition and every parameter
// read only inputs (planValue's rule).
func knownBeforeRun(st *Step, sc Scope) bool {
	if st.If != nil {
		for _, r := range st.If.Refs() {
			if r.Kind != "inputs" {
				return false
			}
		}
	}
	for _, v := range st.With {
		if _, ok := planValue(v, sc); !ok {
			return false
		}
	}
	return true
}
