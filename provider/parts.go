package provider

import "context"
import "io"
import "slices"
import "sort"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"

// Simulator is a simulated provider API that `keyir sim NAME` serves
// standalone, for rehearsals with a responder's own tools.
type Simulator struct {
	Name  string // keyir sim NAME
	Usage string
	// Flags are its options, all strings (--listen, --scenario …).
	Flags []Flag
	// Start serves the simulator on loopback and writes to out the lines a
	// responder's shell needs (NAME=value: its URL, its made-up responder
	// and leaked keys; printing them is the point, so out is not redacted).
	// An error is the operator's (a bad address, an unknown scenario). stop
	// ends it and writes to out whatever it shows at the end.
	Start func(o SimOptions, out io.Writer) (stop func(ctx context.Context, out io.Writer) error, err error)
	// Provider is filled in by Register.
	Provider string
}

// Flag is one option of a simulator.
type Flag struct {
	Name   string // without dashes
	Value  string // default
	EnvVar string // environment variable that sets it, or ""
	Usage  string
}

// SimOptions are the values a simulator was started with.
type SimOptions struct {
	Values map[string]string
	// Set names the options the operator gave (not defaults).
	Set map[string]bool
}

// String is an option's value.
func (o SimOptions) String(name string) string { return o.Values[name] }

// IsSet reports whether the operator gave the option.
func (o SimOptions) IsSet(name string) bool { return o.Set[name] }

// Scenario is a drill scenario: a simulated incident with its ground truth.
type Scenario struct {
	Name        string
	Description string
	// Playbook is the built-in playbook the drill rehearses.
	Playbook string
	// Truth is the scenario's ground truth when built at the given instant:
	// what a correct run finds and how it ends. The drill scores against it.
	Truth func(built time.Time) Truth
	// World builds the simulated world the drill runs in (see World); a
	// scenario without one is listed, and a drill of it refused plainly.
	World BuildWorld
	// Provider is filled in by Register.
	Provider string
}

// Truth is what a correct run of a scenario reports.
type Truth struct {
	Findings []Finding
	// Containment is the containment status a correct run reports
	// ("confirmed", "revoked_unproven" …), ExitCode its exit code.
	Containment string
	ExitCode    int
}

// Finding is one finding the ground truth expects: its kind and, where it
// matters, its subject.
type Finding struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject,omitempty"`
}

// Doctor checks that the responder credential of a provider can do what a
// playbook's steps need, and no more.
type Doctor struct {
	// Credential names it for people ("the responder key (SENDGRID_API_KEY)").
	Credential string
	// Needs lists the permissions the named actions need, sorted.
	Needs func(actionNames []string) []string
	// Check reads the credential's permissions and compares them with
	// needed.
	Check func(ctx context.Context, env *actions.Env, needed []string) (missing, excess []string, err error)
	// Notes are lines worth printing for the named actions; may be nil.
	Notes func(actionNames []string) []string
	// Optional: a run goes on without the credential (its assessment
	// steps say "not assessable"), so doctor reports on it as a line of
	// its own, a missing one as a warning, and checks it also when asked
	// about no playbook in particular.
	Optional bool
}

// NeedsOf is a Doctor's Needs from a table of the permissions each action
// needs: those of the named actions, sorted, each once (unknown names add
// nothing).
func NeedsOf(perAction map[string][]string) func(actionNames []string) []string {
	return func(actionNames []string) []string {
		var out []string
		for _, n := range actionNames {
			for _, s := range perAction[n] {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
		sort.Strings(out)
		return out
	}
}

// DoctorWarning is what an optional Doctor's Check returns for what a run
// can go without (its credential not set, a token whose permissions the
// provider does not list): doctor prints Detail as a warning, not a
// failure. It may come with the missing and excess permissions of another
// credential it did check.
type DoctorWarning struct{ Detail string }

func (w *DoctorWarning) Error() string { return w.Detail }

// Simulators lists every registered simulator, sorted by name.
func Simulators() []Simulator {
	out := collect(func(p *Info) []Simulator { return p.Simulators }, func(s *Simulator, name string) { s.Provider = name })
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupSimulator finds a simulator by name.
func LookupSimulator(name string) (Simulator, bool) {
	return named(Simulators(), func(s Simulator) string { return s.Name }, name)
}

// Scenarios lists every registered drill scenario, by provider, then in the
// order the provider registered them (its own order tells a story).
func Scenarios() []Scenario {
	return collect(func(p *Info) []Scenario { return p.Scenarios }, func(s *Scenario, name string) { s.Provider = name })
}

// LookupScenario finds a drill scenario by name.
func LookupScenario(name string) (Scenario, bool) {
	return named(Scenarios(), func(s Scenario) string { return s.Name }, name)
}

// collect gathers one kind of part (simulators, scenarios) of every
// provider, each copy told which provider brought it: the one walk over the
// registry the part listings share.
func collect[T any](parts func(*Info) []T, setProvider func(part *T, provider string)) []T {
	var out []T
	for _, p := range registry() {
		for _, part := range parts(p) {
			setProvider(&part, p.Name)
			out = append(out, part)
		}
	}
	return out
}

// named finds the part called name in a listing; the zero part and false
// when there is none.
func named[T any](all []T, nameOf func(T) string, name string) (T, bool) {
	for _, part := range all {
		if nameOf(part) == name {
			return part, true
		}
	}
	var zero T
	return zero, false
}

// DoctorsFor lists the providers with a doctor whose actions the named
// actions include (an action "sendgrid.revoke_key" is provider sendgrid's).
func DoctorsFor(actionNames []string) []Info {
	var out []Info
	for _, p := range registry() {
		if p.Doctor == nil {
			continue
		}
		for _, a := range actionNames {
			if strings.HasPrefix(a, p.Name+".") {
				out = append(out, *p)
				break
			}
		}
	}
	return out
}
