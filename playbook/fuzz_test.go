package playbook

import "errors"
import "os"
import "path/filepath"
import "testing"

// FuzzLoad: whatever the bytes, Load returns a playbook or Problems with
// real positions, and never panics. `keyir validate` runs on files from
// strangers.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*", "*.yaml"))
	builtins, _ := filepath.Glob(filepath.Join("builtin", "*.yaml"))
	for _, file := range append(files, builtins...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\nsteps:\n  - id: a\n    action: core.note\n    with: {text: '{{ index .steps \"a\" }}'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, err := Load("fuzz.yaml", data)
		if err == nil {
			if pb == nil || pb.Name == "" || len(pb.Steps) == 0 {
				t.Fatalf("no error but playbook %+v", pb)
			}
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %T is not Problems: %v", err, err)
		}
		for i, p := range ps {
			if p.Pos.File != "fuzz.yaml" || p.Pos.Line < 1 || p.Pos.Col < 1 || p.Msg == "" {
				t.Fatalf("bad problem %+v", p)
			}
			if i > 0 && (ps[i-1].Pos.Line > p.Pos.Line || ps[i-1].Pos.Line == p.Pos.Line && ps[i-1].Pos.Col > p.Pos.Col) {
				t.Fatalf("problems out of order: %v", ps)
			}
		}
	})
}
