package playbook_test

import "context"
import "errors"
import "net/http"
import "net/http/httptest"
import "os"
import "strings"
import "sync/atomic"
import "testing"

import "github.com/keyir/keyir/playbook"

// TestCriticalStepRefusedBeforeAnythingRuns: a critical step whose values
// are known from the inputs alone, and which its action refuses, used to
// fail only when reached, after the POST before it had been sent. It is
// now refused before the run directory exists or anything is sent; a step
// that reads an earlier step's output, and a non-critical one, are left to
// the run as before.
func TestCriticalStepRefusedBeforeAnythingRuns(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	pb := load(t, header+`  d: {type: duration, default: 100000h}
steps:
  - id: first
    action: core.http
    with: {method: POST, url: "{{ .inputs.base }}/first"}
  - id: later
    action: core.wait
    with: {duration: "{{ .inputs.d }}"}
`)
	o := opts(t, srv.URL)
	_, err := playbook.Run(context.Background(), pb, o)
	var ue *playbook.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `step later: parameter "duration"`) {
		t.Fatalf("want the run refused as bad usage naming the step, got %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the POST before the refused step was sent (%d requests)", n)
	}
	if ents, _ := os.ReadDir(o.ReportsRoot); len(ents) != 0 {
		t.Errorf("a run directory was made: %v", ents)
	}

	// Non-critical: the run goes on past it, as before.
	pb = load(t, header+`  d: {type: duration, default: 100000h}
steps:
  - id: later
    action: core.wait
    on_error: continue
    with: {duration: "{{ .inputs.d }}"}
  - id: first
    action: core.http
    with: {method: POST, url: "{{ .inputs.base }}/first"}
`)
	if _, err := playbook.Run(context.Background(), pb, opts(t, srv.URL)); err != nil || hits.Load() != 1 {
		t.Errorf("a non-critical step's bad value stopped the run: %v, %d requests", err, hits.Load())
	}
}
