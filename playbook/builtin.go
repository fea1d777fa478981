package playbook

import "embed"
import "errors"
import "fmt"
import "io/fs"
import "slices"
import "strings"

// The engine's own built-in playbook uses the provider-neutral actions.
import _ "github.com/keyir/keyir/actions/core"
import "github.com/keyir/keyir/provider"

// builtinFS holds the engine's own built-in playbooks (generic-key-revoke),
// registered as provider "core". A provider's playbooks live in its own
// package and reach the engine through the provider registry only.
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

func init() {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		panic(err)
	}
	provider.Register(provider.Provider{Name: "core", Title: "keyir", Playbooks: sub})
}

// BuiltinPrefix marks a built-in playbook in Playbook.Source (and so in
// run.json), so a resumed run finds the same playbook again.
const BuiltinPrefix = "builtin:"

// BuiltinNames lists the built-in playbooks of every registered provider,
// sorted.
func BuiltinNames() []string { return provider.PlaybookNames() }

// Builtin loads a built-in playbook by name. It is loaded (and validated)
// on each call rather than once at start-up, because validation needs every
// action registered, and provider packages register theirs from init().
func Builtin(name string) (*Playbook, error) {
	name = strings.TrimPrefix(name, BuiltinPrefix)
	data, file, _, err := provider.Playbook(name)
	if err != nil {
		return nil, fmt.Errorf("no built-in playbook named %q (built-ins: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	pb, err := Load(file, data)
	if err != nil {
		return nil, fmt.Errorf("built-in playbook %s is invalid:\n%w", name, err)
	}
	pb.Source = BuiltinPrefix + name
	return pb, nil
}

// Builtins loads every built-in playbook, sorted by name. One that does not
// load is left out; the registry refuses a provider whose playbooks name an
// action nothing registers, and each provider's tests load its playbooks, so
// that never reaches a release.
func Builtins() []*Playbook {
	var out []*Playbook
	for _, name := range BuiltinNames() {
		if pb, err := Builtin(name); err == nil {
			out = append(out, pb)
		}
	}
	return out
}

// Resolve finds the playbook a command's PLAYBOOK argument names: a built-in
// name (or the "builtin:<name>" recorded in run.json), else a file path.
func Resolve(arg string) (*Playbook, error) {
	if name, ok := strings.CutPrefix(arg, BuiltinPrefix); ok {
		return Builtin(name)
	}
	if slices.Contains(BuiltinNames(), arg) {
		return Builtin(arg)
	}
	pb, err := LoadFile(arg)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no built-in playbook named %q and no file %s (built-ins: %s)", arg, arg, strings.Join(BuiltinNames(), ", "))
	}
	return pb, err
}
