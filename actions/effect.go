package actions

import "reflect"
import "strings"
import "sync"

// Effect is what one configured step does outside keyir, as far as its
// parameters tell before it runs: whether it changes anything, why that is
// the verdict, and the hosts it sends to. A run's plan (playbook.Plan) is
// made of these, so the dry-run output, the Slack approval message and the
// journal all say the same thing about the same step.
type Effect struct {
	Mutates bool
	Why     string
	Hosts   []string
}

// Effecter is implemented by an action whose effect depends on its
// parameters (core.http: the method decides, the URL names the host). It
// is called on an action configured by Configure, where a parameter known
// only at run time holds its zero value: an Effecter must then answer the
// cautious way (an unknown method is counted as a write).
type Effecter interface {
	Effect() Effect
}

// Unknowing is implemented by an Effecter whose cautious answer depends on
// which parameters are known only at run time, not just on their zero
// values: core.http's headers, empty when unknown, could still turn its GET
// into a write (X-HTTP-Method-Override). Configure tells it which.
type Unknowing interface {
	SetUnknown(params map[string]bool)
}

// EffectOf is the effect of a configured action: its own account when it
// gives one, else the registration's Mutates flag.
func EffectOf(info Info, a Action) Effect {
	if e, ok := a.(Effecter); ok {
		return e.Effect()
	}
	if MutatesWith(info, a) {
		return Effect{Mutates: true, Why: info.Name + " changes the provider"}
	}
	return Effect{Why: info.Name + " changes nothing at a provider"}
}

// Configure builds the action of info for planning, before the run: the
// known parameter values are set where they convert, a parameter in
// pending (a template that reads an earlier step's output) is left at its
// zero value, and every other absent one takes its default. Nothing is
// validated and nothing fails: the run's Decode is the strict check; this
// is what can be said ahead of it.
func Configure(info Info, known map[string]any, pending map[string]bool) Action {
	a := info.New()
	v := structOf(a)
	for _, p := range paramsOf(a) {
		if pending[p.Name] {
			continue
		}
		raw, ok := known[p.Name]
		if !ok || raw == nil {
			if p.Default == "" {
				continue
			}
			raw = p.Default
		}
		if val, err := Convert(p.Type, raw); err == nil {
			v.FieldByIndex(p.field).Set(reflect.ValueOf(val).Convert(v.FieldByIndex(p.field).Type()))
		}
	}
	if u, ok := a.(Unknowing); ok && len(pending) > 0 {
		u.SetUnknown(pending)
	}
	return a
}

// Reach is what every action of one provider may touch: the credentials
// keyir reads for it (environment variables) and the hosts it sends to by
// default. A provider declares it once, not per action.
type Reach struct {
	Credentials []string
	Hosts       []string
}

var (
	reachMu sync.RWMutex
	reaches = map[string]Reach{}
)

// DeclareReach records the reach of the actions named "<prefix>.*".
func DeclareReach(prefix string, r Reach) {
	reachMu.Lock()
	defer reachMu.Unlock()
	reaches[prefix] = r
}

// ReachOf is the declared reach of an action's provider; zero when none.
func ReachOf(action string) Reach {
	prefix, _, _ := strings.Cut(action, ".")
	reachMu.RLock()
	defer reachMu.RUnlock()
	r := reaches[prefix]
	// Copies, in the order declared (the usual host first).
	return Reach{Credentials: append([]string(nil), r.Credentials...), Hosts: append([]string(nil), r.Hosts...)}
}
