package chatops

import "bufio"
import "encoding/json"
import "fmt"
import "os"
import "os/exec"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// killChild is set in the process TestRequestsSurviveKill9AfterAcks starts.
const killChild = "KEYIR_TEST_STORE_KILL_CHILD"

// A process saving requests at full speed is killed (SIGKILL) the moment
// the last of 200 saves is acknowledged, while the request files are still
// being replaced after their acks (store_apply.go), or with none replaced
// (the applier off: every acknowledged request only in the log), or while
// the log changes segment every 16 KiB and the full ones are checkpointed
// (store_segment.go): the next start has every acknowledged request at the
// version acknowledged or newer.
func TestRequestsSurviveKill9AfterAcks(t *testing.T) {
	if dir := os.Getenv(killChild); dir != "" {
		applyFiles = os.Getenv(killChild+"_APPLY") != "off"
		if os.Getenv(killChild+"_APPLY") == "checkpoints" {
			logCheckpoint = 16 << 10
		}
		storeKillChild(dir)
		return
	}
	for _, apply := range []string{"on", "off", "checkpoints"} {
		t.Run("applier "+apply, func(t *testing.T) { killAfterAcks(t, apply) })
	}
}

func killAfterAcks(t *testing.T, apply string) {
	data := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestRequestsSurviveKill9AfterAcks$")
	cmd.Env = append(os.Environ(), killChild+"="+data, killChild+"_APPLY="+apply)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	sc := bufio.NewScanner(out)
	const want = 200
	for len(acked) < want && sc.Scan() {
		var id string
		var v int64
		if _, err := fmt.Sscanf(sc.Text(), "acked %s %d", &id, &v); err != nil {
			continue
		}
		acked[id] = max(acked[id], v)
	}
	cmd.Process.Kill() // SIGKILL: nothing of the child runs after this
	cmd.Wait()
	if len(acked) < want {
		t.Fatalf("the child acknowledged %d requests, want %d", len(acked), want)
	}
	behind := 0 // files not (yet) at the version acknowledged: only the log has it
	for id, v := range acked {
		var r Request
		b, err := os.ReadFile(data + "/requests/" + id + ".json")
		if err != nil || json.Unmarshal(b, &r) != nil || r.Version < v {
			behind++
		}
	}
	t.Logf("after the kill, %d of %d acknowledged requests were only in the log", behind, len(acked))
	if apply == "off" && behind != len(acked) {
		t.Fatalf("with the applier off, %d files were written", len(acked)-behind)
	}
	if apply == "checkpoints" {
		if _, err := os.Stat(data + "/" + requestsLog); err == nil {
			t.Fatalf("no checkpoint removed %s before the kill", requestsLog)
		}
		t.Logf("segments at the kill: %v", segmentsIn(t, data))
	}
	got := restored(t, data)
	for id, v := range acked {
		if got[id] < v {
			t.Errorf("%s acknowledged at version %d, restored at %d", id, v, got[id])
		}
	}
}

// storeKillChild saves requests (two versions each, 8 at a time) and
// prints each acknowledgement, until it is killed.
func storeKillChild(data string) {
	s, err := openStore(data, redact.New())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("req_%012x%012x", w, i)
				for v := int64(1); v <= 2; v++ {
					if err := s.save(testRequest(id, v, StatePending)); err != nil {
						fmt.Println("error", err)
						os.Exit(1)
					}
					mu.Lock()
					fmt.Printf("acked %s %d\n", id, v)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	time.Sleep(time.Hour)
}
