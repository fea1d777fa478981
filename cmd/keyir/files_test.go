package main

import "bytes"
import "fmt"
import "os"
import "path/filepath"
import "runtime"
import "strings"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/runstore"

// hostileProcess runs keyir as a real process (the real env: bounded,
// no-follow reads; signal handling) with extra environment, and returns its
// exit code, stderr and wall time. A process still running after 10 s is
// killed and fails the test.
// hostileProcess runs keyir and returns its exit code, stderr and the CPU
// time it used (user + system): wall time measures the machine's load as
// much as keyir, CPU time what keyir did (reading 10 GB costs seconds of it).
func hostileProcess(t *testing.T, env []string, args ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := keyirProcess(t, args...)
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("keyir %v still running after %v (hung); stderr:\n%s", args, time.Since(start).Round(time.Second), stderr.String())
	}
	st := cmd.ProcessState
	return st.ExitCode(), stderr.String(), st.UserTime() + st.SystemTime()
}

// sparse makes a 10 GB file that costs no disk.
func sparse(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(10 << 30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	return p
}

func fifo(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	return p
}

// Every file keyir reads is capped before allocation and refused without
// blocking when it is not a regular file: exit 2, a message naming what was
// refused, in well under the time a hang or an out-of-memory would take.
func TestHostileFilesAreRefusedQuickly(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	big := sparse(t, dir, "10g")
	pipe := fifo(t, dir, "fifo")
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\ninputs:\n  key: {type: string, secret: true}\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hi}\n")
	keyFile := writeFile(t, dir, "key", "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n")
	linkToKey := filepath.Join(dir, "key-link")
	os.Symlink(keyFile, linkToKey)
	run := []string{"run", pb, "--reports", reports}
	sg := []string{"run", "sendgrid-key-compromise", "--key-file", keyFile, "--reports", reports}
	revoke := []string{"run", "generic-key-revoke", "--reports", reports, "--input", "revoke_url=https://api.example.com/v1/keys/1", "--input", "revoke_host=api.example.com"}
	for _, c := range []struct {
		name string
		env  []string
		args []string
		say  []string
	}{
		{"--key-file /dev/zero", nil, append(run, "--key-file", "/dev/zero"), []string{"--key-file", "/dev/zero is not a regular file"}},
		{"--key-file 10 GB", nil, append(run, "--key-file", big), []string{"--key-file", "is too large", "10 GiB"}},
		{"--key-file FIFO", nil, append(run, "--key-file", pipe), []string{"named pipe"}},
		{"--key-file link", nil, append(run, "--key-file", linkToKey), []string{"symbolic link"}},
		{"SENDGRID_API_KEY_FILE=/dev/zero", []string{"SENDGRID_API_KEY_FILE=/dev/zero", "SENDGRID_API_KEY="}, sg, []string{"SENDGRID_API_KEY_FILE", "not a regular file"}},
		{"KEYIR_WEBHOOK_SECRET_FILE=/dev/zero", []string{"KEYIR_WEBHOOK_SECRET_FILE=/dev/zero", "KEYIR_WEBHOOK_SECRET="}, append(run, "--key-file", keyFile), []string{"KEYIR_WEBHOOK_SECRET_FILE", "not a regular file"}},
		{"KEYIR_WEBHOOK_SECRET_FILE=10 GB", []string{"KEYIR_WEBHOOK_SECRET_FILE=" + big, "KEYIR_WEBHOOK_SECRET="}, append(run, "--key-file", keyFile), []string{"KEYIR_WEBHOOK_SECRET_FILE", "too large"}},
		{"--baseline /dev/zero", []string{"SENDGRID_API_KEY=SG.x"}, append(sg, "--baseline", "/dev/zero"), []string{"--baseline", "not a regular file"}},
		{"--baseline 10 GB", []string{"SENDGRID_API_KEY=SG.x"}, append(sg, "--baseline", big), []string{"--baseline", "too large"}},
		{"--baseline FIFO", []string{"SENDGRID_API_KEY=SG.x"}, append(sg, "--baseline", pipe), []string{"--baseline", "named pipe"}},
		{"playbook FIFO (validate)", nil, []string{"validate", pipe}, []string{"named pipe"}},
		{"playbook FIFO (run)", nil, []string{"run", pipe, "--reports", reports}, []string{"named pipe"}},
		{"playbook 10 GB", nil, []string{"validate", big}, []string{"too large"}},
		{"playbook /dev/zero", nil, []string{"validate", "/dev/zero"}, []string{"not a regular file"}},
		// A playbook's declared credential (generic-key-revoke's REVOKE_TOKEN)
		// is checked before the run starts, like keyir's own.
		{"playbook credential REVOKE_TOKEN_FILE=/dev/zero", []string{"REVOKE_TOKEN_FILE=/dev/zero", "REVOKE_TOKEN="}, append(revoke, "--dry-run"), []string{"REVOKE_TOKEN_FILE", "not a regular file"}},
		{"playbook credential REVOKE_TOKEN_FILE FIFO", []string{"REVOKE_TOKEN_FILE=" + pipe, "REVOKE_TOKEN="}, revoke, []string{"REVOKE_TOKEN_FILE", "named pipe"}},
		{"playbook credential REVOKE_TOKEN_FILE 10 GB", []string{"REVOKE_TOKEN_FILE=" + big, "REVOKE_TOKEN="}, revoke, []string{"REVOKE_TOKEN_FILE", "too large"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stderr, cpu := hostileProcess(t, c.env, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s", code, stderr)
			}
			for _, w := range c.say {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "out of memory") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("the Go runtime died:\n%s", stderr)
			}
			// The process start dominates; the refusal itself reads
			// nothing: a file read to its end (10 GB) would cost seconds.
			if cpu > time.Second {
				t.Errorf("used %v of CPU", cpu)
			}
			t.Logf("%s: exit %d after %v of CPU", c.name, code, cpu.Round(time.Millisecond))
		})
	}
	if entries, _ := os.ReadDir(reports); len(entries) != 0 {
		t.Errorf("a refused command left a run directory: %v", entries)
	}
}

