package main

import "bufio"
import "net/http"
import "os"
import "os/exec"
import "strings"
import "syscall"
import "testing"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// keyirProcess starts the test binary as keyir with args.
func keyirProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "KEYIR_TEST_AS_MAIN=1", "KEYIR_TEST_ARGS="+strings.Join(args, " "))
	return cmd
}

func TestSIGTERMStopsCleanlyAndResumeFinishes(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	g, cmd, reports, stderr := startGatedRun(t)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != 1 {
		t.Fatalf("exit %d (%v), want 1 for an interrupted run\n%s", code, err, stderr.String())
	}
	runDir := onlyRunDir(t, reports)
	rep, lerr := runstore.Load(runDir)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if rep.Run.Status != report.RunInterrupted || rep.Steps[1].Status != report.StepInterrupted {
		t.Fatalf("run %s, slow step %s", rep.Run.Status, rep.Steps[1].Status)
	}
	// Stopped cleanly: the directory is complete and verifiable as it stands.
	if r := keyir(t, "", nil, "report", "verify", runDir); r.code != 0 {
		t.Fatalf("verify of an interrupted run: %+v", r)
	}
	g.open()
	if r := keyir(t, "", nil, "resume", runDir); r.code != 0 {
		t.Fatalf("resume: %d %s", r.code, r.stderr)
	}
	if g.count("/first") != 1 || g.count("/last") != 1 {
		t.Fatalf("first=%d last=%d: completed steps must not repeat", g.count("/first"), g.count("/last"))
	}
	if r := keyir(t, "", nil, "report", "verify", runDir); r.code != 0 {
		t.Fatalf("verify after resume: %+v", r)
	}
}

func TestSimSendgridServesTheScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	cmd := keyirProcess(t, "sim", "sendgrid", "--listen", "127.0.0.1:0", "--scenario", "persistence")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	vars := map[string]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(vars) < 5 {
		if k, v, ok := strings.Cut(strings.Fields(sc.Text() + " ")[0], "="); ok {
			vars[k] = v
		}
	}
	base, key := vars["SENDGRID_API_URL"], vars["SENDGRID_API_KEY"]
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasPrefix(key, "SG.") || !strings.HasPrefix(vars["LEAKED_KEY"], "SG.") ||
		!strings.HasPrefix(vars["SENDGRID_API_URL_EU"], "http://127.0.0.1:") || vars["SENDGRID_API_URL_EU"] == base || len(vars["LEAKED_KEY_ID"]) != 22 {
		t.Fatalf("printed %v", vars)
	}
	req, _ := http.NewRequest("GET", base+"/v3/scopes", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("responder key: %d", resp.StatusCode)
	}
}
