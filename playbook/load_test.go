package playbook

import "errors"
import "flag"
import "fmt"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

var update = flag.Bool("update", false, "rewrite testdata/playbooks/bad/*.want from the current output")

const testdata = "../testdata/playbooks"

// TestLoadBad loads every malformed playbook and compares its problems,
// as "line:col: message" lines in order, with the sibling .want file.
func TestLoadBad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdata, "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("want at least 20 malformed playbooks, found %d", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			pb, err := LoadFile(file)
			if err == nil {
				t.Fatalf("loaded %s without problems: %+v", file, pb)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, want Problems: %v", err, err)
			}
			var got strings.Builder
			for _, p := range ps {
				if p.Pos.File != file {
					t.Errorf("problem in file %q, want %q", p.Pos.File, file)
				}
				fmt.Fprintf(&got, "%d:%d: %s\n", p.Pos.Line, p.Pos.Col, p.Msg)
			}
			wantFile := strings.TrimSuffix(file, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(wantFile, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatalf("%v (run go test ./playbook -run TestLoadBad -update, then review the file)", err)
			}
			if got.String() != string(want) {
				t.Errorf("problems of %s:\n--- got\n%s--- want\n%s", file, got.String(), want)
			}
		})
	}
}

func TestLoadGood(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdata, "good", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no good playbooks")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			pb, err := LoadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if pb.Name == "" || len(pb.Steps) == 0 || pb.Source != file || len(pb.SHA256) != 64 {
				t.Errorf("incomplete playbook: %+v", pb)
			}
		})
	}
}

func TestLoadFull(t *testing.T) {
	pb, err := LoadFile(filepath.Join(testdata, "good", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := pb.SecretInputs(); len(got) != 1 || got[0] != "key" {
		t.Errorf("SecretInputs = %v", got)
	}
	in := pb.Inputs[0]
	if in.Name != "key" || !in.Secret || !in.Required || in.Pos.Line != 4 || in.Pos.Col != 3 {
		t.Errorf("input key = %+v", in)
	}
	id := pb.Steps[0]
	if id.ID != "identify" || id.Action != "core.note" || id.Info.Name != "core.note" ||
		id.OnError != Continue || id.Timeout != 30*time.Second || id.Retries != 2 || id.If == nil ||
		id.Pos.Line != 15 || id.Pos.Col != 5 {
		t.Errorf("step identify = %+v", id)
	}
	text := id.With["text"]
	if text.Template == nil || text.Pos.Line != 18 || text.Pos.Col != 13 {
		t.Errorf("identify.text = %+v", text)
	}
	check := pb.Steps[1]
	if check.OnError != Stop {
		t.Errorf("default on_error = %q", check.OnError)
	}
	if c := check.Credential; c == nil || c.Name != "example_token" || c.Env != "EXAMPLE_ADMIN_TOKEN" || c.Host != "api.example.com" || c.HostInput != "" {
		t.Errorf("credential = %+v", check.Credential)
	}
	if len(pb.Credentials) != 1 || pb.Credentials[0].Pos.Line != 13 || pb.Credentials[0].Pos.Col != 3 {
		t.Errorf("credentials = %+v", pb.Credentials)
	}
	if got := check.With["expect"].Literal; fmt.Sprint(got) != "[200 404]" {
		t.Errorf("expect literal = %#v", got)
	}
}

// TestLoadLimits covers the inputs too big to keep in testdata.
func TestLoadLimits(t *testing.T) {
	big := []byte("name: big\ndescription: \"" + strings.Repeat("x", MaxSize) + "\"\n")
	_, err := Load("big.yaml", big)
	want := "big.yaml:1:1: playbook is larger than 1048576 bytes (1 MiB); a playbook is a few KiB"
	if err == nil || err.Error() != want {
		t.Errorf("oversize: got %v, want %s", err, want)
	}
	// A file read stops just past the limit, whatever its size.
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, append(big, big...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "larger than") && !strings.Contains(err.Error(), "too large") {
		t.Errorf("oversize file: %v", err)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestLoadProblemsAreErrors checks the error's text is one problem a line,
// each prefixed by file:line:col, as `keyir validate` prints it.
func TestLoadProblemsAreErrors(t *testing.T) {
	_, err := Load("x.yaml", []byte("name: x\nsteps:\n  - id: a\n    action: core.nope\n  - id: b\n    action: core.note\n    with: {}\n    bogus: 1\n"))
	want := `x.yaml:4:13: step "a": unknown action "core.nope" (did you mean "core.note"?)
x.yaml:7:5: step "b": parameter "text": required parameter of core.note is missing
x.yaml:8:5: unknown field "bogus" in step "b"`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