// A journal that is a link (to /dev/zero) or a FIFO, or an evidence file
// replaced by a link out of the run directory: resume and verify refuse,
// naming the path, and write nothing through the link.
func TestHostileRunDirectoryFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, []byte("precious\n"), 0o644)
	for _, c := range []struct {
		name  string
		plant func(t *testing.T, dir string) string // returns the planted path
		say   string
	}{
		{"journal a link to /dev/zero", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, runstore.JournalFile)
			os.Remove(p)
			os.Symlink("/dev/zero", p)
			return p
		}, "is a symbolic link"},
		{"journal a FIFO", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, runstore.JournalFile)
			os.Remove(p)
			fifo(t, dir, runstore.JournalFile)
			return p
		}, "named pipe"},
		{"evidence a link out of the directory", func(t *testing.T, dir string) string {
			matches, _ := filepath.Glob(filepath.Join(dir, "evidence", "*"))
			if len(matches) == 0 {
				t.Fatal("the killed run wrote no evidence")
			}
			os.Remove(matches[0])
			os.Symlink(outside, matches[0])
			return matches[0]
		}, "is a symbolic link"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, dir := killedGatedRun(t)
			planted := c.plant(t, dir)
			code, stderr, cpu := hostileProcess(t, nil, "resume", dir)
			if code != 2 || !strings.Contains(stderr, planted) || !strings.Contains(stderr, c.say) {
				t.Errorf("resume: exit %d after %v of CPU, want 2 naming %s\n%s", code, cpu, planted, stderr)
			}
			if g.count("/last") != 0 {
				t.Error("the refused resume ran steps")
			}
			r := keyir(t, "", nil, "report", "verify", dir)
			if r.code != 1 || !strings.Contains(r.stdout, planted) || strings.Contains(r.stdout+r.stderr, "keyir resume") {
				t.Errorf("verify: %+v", r)
			}
			if b, _ := os.ReadFile(outside); string(b) != "precious\n" {
				t.Errorf("the file outside the run directory changed: %q", b)
			}
			if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o644 {
				t.Errorf("the mode of the file outside changed: %v", fi.Mode())
			}
		})
	}
}

// `--key -` reading from a pipe that never closes: the first SIGTERM still
// ends keyir, within 2 seconds, with the interrupted exit code 1.
func TestSignalEndsABlockedStdinRead(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := keyirProcess(t, "run", "sendgrid-key-compromise", "--key", "-", "--reports", t.TempDir())
			stdin, err := cmd.StdinPipe() // never written, never closed
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitInStdinRead(t, cmd.Process.Pid)
			start := time.Now()
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			// A read the signal does not end blocks for ever; 30 s
			// tells that from a loaded machine's slowness.
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still blocked 30s after %v; stderr:\n%s", sig, stderr.String())
			}
			took := time.Since(start)
			if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("exit %d after %v, want 1 and a message\n%s", code, sig, stderr.String())
			}
			t.Logf("%v ended the blocked read in %v", sig, took.Round(time.Millisecond))
		})
	}
}

// The watchdog: a command that does not stop on its own after the signal is
// ended anyway. `keyir report show` writing a large page into a pipe nobody
// reads (a stuck pager) is blocked in write(2), where no context reaches;
// the first SIGTERM must still end keyir (after main's stopGrace), exit 1.
// Without the watchdog it would block for ever: the bound below is a hang
// detector, not a speed goal, so a loaded machine cannot fail it.
func TestFirstSignalEndsAnyCommandBlockedInWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir := t.TempDir()
	var pb strings.Builder
	pb.WriteString("name: big\ndescription: d\nsteps:\n")
	for i := range 80 {
		fmt.Fprintf(&pb, "  - id: n%d\n    action: core.note\n    with: {text: %q}\n", i, strings.Repeat("evidence ", 200))
	}
	reports := filepath.Join(dir, "reports")
	if r := keyir(t, "", nil, "run", writeFile(t, dir, "pb.yaml", pb.String()), "--reports", reports); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	cmd := keyirProcess(t, "report", "show", onlyRunDir(t, reports), "--format", "html")
	out, err := cmd.StdoutPipe() // never read: the pipe fills and keyir blocks
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(1500 * time.Millisecond) // blocked in write(2) by now
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // blocked for ever, not slow
		t.Fatalf("still running 30s after SIGTERM:\n%s", stderr.String())
	}
	took := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit %d, want 1 and a message:\n%s", code, stderr.String())
	}
	t.Logf("SIGTERM ended a command blocked in write(2) in %v", took.Round(time.Millisecond))
}

// waitInStdinRead waits until the process is blocked in read(2) on its
// standard input, so the signal arrives where the test means it to: a fixed
// sleep raced the start-up on a loaded machine (the runtime's default SIGINT
// action then ended the process before keyir's handler was installed). On
// linux/amd64 /proc/PID/task/TID/syscall names the system call a thread is
// blocked in ("0 0x0 ..." is read on fd 0); elsewhere it falls back to a sleep.
func waitInStdinRead(t *testing.T, pid int) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		time.Sleep(700 * time.Millisecond)
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && strings.HasPrefix(string(b), "0 0x0 ") {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d never blocked reading its standard input", pid)
}
