// Package actions is keyir's action registry. An action is a named unit a
// playbook step runs (sendgrid.revoke_key, core.http, notify.slack …). Like a
// caddy module it is registered from init() with a constructor; the exported
// fields of its struct are its parameters, decoded strictly and then validated
// before anything in the run executes. Unlike caddy, every action says whether
// it mutates anything, so dry runs and `keyir actions` can tell.
package actions

import "context"
import "fmt"
import "reflect"
import "sort"
import "strings"
import "sync"

// Action runs one step. Its exported, `param`-tagged fields hold the step's
// decoded parameters.
type Action interface {
	Run(ctx context.Context, env *Env) (Outputs, error)
}

// Validator is implemented by actions whose parameters need checks beyond
// their types. Validate runs before the run starts when the parameters are
// literal, and again after templating.
type Validator interface {
	Validate() error
}

// Mutator is implemented by actions whose mutation depends on their
// parameters (core.http mutates unless its method is GET or HEAD).
type Mutator interface {
	Mutates() bool
}

// Outputs are a step's results, available to later steps' templates as
// .steps.<id>.<name> and recorded in the journal and report. They must be
// JSON-encodable and hold no secret.
type Outputs map[string]any

// Output documents one output of an action.
type Output struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// Info describes a registered action.
type Info struct {
	Name    string `json:"name"` // provider.verb, e.g. "sendgrid.revoke_key"
	Summary string `json:"summary"`
	// Mutates says whether the action changes anything outside keyir. An
	// action that also implements Mutator refines this per step.
	Mutates bool `json:"mutates"`
	// Contains marks a containment action (revoke, confirm): a live run whose
	// containment actions did not all succeed ends "containment not
	// confirmed" (exit code 4), because the key may still be live.
	Contains bool `json:"containment,omitempty"`
	// Outputs lists what the action returns.
	Outputs []Output `json:"outputs,omitempty"`
	// New returns a zero action whose fields receive the parameters.
	New func() Action `json:"-"`
}

// Params describes the action's parameters, read from its struct tags.
func (i Info) Params() []Param { return paramsOf(i.New()) }

var (
	mu       sync.RWMutex
	registry = map[string]Info{}
)

// Register adds actions. A provider's package declares each action's Info
// beside its type and registers them all in one call from its provider.go,
// so one place lists everything the provider brings. It panics on a
// malformed or duplicate registration: both are programming errors found by
// any test that imports the package.
func Register(infos ...Info) {
	for _, info := range infos {
		register(info)
	}
}

func register(info Info) {
	if info.Name == "" || !strings.Contains(info.Name, ".") || info.New == nil {
		panic(fmt.Sprintf("actions: bad registration %q", info.Name))
	}
	paramsOf(info.New()) // panics on a malformed parameter struct
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("actions: duplicate registration " + info.Name)
	}
	registry[info.Name] = info
}

// Lookup finds a registered action.
func Lookup(name string) (Info, bool) {
	mu.RLock()
	defer mu.RUnlock()
	i, ok := registry[name]
	return i, ok
}

// All lists every registered action by name.
func All() []Info {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Info, 0, len(registry))
	for _, i := range registry {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Names lists every registered action name, sorted; used for "did you mean".
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.Name
	}
	return out
}

// MutatesWith reports whether an action configured as a mutates.
func MutatesWith(info Info, a Action) bool {
	if m, ok := a.(Mutator); ok {
		return m.Mutates()
	}
	return info.Mutates
}

// assert that a pointer to a struct is what New returns.
func structOf(a Action) reflect.Value {
	v := reflect.ValueOf(a)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("actions: %T is not a pointer to a struct", a))
	}
	return v.Elem()
}

// ensure the interface is satisfied by a typical action at compile time in
// each provider package: var _ actions.Action = (*Revoke)(nil)
var _ = reflect.TypeOf((*Action)(nil)).Elem()
