package provider

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keyir/keyir/actions"
)

// stepActions reads the action names a playbook's steps use. The playbook
// package loads and validates the whole file; this only learns, at
// registration, which actions the provider must have linked. Built-in
// playbooks are the provider's own embedded files, not hostile input.
func stepActions(data []byte) ([]string, error) {
	var doc struct {
		Steps []struct {
			Action string `yaml:"action"`
		} `yaml:"steps"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range doc.Steps {
		if s.Action != "" && !seen[s.Action] {
			seen[s.Action] = true
			out = append(out, s.Action)
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkActions reports every action a provider's playbooks use that no
// linked package registers, among those include selects.
func checkActions(info *Info, include func(action string) bool) error {
	var missing []string
	for _, name := range info.PlaybookNames {
		for _, a := range info.uses[name] {
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
