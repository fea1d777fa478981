package provider

import "fmt"
import "io/fs"
import "sort"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/yamlsafe"

// parsed is what the registry learns from a playbook at registration: the
// actions its steps use and its secret inputs. The playbook package loads
// and validates the whole file; this reads it under the same YAML policy.
type parsed struct {
	actions []string
	secrets map[string]bool
}

func parsePlaybook(data []byte) (parsed, error) {
	var doc struct {
		Inputs map[string]struct {
			Secret bool `yaml:"secret"`
		} `yaml:"inputs"`
		Steps []struct {
			Action string `yaml:"action"`
		} `yaml:"steps"`
	}
	top, yerr := yamlsafe.Parse(data, yamlsafe.Doc{Name: "playbook", Want: "name, inputs and steps"})
	if yerr != nil {
		return parsed{}, yerr
	}
	if err := top.Decode(&doc); err != nil {
		return parsed{}, err
	}
	p := parsed{secrets: map[string]bool{}}
	seen := map[string]bool{}
	for _, s := range doc.Steps {
		if s.Action != "" && !seen[s.Action] {
			seen[s.Action] = true
			p.actions = append(p.actions, s.Action)
		}
	}
	sort.Strings(p.actions)
	for name, in := range doc.Inputs {
		if in.Secret {
			p.secrets[name] = true
		}
	}
	return p, nil
}

// checkActions reports every action a provider's playbooks use that no
// linked package registers, among those include selects.
func checkActions(info *Info, include func(action string) bool) error {
	var missing []string
	for _, name := range info.PlaybookNames {
		for _, a := range info.uses[name].actions {
			if _, ok := actions.Lookup(a); !ok && include(a) {
				missing = append(missing, fmt.Sprintf("%s (playbook %s)", a, name))
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("provider %s: its playbooks use actions no linked package registers: %s; the provider's package must import the packages that register them",
		info.Name, strings.Join(missing, ", "))
}

// PlaybookNames lists every registered provider's built-in playbooks,
// sorted.
func PlaybookNames() []string {
	var out []string
	for _, p := range registry() {
		out = append(out, p.PlaybookNames...)
	}
	sort.Strings(out)
	return out
}

// Playbook returns a built-in playbook's YAML as shipped, the path it is
// known by in messages (<provider>/<name>.yaml) and the provider that brings
// it.
func Playbook(name string) (data []byte, file, owner string, err error) {
	registry()
	mu.RLock()
	owner, ok := playbookOwner[name]
	info := providers[owner]
	mu.RUnlock()
	if !ok {
		return nil, "", "", fmt.Errorf("no built-in playbook named %q", name)
	}
	data, err = fs.ReadFile(info.Playbooks, name+".yaml")
	if err != nil {
		return nil, "", "", err
	}
	return data, owner + "/" + name + ".yaml", owner, nil
}

// checkKeyPlaybooks reports a key kind whose response playbook is not
// registered or takes no secret input by the kind's KeyInput. The caller
// holds mu.
func checkKeyPlaybooks(info *Info) error {
	var bad []string
	for _, k := range info.Keys {
		if k.Playbook == "" {
			continue
		}
		owner, ok := playbookOwner[k.Playbook]
		if !ok {
			bad = append(bad, fmt.Sprintf("key kind %s: no playbook %s is registered", k.Kind, k.Playbook))
			continue
		}
		if !providers[owner].uses[k.Playbook].secrets[k.KeyInput()] {
			bad = append(bad, fmt.Sprintf("key kind %s: playbook %s has no secret input %q for the key", k.Kind, k.Playbook, k.KeyInput()))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("provider %s: %s", info.Name, strings.Join(bad, "; "))
}
