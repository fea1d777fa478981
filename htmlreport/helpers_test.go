package htmlreport

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/runstore"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// tickClock returns a clock that advances by step on every call, so every
// timestamp a test produces is known in advance.
func tickClock(start time.Time, step time.Duration) func() time.Time {
	now := start
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func testRun(mode report.Mode) report.Run {
	return report.Run{
		ID:          "r-20250304-abc123",
		Incident:    "INC-42",
		Playbook:    "sendgrid-key-compromise",
		PlaybookSHA: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Mode:        mode,
		Operator:    "alice",
		Host:        "oncall-laptop",
		Version:     "v0.1.0-test",
		Inputs:      map[string]string{"key": "[REDACTED:1a2b3c4d]", "incident": "INC-42", "window": "72h"},
		SecretInput: []string{"key"},
		Started:     t0,
	}
}

// newStore creates a run directory under a temp root with a ticking clock.
func newStore(t *testing.T, run report.Run) *runstore.Store {
	t.Helper()
	s, err := runstore.Create(t.TempDir(), run)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = tickClock(t0, 250*time.Millisecond)
	t.Cleanup(func() { s.Close() })
	return s
}

func mustAppend(t *testing.T, s *runstore.Store, events ...report.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Append(e); err != nil {
			t.Fatalf("append %s: %v", e.Type, err)
		}
	}
}

func intp(i int) *int { return &i }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./htmlreport/ -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test ./htmlreport/ -update rewrites it); got:\n%s", name, path, got)
	}
}
