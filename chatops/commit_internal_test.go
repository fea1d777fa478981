package chatops

import "encoding/json"
import "fmt"
import "os"
import "path/filepath"
import "strings"
import "sync"
import "sync/atomic"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

func testRequest(id string, version int64, state State) *Request {
	now := time.Unix(1700000000, 0).UTC()
	return &Request{ID: id, State: state, KeyID: "V586eSxe3GlNmv4HUtizkd", Fingerprint: "0a1b2c3d", Playbook: DefaultPlaybook,
		Team: "T1", Requester: "U1", Channel: "C1", Created: now, Expires: now.Add(time.Hour), Updated: now, Version: version}
}

func logLine(t *testing.T, r *Request) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// What a power loss can leave: the log holds a version the file never got
// (the file was replaced but not synced, and the disk kept the old one),
// and a last line torn mid-write (never acknowledged). The next start
// brings the file to the logged version, drops the torn line, and empties
// the log only after that.
func TestRequestLogRecoversWhatTheFileLost(t *testing.T) {
	data := t.TempDir()
	s, err := openStore(data, redact.New())
	if err != nil {
		t.Fatal(err)
	}
	s.log.Close()
	id := "req_0123456789abcdef01234567"
	v1, v2 := testRequest(id, 1, StatePending), testRequest(id, 2, StateCancelled)
	b, _ := json.MarshalIndent(v1, "", "  ")
	if err := os.WriteFile(filepath.Join(data, "requests", id+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	torn := logLine(t, testRequest(id, 3, StateApproved))
	log := logLine(t, v1) + logLine(t, v2) + torn[:len(torn)/2]
	if err := os.WriteFile(filepath.Join(data, requestsLog), []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = openStore(data, redact.New())
	if err != nil {
		t.Fatal(err)
	}
	defer s.log.Close()
	reqs, err := s.loadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Version != 2 || reqs[0].State != StateCancelled {
		t.Fatalf("restored %+v, want version 2, cancelled", reqs)
	}
	if fi, err := os.Stat(filepath.Join(data, requestsLog)); err != nil || fi.Size() != 0 {
		t.Fatalf("log not emptied after recovery: %v %v", fi, err)
	}
}

// A line that is not a request anywhere but at the end is not a crash's
// trace: the start is refused, naming the log.
func TestRequestLogRefusesACorruptLine(t *testing.T) {
	data := t.TempDir()
	id := "req_0123456789abcdef01234567"
	log := "not json\n" + logLine(t, testRequest(id, 1, StatePending))
	if err := os.WriteFile(filepath.Join(data, requestsLog), []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(data, redact.New()); err == nil || !strings.Contains(err.Error(), requestsLog) {
		t.Fatalf("corrupt log accepted: %v", err)
	}
	bad := logLine(t, testRequest("../../etc/x", 1, StatePending)) + logLine(t, testRequest(id, 1, StatePending))
	if err := os.WriteFile(filepath.Join(data, requestsLog), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(data, redact.New()); err == nil || !strings.Contains(err.Error(), "invalid request id") {
		t.Fatalf("a traversal id in the log accepted: %v", err)
	}
}

// Group commit: 100 requests saved and 100 audit lines written at once are
// each durable when their call returns (in the log, the file in place) and
// share far fewer commits than there are writes.
func TestGroupCommitSharesSyncs(t *testing.T) {
	data := t.TempDir()
	s, err := openStore(data, redact.New())
	if err != nil {
		t.Fatal(err)
	}
	defer s.log.Close()
	a, err := openAudit(filepath.Join(data, "audit.log"), redact.New(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	before := disk.commits.Load()
	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		id := fmt.Sprintf("req_%024x", i)
		go func() {
			defer wg.Done()
			if err := s.save(testRequest(id, 1, StatePending)); err != nil {
				t.Error(err)
				return
			}
			// Durable means: in the log (the file follows, see settle).
			b, _ := os.ReadFile(filepath.Join(data, requestsLog))
			if !strings.Contains(string(b), `"id":"`+id+`"`) {
				t.Errorf("%s saved but not in the log", id)
			}
		}()
		go func() {
			defer wg.Done()
			if err := a.write(AuditEvent{Event: AuditCommand, User: fmt.Sprint("U", i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s.settle()
	for i := range n {
		id := fmt.Sprintf("req_%024x", i)
		if _, err := os.Stat(filepath.Join(data, "requests", id+".json")); err != nil {
			t.Errorf("%s saved but its file is missing after settle: %v", id, err)
		}
	}
	commits := disk.commits.Load() - before
	t.Logf("%d writes, %d commits", 2*n, commits)
	if commits >= n {
		t.Fatalf("%d commits for %d writes: not grouped", commits, 2*n)
	}
	b, _ := os.ReadFile(filepath.Join(data, "audit.log"))
	if got := strings.Count(string(b), "\n"); got != n {
		t.Fatalf("%d audit lines, want %d", got, n)
	}
}

// Past the checkpoint size the log is emptied, after the files it covered
// were synced; the newest version of every request is what a restart reads.
func TestRequestLogCheckpoint(t *testing.T) {
	old := logCheckpoint
	logCheckpoint = 4 << 10
	defer func() { logCheckpoint = old }()
	data := t.TempDir()
	s, err := openStore(data, redact.New())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		for v := int64(1); v <= 2; v++ {
			if err := s.save(testRequest(fmt.Sprintf("req_%024x", i), v, StatePending)); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.settle() // the checkpoints run in the background (store_segment.go)
	if _, err := os.Stat(filepath.Join(data, requestsLog)); err == nil {
		t.Fatalf("%s never checkpointed and removed", requestsLog)
	}
	s, err = openStore(data, redact.New())
	if err != nil {
		t.Fatal(err)
	}
	defer s.log.Close()
	reqs, err := s.loadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 30 {
		t.Fatalf("%d requests, want 30", len(reqs))
	}
	for _, r := range reqs {
		if r.Version != 2 {
			t.Fatalf("%s at version %d, want 2", r.ID, r.Version)
		}
	}
}

// A commit started while a request owed an answer is still queuing its
// writes waits (lingers) until that request blocks on a commit, so that
// its writes share the commit: here the second write, queued well after
// the first started a commit, must be carried by that same one.
func TestCommitLingersForRequestsStillWriting(t *testing.T) {
	defer func(d time.Duration) { maxLinger = d }(maxLinger)
	maxLinger = 10 * time.Second // the wait below ends it, not the bound
	g := newAckGate()
	g.begin() // one request owed: it queues two writes, then waits
	defer g.end()
	var synced atomic.Int64
	item := func() *commitItem {
		return &commitItem{sync: func() error { synced.Add(1); return nil }}
	}
	before := disk.commits.Load()
	first := disk.enqueue(item()) // starts a commit, which must linger
	time.Sleep(20 * time.Millisecond)
	second := disk.enqueue(item())
	if err := first(); err != nil { // now blocked on a commit: it runs
		t.Fatal(err)
	}
	if err := second(); err != nil {
		t.Fatal(err)
	}
	if got := disk.commits.Load() - before; got != 1 {
		t.Fatalf("%d commits for one request's two writes, want 1", got)
	}
	if synced.Load() != 2 {
		t.Fatalf("%d of 2 writes synced", synced.Load())
	}
}

// A lingering commit starts as soon as the request it waited for stops
// being owed (answered without a commit of its own), not at maxLinger.
func TestCommitLingerEndsWhenTheRequestIsAnswered(t *testing.T) {
	defer func(d time.Duration) { maxLinger = d }(maxLinger)
	maxLinger = 10 * time.Second
	g := newAckGate()
	g.begin()
	before := disk.commits.Load()
	wait := disk.enqueue(&commitItem{sync: func() error { return nil }})
	time.Sleep(10 * time.Millisecond)
	if disk.commits.Load() != before {
		t.Fatal("the commit did not linger while a request was owed")
	}
	g.end() // answered without waiting on a commit: nothing is owed any more
	deadline := time.Now().Add(5 * time.Second)
	for disk.commits.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the commit still lingers after the request it waited for was answered")
		}
		time.Sleep(time.Millisecond)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}
