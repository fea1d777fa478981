package playbook_test

import "context"
import "errors"
import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"

// TestKeyWrittenIntoAPlaybookIsRegistered: a key pasted into a playbook's
// note (or its description) is redacted whole by its shape, and a part of it
// written elsewhere in the playbook, or echoed later, is redacted too: the
// key-shaped words of the playbook are registered before the run writes.
func TestKeyWrittenIntoAPlaybookIsRegistered(t *testing.T) {
	piece := doorSecret[10:24]
	pb := load(t, `
name: pasted
description: "pasted `+doorKey+` here"
steps:
  - id: n
    action: core.note
    with: {text: "key `+doorKey+`, its middle `+piece+`"}
`)
	root := filepath.Join(t.TempDir(), "reports")
	if _, err := playbook.Run(context.Background(), pb, playbook.Options{ReportsRoot: root, Incident: "INC-8", Operator: "alice", Redactor: redact.New()}); err != nil {
		t.Fatal(err)
	}
	if bad := leaksIn(t, root, doorSecret); len(bad) > 0 {
		t.Errorf("leaked into %v", bad)
	}
}

// TestPlaybookPathHoldingAKeyRefused: the playbook's path is recorded as it
// is (resume opens it again), so a path holding a key, or a secret keyir
// holds, is refused before anything is written, without being quoted.
func TestPlaybookPathHoldingAKeyRefused(t *testing.T) {
	src := "name: p\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hi}\n"
	for name, path := range map[string]string{
		"a key as the directory": filepath.Join(t.TempDir(), "pb"+doorKey, "x.yaml"),
		"a key as the file name": filepath.Join(t.TempDir(), doorKey+".yaml"),
		"a piece of the key":     filepath.Join(t.TempDir(), "pb-"+doorSecret[3:20]+".yaml"),
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		pb, err := playbook.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(t.TempDir(), "reports")
		_, err = playbook.Run(context.Background(), pb, playbook.Options{ReportsRoot: root, Incident: "INC-9", Operator: "alice",
			Given: map[string]string{}, Redactor: redact.New(doorKey)})
		var ue *playbook.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: got %v, want a usage error", name, err)
			continue
		}
		if strings.Contains(err.Error(), doorSecret[:12]) || strings.Contains(err.Error(), doorSecret[3:15]) {
			t.Errorf("%s: the error quotes the path: %v", name, err)
		}
		if _, serr := os.Stat(root); serr == nil {
			t.Errorf("%s: the reports directory was created", name)
		}
	}
}

// TestReportsRootHoldingASecretRefused: the run directory is created under
// the reports root, so a root holding a piece of the key is refused and
// nothing is created.
func TestReportsRootHoldingASecretRefused(t *testing.T) {
	pb := load(t, doorPlaybook)
	for _, piece := range []string{doorSecret[5:19], doorKey[:35]} {
		root := filepath.Join(t.TempDir(), "r-"+piece)
		_, err := playbook.Run(context.Background(), pb, playbook.Options{ReportsRoot: root, Incident: "INC-10", Operator: "alice",
			Given: map[string]string{"key": doorKey}, Redactor: redact.New()})
		var ue *playbook.UsageError
		if !errors.As(err, &ue) || strings.Contains(err.Error(), piece) {
			t.Errorf("%s: got %v", piece, err)
		}
		if _, serr := os.Stat(root); serr == nil {
			t.Errorf("%s: the reports directory was created", piece)
		}
	}
}
