package main

import "bytes"
import "net"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/sim/slacksim"

// A second keyir serve on the data directory of a running one exits 1,
// saying why, and the first keeps its pending request (on the old code the
// second started, and its start settled the first's requests as its own).
// After the first is killed (-9: the kernel drops its lock) a new one
// starts on the same directory and restores the request.
func TestServeSecondServerOnTheSameDataDirExitsOne(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	w := newServeCrashWorld(t)
	w.start()
	w.command("U0ALICE", "revoke "+w.leakedID+" INC-LOCK-1")
	pending := w.request(chatops.StatePending)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	second := keyirProcess(t, "serve", "--config", w.cfg, "--listen", addr, "--slack-api-url", w.api)
	second.Env = append(second.Env, w.env...)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { second.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		second.Process.Kill()
		<-done
		w.kill()
		t.Fatalf("a second keyir serve ran on the data directory of a running one\n%s", stderr.String())
	}
	if code := second.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "another keyir serve is using this data directory") {
		t.Errorf("second serve: exit %d, want 1 naming the lock\n%s", code, stderr.String())
	}
	if r := w.request(chatops.StatePending); r.ID != pending.ID || r.Version != pending.Version {
		t.Errorf("the first server's request changed: %+v", r)
	}
	w.kill()
	w.start()
	defer w.kill()
	if r := w.request(chatops.StatePending); r.ID != pending.ID {
		t.Fatalf("restored %s, want %s", r.ID, pending.ID)
	}
}

// A serve that stops at its Slack check (here: a refused bot token)
// releases the data directory: started again in the same process on the
// same directory, it reaches the same check again (exit 2) instead of
// finding its own lock (exit 1, "another keyir serve").
func TestServeStoppedAtTheSlackCheckReleasesTheDataDir(t *testing.T) {
	sim := slacksim.New(slacksim.Options{RateLimit: slacksim.RateLimit{Off: true}})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir := t.TempDir()
	cfg := writeFile(t, dir, "serve.yaml", serveConfig(dir))
	for i := range 2 {
		r := keyir(t, "", map[string]string{"SLACK_BOT_TOKEN": "xoxb-not-the-bot", "SLACK_SIGNING_SECRET": "s3cr3t-signing"},
			"serve", "--config", cfg, "--slack-api-url", api, "--listen", "127.0.0.1:0")
		if r.code != 2 || strings.Contains(r.stderr, "another keyir serve") {
			t.Fatalf("start %d: exit %d, stderr %q", i+1, r.code, r.stderr)
		}
	}
}
