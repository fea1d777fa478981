package chatops

import "encoding/json"
import "errors"
import "fmt"
import "io/fs"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// smallCheckpoint makes the log change segment every few kilobytes and
// opens a store in a fresh data directory.
func smallCheckpoint(t *testing.T, n int64) (*store, string) {
	old := logCheckpoint
	logCheckpoint = n
	t.Cleanup(func() { logCheckpoint = old })
	data := t.TempDir()
	s, err := openStore(data, redact.New())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.log.Close() })
	return s, data
}

// restored opens data as the next start does and returns each request's
// version.
func restored(t *testing.T, data string) map[string]int64 {
	t.Helper()
	s, err := openStore(data, redact.New())
	if err != nil {
		t.Fatal(err)
	}
	defer s.log.Close()
	reqs, err := s.loadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range reqs {
		got[r.ID] = r.Version
	}
	return got
}

// A checkpoint that cannot get on (its file replacements held: applyMu) does
// not hold up a save: 40 requests are saved, two versions each, through
// several times the checkpoint size, while the first checkpoint is stuck.
// Before segments, the save that pushed the log past the size replaced and
// synced the files itself, holding the store's lock: it never returned.
func TestSavesDoNotWaitForACheckpoint(t *testing.T) {
	s, data := smallCheckpoint(t, 4<<10)
	s.applyMu.Lock() // every file replacement, the checkpoint's first step, waits
	held := true
	defer func() {
		if held {
			s.applyMu.Unlock()
		}
	}()
	done := make(chan error, 1)
	go func() {
		for i := range 40 {
			for v := int64(1); v <= 2; v++ {
				if err := s.save(testRequest(fmt.Sprintf("req_%024x", i), v, StatePending)); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a deadlock, not a latency bound
		t.Fatal("the saves are stuck behind the checkpoint")
	}
	s.logMu.Lock()
	running, seq := s.ckpt != nil, s.logSeq
	s.logMu.Unlock()
	if !running || seq != 1 {
		t.Fatalf("checkpoint running %v, active segment %d: want the first checkpoint stuck and segment 1 in use", running, seq)
	}
	if _, err := os.Stat(filepath.Join(data, requestsLog)); err != nil {
		t.Fatalf("the stuck checkpoint's segment is gone: %v", err)
	}
	s.applyMu.Unlock()
	held = false
	s.settle()
	s.log.Close()
	got := restored(t, data)
	for i := range 40 {
		if id := fmt.Sprintf("req_%024x", i); got[id] != 2 {
			t.Errorf("%s restored at version %d, want 2", id, got[id])
		}
	}
}

// copyData copies the data directory as a crash at this instant leaves it
// for the next start (files being renamed meanwhile are either version).
func copyData(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temporary file renamed or removed meanwhile
		}
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A crash at each step of a checkpoint (files replaced, synced, segment
// removed, next segment created) while saves go on: the next start has
// every request acknowledged before the crash at the version acknowledged
// or newer.
func TestCheckpointCrashPoints(t *testing.T) {
	s, data := smallCheckpoint(t, 4<<10)
	type crash struct {
		step  string
		dir   string
		acked map[string]int64
	}
	var mu sync.Mutex
	acked := map[string]int64{}
	var crashes []crash
	old := checkpointStep
	checkpointStep = func(step string) {
		mu.Lock()
		defer mu.Unlock()
		c := crash{step: step, dir: t.TempDir(), acked: map[string]int64{}}
		for id, v := range acked {
			c.acked[id] = v
		}
		copyData(t, data, c.dir)
		crashes = append(crashes, c)
	}
	defer func() { checkpointStep = old }()
	for i := range 60 {
		for v := int64(1); v <= 2; v++ {
			id := fmt.Sprintf("req_%024x", i)
			if err := s.save(testRequest(id, v, StatePending)); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			acked[id] = v
			mu.Unlock()
		}
	}
	s.settle()
	checkpointStep = old
	steps := map[string]int{}
	for _, c := range crashes {
		steps[c.step]++
		got := restored(t, c.dir)
		for id, v := range c.acked {
			if got[id] < v {
				t.Errorf("crash after %q: %s acknowledged at version %d, restored at %d", c.step, id, v, got[id])
			}
		}
	}
	t.Logf("crashes simulated: %v", steps)
	for _, step := range []string{"replaced", "synced", "removed", "created"} {
		if steps[step] == 0 {
			t.Errorf("no checkpoint reached %q", step)
		}
	}
}

// writeSegments lays out a data directory as a crash left it: segment
// contents by number (0 is requests.log) and request files by id.
func writeSegments(t *testing.T, segs map[int]string, files map[string]*Request) string {
	t.Helper()
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "requests"), 0o700); err != nil {
		t.Fatal(err)
	}
	for seq, text := range segs {
		if err := os.WriteFile(filepath.Join(data, segmentName(seq)), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for id, r := range files {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(filepath.Join(data, "requests", id+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

func segmentsIn(t *testing.T, data string) []string {
	t.Helper()
	ents, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), requestsLog) {
			fi, _ := e.Info()
			out = append(out, fmt.Sprintf("%s:%d", e.Name(), fi.Size()))
		}
	}
	slices.Sort(out)
	return out
}

// The states a crash can leave between segments, read back by the next
// start.
func TestRecoveryAppliesEverySegment(t *testing.T) {
	x, y := "req_"+strings.Repeat("a", 24), "req_"+strings.Repeat("b", 24)
	torn := logLine(t, testRequest(x, 4, StateApproved))
	torn = torn[:len(torn)/2]
	t.Run("switched, not checkpointed", func(t *testing.T) {
		// The full segment, the active one ending in a torn line, the
		// next one empty; the file never got past version 1.
		data := writeSegments(t, map[int]string{
			0: logLine(t, testRequest(x, 1, StatePending)) + logLine(t, testRequest(x, 2, StatePending)) + logLine(t, testRequest(y, 1, StatePending)),
			1: logLine(t, testRequest(x, 3, StateCancelled)) + torn,
			2: "",
		}, map[string]*Request{x: testRequest(x, 1, StatePending)})
		got := restored(t, data)
		if got[x] != 3 || got[y] != 1 {
			t.Fatalf("restored %v, want %s at 3, %s at 1", got, x, y)
		}
		if segs := segmentsIn(t, data); !slices.Equal(segs, []string{requestsLog + ".1:0", requestsLog + ":0"}) {
			t.Fatalf("segments after the start: %v, want an empty log and the next segment", segs)
		}
		if got := restored(t, data); got[x] != 3 || got[y] != 1 {
			t.Fatalf("second start restored %v", got)
		}
	})
	t.Run("removal not durable", func(t *testing.T) {
		// The checkpointed segment came back; the file holds a newer
		// version, synced, whose own segment was checkpointed too.
		data := writeSegments(t, map[int]string{3: logLine(t, testRequest(x, 1, StatePending))},
			map[string]*Request{x: testRequest(x, 2, StateCancelled)})
		if got := restored(t, data); got[x] != 2 {
			t.Fatalf("restored %s at %d, want the file's 2", x, got[x])
		}
	})
	t.Run("torn line before a later segment's lines", func(t *testing.T) {
		data := writeSegments(t, map[int]string{0: torn, 1: logLine(t, testRequest(y, 1, StatePending))}, nil)
		if _, err := openStore(data, redact.New()); err == nil || !strings.Contains(err.Error(), requestsLog+": line 1 is not a request record") {
			t.Fatalf("a torn line followed by acknowledged lines accepted: %v", err)
		}
	})
	t.Run("torn line before empty segments", func(t *testing.T) {
		data := writeSegments(t, map[int]string{0: logLine(t, testRequest(y, 1, StatePending)) + torn, 1: "", 2: ""}, nil)
		if got := restored(t, data); got[y] != 1 || got[x] != 0 {
			t.Fatalf("restored %v, want only %s", got, y)
		}
	})
	t.Run("bad line in a later segment", func(t *testing.T) {
		data := writeSegments(t, map[int]string{2: "not json\n" + logLine(t, testRequest(y, 1, StatePending))}, nil)
		if _, err := openStore(data, redact.New()); err == nil || !strings.Contains(err.Error(), requestsLog+".2: line 1") {
			t.Fatalf("a corrupt segment accepted: %v", err)
		}
	})
	t.Run("segment is a link", func(t *testing.T) {
		data := writeSegments(t, nil, nil)
		target := filepath.Join(t.TempDir(), "elsewhere")
		if err := os.WriteFile(target, []byte(logLine(t, testRequest(y, 1, StatePending))), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(data, segmentName(1))); err != nil {
			t.Fatal(err)
		}
		if _, err := openStore(data, redact.New()); err == nil || !strings.Contains(err.Error(), segmentName(1)) {
			t.Fatalf("a segment that is a link was read: %v", err)
		}
	})
	t.Run("names that are not segments", func(t *testing.T) {
		data := writeSegments(t, map[int]string{0: logLine(t, testRequest(y, 1, StatePending))}, nil)
		for _, name := range []string{requestsLog + ".01", requestsLog + ".x", requestsLog + ".-1", requestsLog + ".0"} {
			if err := os.WriteFile(filepath.Join(data, name), []byte("not json\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if got := restored(t, data); got[y] != 1 {
			t.Fatalf("restored %v", got)
		}
	})
}

// A checkpoint that fails fails the store: the next save is refused, as
// after a failed log write. Here the segment after next cannot be created
// (a directory holds its name).
func TestFailedCheckpointRefusesFurtherSaves(t *testing.T) {
	s, data := smallCheckpoint(t, 4<<10)
	if err := os.Mkdir(filepath.Join(data, segmentName(2)), 0o700); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		s.logMu.Lock()
		switched := s.logSeq == 1
		s.logMu.Unlock()
		if switched {
			break
		}
		if err := s.save(testRequest(fmt.Sprintf("req_%024x", i), 1, StatePending)); err != nil {
			t.Fatalf("save %d before any checkpoint: %v", i, err)
		}
	}
	s.settle()
	err := s.save(testRequest("req_"+strings.Repeat("c", 24), 1, StatePending))
	if err == nil || !strings.Contains(err.Error(), "unusable") || !strings.Contains(err.Error(), segmentName(2)) {
		t.Fatalf("a save after a failed checkpoint: %v", err)
	}
}

// FuzzParseSegments: whatever two segments hold, parseSegments refuses them
// or returns, for each valid request id, its newest line with its version;
// never a panic, and never a torn first segment ahead of a second one's
// lines.
func FuzzParseSegments(f *testing.F) {
	x := "req_" + strings.Repeat("a", 24)
	line := func(v int64) string {
		b, _ := json.Marshal(testRequest(x, v, StatePending))
		return string(b) + "\n"
	}
	f.Add([]byte(line(1)+line(2)), []byte(line(3)))
	f.Add([]byte(line(2)+line(1)[:20]), []byte(""))
	f.Add([]byte("not json\n"), []byte(line(1)))
	f.Add([]byte(`{"id":"../x","version":1}`+"\n"), []byte(line(1)[:9]))
	f.Fuzz(func(t *testing.T, seg0, seg1 []byte) {
		newest, versions, err := parseSegments([]int{0, 1}, [][]byte{seg0, seg1})
		if err != nil {
			return
		}
		if len(seg1) > 0 && len(seg0) > 0 && seg0[len(seg0)-1] != '\n' {
			t.Fatalf("a torn line ends %s, ahead of %d bytes of %s: accepted", segmentName(0), len(seg1), segmentName(1))
		}
		for id, l := range newest {
			var r Request
			if !validRequestID().MatchString(id) || json.Unmarshal(l, &r) != nil || r.ID != id || r.Version != versions[id] {
				t.Fatalf("%q: line %q, version %d", id, l, versions[id])
			}
		}
	})
}
