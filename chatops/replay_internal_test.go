package chatops

import "errors"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

// onDisk reads the record as a restart would, without rewriting it.
func onDisk(t *testing.T, dir string) replayDisk {
	t.Helper()
	d, _, err := readReplay(filepath.Join(dir, ReplayFile))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The record is bounded: entries leave it once their signature window has
// passed, a full record refuses rather than forgets, and what is on disk is
// what a restart reloads.
func TestReplayRecordPrunesBoundsAndReloads(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeNow{t: time.Unix(1_800_000_000, 0)}
	c, note, err := loadReplay(dir, clk.now)
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	c.max = 3
	ts := clk.now().Unix()
	for i, k := range []string{"a", "b", "c"} {
		if err := c.admit(k, ts+int64(i)); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if err := c.admit("d", ts); !errors.Is(err, errFull) {
		t.Fatalf("a full record admitted: %v", err)
	}
	if err := c.admit("a", ts); !errors.Is(err, errReplayed) {
		t.Fatalf("replay admitted: %v", err)
	}
	if n := len(onDisk(t, dir).Entries); n != 3 {
		t.Fatalf("%d entries on disk, want 3", n)
	}
	// Reloaded (a restart): still a replay.
	c2, _, err := loadReplay(dir, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.admit("b", ts+1); !errors.Is(err, errReplayed) {
		t.Fatalf("replay after reload admitted: %v", err)
	}
	// Past the window (5 min) and the margin (1 min): pruned; still
	// within: kept.
	clk.add(replayWindow + replayMargin)
	if err := c2.admit("e", clk.now().Unix()); err != nil {
		t.Fatal(err)
	}
	// The log keeps expired lines until it is rewritten; a load drops
	// them.
	d := onDisk(t, dir)
	keys := map[string]bool{}
	for _, e := range d.Entries {
		if e.Expires > clk.now().Unix() {
			keys[e.Key] = true
		}
	}
	if keys["a"] || !keys["b"] || !keys["c"] || !keys["e"] || len(keys) != 3 {
		t.Fatalf("after pruning: %v", keys)
	}
	// Reload far later: every entry has expired and is dropped.
	clk.add(time.Hour)
	c3, _, _ := loadReplay(dir, clk.now)
	if len(c3.entries) != 0 {
		t.Fatalf("expired entries reloaded: %v", c3.entries)
	}
}

// An unparseable record fences: a request signed at or before the start is
// refused, one signed after it is not; the note says why.
func TestReplayRecordCorruptFences(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ReplayFile), []byte(`{"version":1,"entries":[{"k":"h:12`), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := &fakeNow{t: time.Unix(1_800_000_000, 0)}
	c, note, err := loadReplay(dir, clk.now)
	if err != nil || note == "" {
		t.Fatalf("corrupt record: err %v, note %q", err, note)
	}
	start := clk.now().Unix()
	for _, ts := range []int64{start - 240, start} {
		if err := c.admit(contentKey("x", []byte("y")), ts); !errors.Is(err, errFenced) {
			t.Errorf("signed at start%+d: %v, want fenced", ts-start, err)
		}
	}
	if err := c.admit("later", start+1); err != nil {
		t.Errorf("signed after the start: %v", err)
	}
	// An envelope has no signing time: not fenced.
	if err := c.admit(envelopeKey("env-1"), -1); err != nil {
		t.Errorf("envelope: %v", err)
	}
	// The rewrite is a good record again, carrying the fence; the bad
	// bytes are kept aside.
	if d := onDisk(t, dir); d.Version != 2 || len(d.Entries) != 2 || d.Fence != start {
		t.Errorf("rewritten record: %+v", d)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ReplayFile+".unreadable")); err != nil || !strings.Contains(string(b), `"k":"h:12`) {
		t.Errorf("unreadable record not kept: %q %v", b, err)
	}
	// Another restart two minutes later: the fence still holds.
	clk.add(2 * time.Minute)
	c2, note, err := loadReplay(dir, clk.now)
	if err != nil || note != "" {
		t.Fatal(err, note)
	}
	if err := c2.admit("old", start-10); !errors.Is(err, errFenced) {
		t.Errorf("fence forgotten by a second restart: %v", err)
	}
	// Once the window is over, the fence goes.
	clk.add(replayWindow + replayMargin)
	c3, _, _ := loadReplay(dir, clk.now)
	if c3.fence != 0 {
		t.Errorf("fence kept past its window")
	}
	if err := c3.admit("fresh", clk.now().Unix()); err != nil {
		t.Fatal(err)
	}
	if d := onDisk(t, dir); d.Fence != 0 {
		t.Errorf("expired fence written: %+v", d)
	}
}

// Keys are by content: the timestamp and body, however the signature was
// spelled.
func TestReplayContentKey(t *testing.T) {
	a := contentKey("1800000000", []byte("text=help"))
	if a != contentKey("1800000000", []byte("text=help")) {
		t.Fatal("not deterministic")
	}
	for _, other := range []string{contentKey("1800000001", []byte("text=help")), contentKey("1800000000", []byte("text=helq")),
		contentKey("180000000", []byte("0:text=help"))} {
		if other == a {
			t.Fatal("different content, same key")
		}
	}
}

// Concurrent requests: each distinct one is admitted once and is on disk
// when admit returns; of identical ones racing, exactly one is admitted.
func TestReplayRecordConcurrentAdmits(t *testing.T) {
	dir := t.TempDir()
	c, _, err := loadReplay(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Now().Unix()
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := map[string]int{}
	for i := 0; i < n; i++ {
		for copy := 0; copy < 3; copy++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := contentKey("1", []byte{byte(i)})
				if err := c.admit(k, ts); err == nil {
					mu.Lock()
					admitted[k]++
					mu.Unlock()
					// On disk before admit returned.
					d, _, err := readReplay(filepath.Join(dir, ReplayFile))
					if err != nil {
						t.Error(err)
						return
					}
					if !slices.ContainsFunc(d.Entries, func(e replayEntry) bool { return e.Key == k }) {
						t.Errorf("admitted %s is not on disk", k)
					}
				} else if !errors.Is(err, errReplayed) {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if len(admitted) != n {
		t.Fatalf("%d keys admitted, want %d", len(admitted), n)
	}
	for k, v := range admitted {
		if v != 1 {
			t.Errorf("%s admitted %d times", k, v)
		}
	}
}
