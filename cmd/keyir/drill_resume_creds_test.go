package main

import "bytes"
import "io/fs"
import "os"
import "path/filepath"
import "strings"
import "syscall"
import "testing"

import "github.com/keyir/keyir/report"

// canarySecret is a responder credential the shell holds for real incidents,
// in a file; canaryPlain one in a variable. A drill, fresh or resumed, must
// never read either.
const (
	canarySecret = "SG.cAnArYrEsPoNdErKeY0000.cAnArYrEsPoNdErSeCrEt00000000000000000000000"
	canaryPlain  = "cAnArY-sIgNiNg-sEcReT-000000000000000000"
)

// TestDrillResumeIgnoresTheShellsCredentials: `keyir resume` of an
// interrupted drill, in a shell holding real credentials (plain, as _FILE
// naming a canary file, both at once, and _FILE naming a symbolic link or
// a FIFO), ignores them as a fresh `keyir drill` does: the run finishes
// against its simulator, the servers behind the shell's URLs receive
// nothing, and the canary is nowhere in the run directory or the output.
// Before, the resume looked at every credential _FILE before it knew the
// run was a drill, opened them, and refused the link, the FIFO and the
// pair set both ways (exit 2): the drill could not be resumed there.
func TestDrillResumeIgnoresTheShellsCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	envv, hits := realWorld(t)
	delete(envv, "SENDGRID_API_KEY") // SENDGRID_API_KEY_FILE alone
	files := t.TempDir()
	canary := writeFile(t, files, "canary.key", canarySecret+"\n")
	link := filepath.Join(files, "link.key")
	if err := os.Symlink(canary, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(files, "fifo.key")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	envv["SENDGRID_API_KEY_FILE"] = canary
	envv["SENDGRID_NOTIFY_API_KEY_FILE"] = link
	delete(envv, "SENDGRID_NOTIFY_API_KEY")
	envv["SLACK_BOT_TOKEN_FILE"] = canary // and SLACK_BOT_TOKEN: both set
	envv["SLACK_APP_TOKEN_FILE"] = fifo
	envv["SLACK_SIGNING_SECRET"] = canaryPlain
	envv["KEYIR_WEBHOOK_SECRET_FILE"] = fifo
	delete(envv, "KEYIR_WEBHOOK_SECRET")
	envv["GITHUB_TOKEN_FILE"] = canary
	envv["SLACK_USER_TOKEN_FILE"] = link

	run := func(args ...string) (*bytes.Buffer, *bytes.Buffer, int) {
		t.Helper()
		cmd := keyirProcess(t, args...)
		for k, v := range envv {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if args[0] == "drill" {
			// Interrupted while held at its stats step (revoked, confirmed).
			waitForStep(t, cmd, args[len(args)-1], "stats", &stderr)
			cmd.Process.Signal(syscall.SIGTERM)
		}
		cmd.Wait()
		return &stdout, &stderr, cmd.ProcessState.ExitCode()
	}
	reports := filepath.Join(t.TempDir(), "reports")
	envv["KEYIR_TEST_DRILL_STALL"] = "1"
	out, errb, code := run("drill", "--scenario", "persistence", "--reports", reports)
	if code != report.ExitCouldNotRun {
		t.Fatalf("interrupted drill: exit %d, want 1\n%s", code, errb)
	}
	delete(envv, "KEYIR_TEST_DRILL_STALL")
	dir := onlyRunDir(t, reports)
	rout, rerr, code := run("resume", dir)
	if code != report.ExitFootholdsOpen { // persistence: contained, footholds open
		t.Fatalf("resume of the drill: exit %d, want %d\n%s\n%s", code, report.ExitFootholdsOpen, rout, rerr)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the shell's servers received %d requests during the drill and its resume", n)
	}
	seen := out.String() + errb.String() + rout.String() + rerr.String()
	filepath.WalkDir(reports, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			seen += string(b)
		}
		return nil
	})
	for _, w := range []string{canarySecret, canaryPlain, "cAnArY", fifo, link, canary} {
		if strings.Contains(seen, w) {
			t.Errorf("%q reached the drill's output or run directory", w)
		}
	}
}

// A resume of a run that is no drill's still looks at the credential files
// before anything runs (it now does so itself, after telling a drill's run
// apart): a FIFO is refused with exit 2 and the run is not continued.
func TestResumeOfALiveRunStillRefusesAFIFOCredentialFile(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	g, dir := killedGatedRun(t)
	fifo := filepath.Join(t.TempDir(), "fifo.key")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r := keyir(t, "", map[string]string{"SENDGRID_API_KEY_FILE": fifo}, "resume", dir)
	if r.code != report.ExitUsage || !strings.Contains(r.stderr, "SENDGRID_API_KEY_FILE") || !strings.Contains(r.stderr, "named pipe") {
		t.Fatalf("resume with a FIFO credential file: exit %d\n%s", r.code, r.stderr)
	}
	if g.count("/slow") != 1 || g.count("/last") != 0 {
		t.Errorf("the refused resume ran steps: slow=%d last=%d", g.count("/slow"), g.count("/last"))
	}
}
