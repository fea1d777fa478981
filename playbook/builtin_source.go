package playbook

import "fmt"
import "strings"

import "github.com/keyir/keyir/provider"

// BuiltinSource is a built-in playbook's YAML as shipped, so a responder can
// start their own from it (`keyir playbooks show NAME > mine.yaml`).
func BuiltinSource(name string) ([]byte, error) {
	name = strings.TrimPrefix(name, BuiltinPrefix)
	data, _, _, err := provider.Playbook(name)
	if err != nil {
		return nil, fmt.Errorf("no built-in playbook named %q%s (built-ins: %s)", name, suggest(name, BuiltinNames()), strings.Join(BuiltinNames(), ", "))
	}
	return data, nil
}
