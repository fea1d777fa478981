// Package provider is the registry of providers: a provider (SendGrid today)
// registers, in one call from its package's init(), everything it brings:
// the shapes of its keys, its built-in playbooks, its simulators, its drill
// scenarios and its doctor check. Its actions register themselves with
// package actions, from the provider's package or packages it imports.
//
// The engine (playbook, drill, chatops, cmd/keyir) learns about providers
// only through this registry, so importing a provider's package is all a
// program needs for its playbooks to load and run, and a provider is added
// without touching the engine.
//
// Registration checks what it can at once and panics on a mistake (as
// actions.Register does): a malformed key shape, a duplicate name, a playbook
// that is not YAML, or a playbook step whose action belongs to another
// namespace and is not registered yet (the provider's package must import the
// package that registers it, so it is registered before the provider's
// init runs). The provider's own actions may register in init functions that
// run after its registration, so they are checked at the first query of the
// registry.
package provider

import "fmt"
import "io/fs"
import "regexp"
import "sort"
import "strings"
import "sync"

import "github.com/keyir/keyir/actions"

// Provider is everything one provider brings.
type Provider struct {
	// Name is the provider's name and its actions' namespace: its actions
	// are named "<Name>.<verb>".
	Name string
	// Title is the provider's name for people ("SendGrid").
	Title string
	// Keys are the kinds of credential it responds to.
	Keys []*KeyKind
	// Playbooks holds its built-in playbooks, one <name>.yaml each at the
	// root (an embed.FS sub-tree of the provider's package). The name inside
	// a file must be the file's name.
	Playbooks fs.FS
	// Simulators are what `keyir sim NAME` can start.
	Simulators []Simulator
	// Scenarios are its drill scenarios.
	Scenarios []Scenario
	// Doctor checks the responder credential; nil when there is nothing to
	// check.
	Doctor *Doctor
	// Eradicator carries out its items of an eradication plan; nil when
	// its runs leave none keyir can remove (see eradicate.go).
	Eradicator *Eradicator
}

// Info is a registered provider as the engine sees it.
type Info struct {
	Provider
	// PlaybookNames lists its built-in playbooks, sorted.
	PlaybookNames []string
	// uses holds what each playbook's steps and inputs are.
	uses map[string]parsed
}

var (
	mu        sync.RWMutex
	providers = map[string]*Info{}
	// playbookOwner maps a built-in playbook's name to its provider.
	playbookOwner = map[string]string{}
	// unverified are providers whose own actions are not checked yet.
	unverified []*Info
)

