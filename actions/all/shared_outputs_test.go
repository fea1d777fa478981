package all

import "testing"

import "github.com/keyir/keyir/actions"

// TestSharedOutputsDeclaredOnce: an output that several providers' actions
// return with one meaning is the one declaration in package actions
// wherever it appears, so `keyir actions` describes it alike for every
// provider and later steps read one vocabulary. (Not checked here: a
// "fingerprint" or "planned" that says more of itself, such as
// sendgrid.identify_key's of a key known by id only, or the eradication
// steps' count of planned removals.)
func TestSharedOutputsDeclaredOnce(t *testing.T) {
	shared := map[string]actions.Output{}
	for _, o := range []actions.Output{actions.AssessedOutput, actions.HumanOutput} {
		shared[o.Name] = o
	}
	seen := map[string]int{}
	for _, info := range actions.All() {
		for _, o := range info.Outputs {
			want, ok := shared[o.Name]
			if !ok {
				continue
			}
			seen[o.Name]++
			if o != want {
				t.Errorf("%s: output %q is %+v, want the shared %+v", info.Name, o.Name, o, want)
			}
		}
	}
	for name := range shared {
		if seen[name] < 2 {
			t.Errorf("output %q is returned by %d actions: not shared", name, seen[name])
		}
	}
}
