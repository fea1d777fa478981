package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A count of days too large for a time.Duration used to wrap around: 202163959358895d
// is 65.536µs once wrapped, so `report prune --older-than 202163959358895d` (asking for
// runs older than 553 billion years) removed every archived run, however recent.
func TestPruneRefusesADurationThatOverflows(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hello}\n")
	reports := filepath.Join(dir, "reports")
	if r := keyir(t, "", nil, "run", pb, "--reports", reports, "--incident", "INC-1"); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	runs, _, err := listRuns(reports)
	if err != nil || len(runs) != 1 {
		t.Fatalf("%v %v", runs, err)
	}
	if r := keyir(t, "", nil, "report", "mark-archived", runs[0].Path); r.code != 0 {
		t.Fatalf("mark-archived: %+v", r)
	}
	for _, v := range []string{"202163959358895d", "213504d", "99999999999999999999d"} {
		r := keyir(t, "", nil, "report", "prune", "--reports", reports, "--older-than", v)
		if _, err := os.Stat(runs[0].Path); err != nil {
			t.Fatalf("--older-than %s removed a run of a minute ago: %+v", v, r)
		}
		if r.code != 2 || !strings.Contains(r.stderr, "--older-than") {
			t.Fatalf("--older-than %s: want exit 2 naming the flag, got %d %q", v, r.code, r.stderr)
		}
	}
}