// Register adds a provider. It panics on a malformed or duplicate
// registration: both are programming errors any test that imports the
// provider's package finds.
func Register(p Provider) {
	info, err := prepare(p)
	if err != nil {
		panic("provider: " + err.Error())
	}
	// Actions of other namespaces come from packages the provider imports,
	// all initialised before it: one missing now stays missing.
	if err := checkActions(info, func(action string) bool { return !strings.HasPrefix(action, p.Name+".") }); err != nil {
		panic("provider: " + err.Error())
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := providers[p.Name]; dup {
		panic("provider: duplicate registration " + p.Name)
	}
	for _, n := range info.PlaybookNames {
		if other, dup := playbookOwner[n]; dup {
			panic(fmt.Sprintf("provider: %s and %s both bring a playbook named %s", other, p.Name, n))
		}
	}
	if err := checkUnique(p); err != nil {
		panic("provider: " + err.Error())
	}
	for _, k := range p.Keys {
		feedRedactor(p, k)
	}
	for _, n := range info.PlaybookNames {
		playbookOwner[n] = p.Name
	}
	providers[p.Name] = info
	unverified = append(unverified, info)
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// prepare checks a provider on its own and reads its playbooks.
func prepare(p Provider) (*Info, error) {
	if !nameRE.MatchString(p.Name) {
		return nil, fmt.Errorf("bad provider name %q (lower case letters, digits, _)", p.Name)
	}
	info := &Info{Provider: p, uses: map[string]parsed{}}
	for _, k := range p.Keys {
		if err := k.compile(); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	if p.Playbooks != nil {
		entries, err := fs.ReadDir(p.Playbooks, ".")
		if err != nil {
			return nil, fmt.Errorf("%s: reading its playbooks: %w", p.Name, err)
		}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".yaml")
			if !ok || e.IsDir() {
				continue
			}
			data, err := fs.ReadFile(p.Playbooks, e.Name())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
			uses, err := parsePlaybook(data)
			if err != nil {
				return nil, fmt.Errorf("%s: playbook %s: %w", p.Name, e.Name(), err)
			}
			info.PlaybookNames = append(info.PlaybookNames, name)
			info.uses[name] = uses
		}
		sort.Strings(info.PlaybookNames)
	}
	for _, s := range p.Simulators {
		if !nameRE.MatchString(s.Name) || s.Start == nil {
			return nil, fmt.Errorf("%s: bad simulator %q", p.Name, s.Name)
		}
	}
	for _, s := range p.Scenarios {
		if s.Name == "" || s.Description == "" {
			return nil, fmt.Errorf("%s: a scenario needs a name and a description", p.Name)
		}
	}
	if p.Doctor != nil && (p.Doctor.Needs == nil || p.Doctor.Check == nil) {
		return nil, fmt.Errorf("%s: a doctor needs Needs and Check", p.Name)
	}
	if err := checkEradicator(info); err != nil {
		return nil, err
	}
	return info, nil
}

// checkUnique refuses a simulator, scenario or key kind another provider
// already registered under the same name. The caller holds mu.
func checkUnique(p Provider) error {
	for _, o := range providers {
		for _, s := range p.Simulators {
			for _, t := range o.Simulators {
				if s.Name == t.Name {
					return fmt.Errorf("%s and %s both bring a simulator named %s", o.Name, p.Name, s.Name)
				}
			}
		}
		for _, s := range p.Scenarios {
			for _, t := range o.Scenarios {
				if s.Name == t.Name {
					return fmt.Errorf("%s and %s both bring a drill scenario named %s", o.Name, p.Name, s.Name)
				}
			}
		}
		for _, k := range p.Keys {
			for _, l := range o.Keys {
				if k.Kind == l.Kind {
					return fmt.Errorf("%s and %s both bring a key kind named %s", o.Name, p.Name, k.Kind)
				}
			}
		}
	}
	return nil
}

// registry returns the registered providers, sorted by name, after checking
// that every action the playbooks of a provider registered since the last
// query name is registered (by then every init function has run).
func registry() []*Info {
	mu.RLock()
	pending := len(unverified) > 0
	mu.RUnlock()
	if pending {
		verify()
	}
	mu.RLock()
	defer mu.RUnlock()
	out := make([]*Info, 0, len(providers))
	for _, p := range providers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// verify checks the providers registered since the last query and panics
// naming every action their playbooks use that nothing registers, and every
// key kind whose response playbook is missing or takes no secret key input.
func verify() {
	mu.Lock()
	defer mu.Unlock()
	var problems []string
	for _, info := range unverified {
		if err := checkActions(info, func(string) bool { return true }); err != nil {
			problems = append(problems, err.Error())
		}
		if err := checkKeyPlaybooks(info); err != nil {
			problems = append(problems, err.Error())
		}
	}
	unverified = nil
	if len(problems) > 0 {
		sort.Strings(problems)
		panic("provider: " + strings.Join(problems, "; "))
	}
}

// All lists the registered providers, sorted by name.
func All() []Info {
	var out []Info
	for _, p := range registry() {
		out = append(out, *p)
	}
	return out
}

// Lookup finds a registered provider by name.
func Lookup(name string) (Info, bool) {
	for _, p := range registry() {
		if p.Name == name {
			return *p, true
		}
	}
	return Info{}, false
}

// Actions lists the provider's registered actions (named "<Name>.<verb>").
func (i Info) Actions() []actions.Info {
	var out []actions.Info
	for _, a := range actions.All() {
		if strings.HasPrefix(a.Name, i.Name+".") {
			out = append(out, a)
		}
	}
	return out
}
