package main

import "os"
import "path/filepath"
import "strings"
import "testing"

// finishedRun runs a one-step playbook and returns its run directory.
func finishedRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hello <b>}\n")
	reports := filepath.Join(dir, "reports")
	if r := keyir(t, "", nil, "run", pb, "--reports", reports); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	return onlyRunDir(t, reports)
}

func TestReportShowFormats(t *testing.T) {
	runDir := finishedRun(t)
	page, err := os.ReadFile(filepath.Join(runDir, "report.html"))
	if err != nil {
		t.Fatalf("the run wrote no report.html: %v", err)
	}
	if r := keyir(t, "", nil, "report", "verify", runDir); r.code != 0 {
		t.Fatalf("report.html is not covered by MANIFEST: %+v", r)
	}
	r := keyir(t, "", nil, "report", "show", runDir, "--format", "html")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "<!DOCTYPE html>") || !strings.Contains(r.stdout, "hello &lt;b&gt;") {
		t.Fatalf("show --format html: %d %q %s", r.code, r.stderr, r.stdout)
	}
	// Shown after the fact, the page knows the MANIFEST head; otherwise it
	// is the page the run wrote.
	if !strings.Contains(r.stdout, "MANIFEST head: <code") || strings.Contains(string(page), "MANIFEST head: <code") {
		t.Errorf("the MANIFEST head is shown only once MANIFEST exists")
	}
	for format, want := range map[string]string{"md": "# Incident report", "json": `"run_id"`} {
		if r := keyir(t, "", nil, "report", "show", runDir, "--format", format); r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("show --format %s: %+v", format, r)
		}
	}
	if r := keyir(t, "", nil, "report", "show", runDir, "--format", "pdf"); r.code != 2 || !strings.Contains(r.stderr, "md, json or html") {
		t.Errorf("show --format pdf: %+v", r)
	}
}

func TestReportOpenPrintsThePath(t *testing.T) {
	runDir := finishedRun(t)
	var opened []string
	old := startOpener
	startOpener = func(name string, args ...string) error {
		opened = append(opened, name+" "+strings.Join(args, " "))
		return nil
	}
	defer func() { startOpener = old }()

	// No display: print the path, open nothing, succeed.
	r := keyir(t, "", nil, "report", "open", runDir)
	want, _ := filepath.Abs(filepath.Join(runDir, "report.html"))
	if r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Fatalf("open: %+v, want the path %s", r, want)
	}
	if len(opened) != 0 {
		t.Errorf("opened %v without a display", opened)
	}
	// KEYIR_NO_BROWSER wins even with a display.
	if r := keyir(t, "", map[string]string{"DISPLAY": ":0", "KEYIR_NO_BROWSER": "1"}, "report", "open", runDir); r.code != 0 || len(opened) != 0 {
		t.Errorf("KEYIR_NO_BROWSER: %+v, opened %v", r, opened)
	}
	if r := keyir(t, "", nil, "report", "open", t.TempDir()); r.code == 0 || !strings.Contains(r.stderr, "not a keyir run directory") {
		t.Errorf("open of a non-run directory: %+v", r)
	}
}

func TestBrowserOpener(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if name, _ := browserOpener("linux", env(nil)); name != "" {
		t.Errorf("linux without a display: %q", name)
	}
	if name, _ := browserOpener("darwin", env(map[string]string{"KEYIR_NO_BROWSER": "1"})); name != "" {
		t.Errorf("KEYIR_NO_BROWSER ignored: %q", name)
	}
}
