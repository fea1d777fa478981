package playbook

import "bufio"
import "encoding/json"
import "fmt"
import "os"
import "path/filepath"
import "runtime"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/transport"

// recorderLeak is a secret the recorder tests register, so that some of
// their records take the redaction's rewriting path.
const recorderLeak = "SG.recorderTestLeak0123456789.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"

// newTestRecorder is the recorder of step 1 ("activity") of a fresh run.
func newTestRecorder(t *testing.T) (*stepRecorder, *runstore.Store) {
	t.Helper()
	st, err := runstore.Create(t.TempDir(), report.Run{ID: "rec1", Started: time.Unix(1_700_000_000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &execution{o: Options{Redactor: redact.New(recorderLeak)}, st: st, steps: []report.Step{{ID: "activity"}}}
	r := &stepRecorder{e: e}
	t.Cleanup(r.close)
	return r, st
}

func answer(body string) transport.Exchange {
	return transport.Exchange{Time: time.Unix(1_700_000_000, 0).UTC(), Method: "GET", URL: "https://api.example/v3/messages?limit=1000",
		Status: 200, RespHeads: map[string]string{"Content-Type": "application/json"}, RespBody: body, DurationMS: 2.5}
}

// cleanAnswer is an exchange as the transport records it: its texts
// redacted by the run's redactor (redact.Clean), so the recorder gives it
// only the surface pass, as it does every answer of a run.
type cleanAnswer struct {
	transport.Exchange
	proof redact.Proof
}

func (c cleanAnswer) RedactedBy() redact.Proof { return c.proof }

// Recording an answer allocates its encoding's worth of memory once, not
// per record: the buffer of one record takes the next (the old recorder
// allocated a new 180 KB record for every Email Activity answer).
func TestRecorderReusesTheRecordBuffer(t *testing.T) {
	r, _ := newTestRecorder(t)
	body := `{"messages":[` + strings.Repeat(`{"msg_id":"m0000001","status":"delivered"},`, 5000) + `{}]}`
	_, proof := r.e.o.Redactor.Redact(body)
	ex := cleanAnswer{answer(body), proof}
	if _, err := r.Evidence("http", ex); err != nil { // the first record allocates the buffer
		t.Fatal(err)
	}
	const n = 40
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if _, err := r.Evidence("http", ex); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("%d bytes per record", per)
	if per > uint64(len(body))/2 {
		t.Errorf("%d bytes allocated per record of a %d-byte answer: the record buffer is not reused", per, len(body))
	}
	// A record over maxReusedRecord is not kept for the next one.
	huge := answer(strings.Repeat("x", maxReusedRecord+1))
	if _, err := r.Evidence("http", huge); err != nil {
		t.Fatal(err)
	}
	if cap(r.buf) > maxReusedRecord {
		t.Errorf("a %d-byte buffer is kept after a huge answer; at most %d", cap(r.buf), maxReusedRecord)
	}
}

// Records written concurrently through one recorder (sharing its buffer)
// are each exactly json.Marshal's encoding, redacted: run with -race.
func TestRecorderRecordsBytesUnchangedWhenConcurrent(t *testing.T) {
	r, st := newTestRecorder(t)
	red := redact.New(recorderLeak)
	want := map[string][]byte{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 30 {
				// Sizes vary so a reused buffer is sometimes too small, and
				// every third record holds the secret and is rewritten.
				body := strings.Repeat(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i), 1+(g*31+i*17)%400)
				if i%3 == 0 {
					body += `"key":"` + recorderLeak + `"`
				}
				var v any = answer(body)
				if i%4 == 1 {
					v = map[string]any{"body": body, "n": i}
				}
				m, err := json.Marshal(v)
				if err != nil {
					t.Error(err)
					return
				}
				kind := fmt.Sprintf("r-%d-%d", g, i)
				mu.Lock()
				want[kind] = red.Bytes(m)
				mu.Unlock()
				if _, err := r.Evidence(kind, v); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	r.close()
	f, err := os.Open(filepath.Join(st.Dir(), filepath.FromSlash(runstore.EvidenceName(1, "activity"))))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	seen := 0
	for sc.Scan() {
		var rec struct {
			Kind string          `json:"kind"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if w, ok := want[rec.Kind]; !ok {
			t.Errorf("record %q was not written by the test", rec.Kind)
		} else if string(rec.Data) != string(w) {
			t.Errorf("record %q:\n got %.200s\nwant %.200s", rec.Kind, rec.Data, w)
		}
		if strings.Contains(string(rec.Data), recorderLeak) {
			t.Errorf("record %q holds the secret", rec.Kind)
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Errorf("%d records in the file, want %d", seen, len(want))
	}
}
