// Package witnesstest is for tests only: the run every provider's witness
// test makes (actions.SeenAccepted): its liveness check, snapshot and
// revocation with a confirm that gives up in 2s, run once while the
// simulator still propagates the revocation, then resumed against another
// API and against the first one again. Each provider's test names only its
// own simulators and what it expects.
package witnesstest

import "context"
import "fmt"
import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

// Playbook writes and resolves a playbook named name whose secret input
// key matches pattern and whose steps run actions in order, each with the
// key; the last is the confirm, polled every 50ms for 2s at the most, so
// a run ends not confirmed while a revocation propagates.
func Playbook(t *testing.T, name, pattern string, actions ...string) *playbook.Playbook {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\ndescription: a witness, the revocation and a short confirm\ninputs:\n  key:\n    type: string\n    secret: true\n    pattern: '%s'\nsteps:\n", name, pattern)
	for i, a := range actions {
		onError := "continue"
		if i >= len(actions)-2 {
			onError = "stop" // the revocation and the confirm
		}
		fmt.Fprintf(&b, "  - id: s%d\n    action: %s\n    on_error: %s\n    with:\n      key: \"{{ .inputs.key }}\"\n", i+1, a, onError)
	}
	b.WriteString("      interval: 50ms\n      max_interval: 100ms\n      timeout: 2s\n")
	return Resolve(t, b.String())
}

// Resolve writes a playbook's YAML to a file and resolves it, for a
// provider whose steps take more than the key.
func Resolve(t *testing.T, yaml string) *playbook.Playbook {
	t.Helper()
	path := filepath.Join(t.TempDir(), "witness.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	pb, err := playbook.Resolve(path)
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// RunUnconfirmed runs pb and requires it to end not confirmed (exit 4):
// the simulator is still propagating the revocation.
func RunUnconfirmed(t *testing.T, pb *playbook.Playbook, opts playbook.Options) *playbook.Result {
	t.Helper()
	res, err := playbook.Run(context.Background(), pb, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != report.ExitNotContained || res.Report.Run.Containment.Status != report.ContainmentNotConfirmed {
		t.Fatalf("first run: exit %d, %+v; want not confirmed while the revocation propagates", res.ExitCode, res.Report.Run.Containment)
	}
	return res
}

// Resume resumes the run in dir and requires its exit code and
// containment status; what describes the API it was resumed against.
func Resume(t *testing.T, dir string, opts playbook.Options, exit int, status, what string) report.Containment {
	t.Helper()
	res, err := playbook.Resume(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Report.Run.Containment
	if res.ExitCode != exit || c.Status != status {
		t.Fatalf("resumed against %s: exit %d, containment %s (want exit %d, %s): %s", what, res.ExitCode, c.Status, exit, status, c.Detail)
	}
	return c
}
