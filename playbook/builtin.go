package playbook

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	// The built-in playbooks use the provider-neutral actions, so loading
	// them must not depend on what else the binary happens to import.
	_ "github.com/keyir/keyir/actions/core"
)

// builtinFS holds the playbooks shipped in the binary, one file per playbook,
// named <name>.yaml. Adding a file is all it takes to ship one: Builtins and
// its test pick it up.
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinPrefix marks a built-in playbook in Playbook.Source (and so in
// run.json), so a resumed run finds the same playbook again.
const BuiltinPrefix = "builtin:"

// BuiltinNames lists the built-in playbooks, sorted.
func BuiltinNames() []string {
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Builtin loads a built-in playbook by name. It is loaded (and validated)
// on each call rather than once at start-up, because validation needs every
// action registered, and provider packages register theirs from init().
func Builtin(name string) (*Playbook, error) {
	name = strings.TrimPrefix(name, BuiltinPrefix)
	if !slices.Contains(BuiltinNames(), name) {
		return nil, fmt.Errorf("no built-in playbook named %q (built-ins: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	file := path.Join("builtin", name+".yaml")
	data, err := builtinFS.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pb, err := Load(file, data)
	if err != nil {
		return nil, fmt.Errorf("built-in playbook %s is invalid:\n%w", name, err)
	}
	pb.Source = BuiltinPrefix + name
	return pb, nil
}

// Builtins loads every built-in playbook, sorted by name. One that does not
// load is left out; the package's tests load each and fail on any problem,
// so that never reaches a release.
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
