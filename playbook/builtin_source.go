package playbook

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// BuiltinSource is a built-in playbook's YAML as shipped, so a responder can
// start their own from it (`keyir playbooks show NAME > mine.yaml`).
func BuiltinSource(name string) ([]byte, error) {
	name = strings.TrimPrefix(name, BuiltinPrefix)
	if !slices.Contains(BuiltinNames(), name) {
		return nil, fmt.Errorf("no built-in playbook named %q%s (built-ins: %s)", name, suggest(name, BuiltinNames()), strings.Join(BuiltinNames(), ", "))
	}
	return builtinFS.ReadFile(path.Join("builtin", name+".yaml"))
}
