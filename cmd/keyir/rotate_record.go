package main

import "bytes"
import "encoding/json"
import "fmt"
import "io"
import "net/http"
import "os/exec"
import "sync"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

var execLookPath = exec.LookPath

// rotateRecorder is the actions.Recorder of rotate's one step: everything
// is redacted and written to the new run directory before the call returns.
type rotateRecorder struct {
	st      *runstore.Store
	red     *redact.Redactor
	a       *app
	mu      sync.Mutex
	ev      *runstore.EvidenceWriter
	planned []report.PlannedChange
}

func (r *rotateRecorder) Evidence(kind string, v any) (string, error) {
	r.mu.Lock()
	if r.ev == nil {
		ev, err := r.st.EvidenceFile(1, "rotate")
		if err != nil {
			r.mu.Unlock()
			return "", err
		}
		r.ev = ev
	}
	ev := r.ev
	r.mu.Unlock()
	// JSON redacts the encoding: in full, or only its surface for a value
	// the transport already redacted (redact.Clean).
	b, err := r.red.JSON(v)
	if err != nil {
		return "", fmt.Errorf("evidence %s: %w", kind, err)
	}
	return ev.Write(kind, json.RawMessage(b))
}

func (r *rotateRecorder) Finding(f report.Finding) {
	f.Title, f.Detail, f.Subject, f.Step = r.red.String(f.Title), r.red.String(f.Detail), r.red.String(f.Subject), "rotate"
	_ = r.st.Append(report.Event{Type: report.EventFinding, Step: "rotate", Index: 1, Finding: &f})
}

func (r *rotateRecorder) Note(text string) {
	n := report.Note{Step: "rotate", Time: time.Now().UTC(), Text: r.red.String(text)}
	_ = r.st.Append(report.Event{Type: report.EventNote, Step: "rotate", Index: 1, Note: &n})
}

func (r *rotateRecorder) Progress(text string) {
	fmt.Fprintf(r.a.errOut, "rotate: %s\n", text)
}

func (r *rotateRecorder) Containment(report.Containment) {}

func (r *rotateRecorder) Planned(c report.PlannedChange) {
	c.URL, c.Body, c.Step = r.red.String(c.URL), r.red.String(c.Body), "rotate"
	r.mu.Lock()
	r.planned = append(r.planned, c)
	r.mu.Unlock()
	_ = r.st.Append(report.Event{Type: report.EventPlannedChange, Step: "rotate", Index: 1, Planned: &c})
}

func (r *rotateRecorder) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ev != nil {
		r.ev.Close()
		r.ev = nil
	}
}

// maxCreateAnswer bounds the answer to a key creation read here (a few
// hundred bytes in practice).
const maxCreateAnswer = 1 << 20

// secretCatcher sits under the recording transport: it reads the answer to
// a POST, registers any "api_key" in it with the redactor, and hands the
// body on. So the new secret is known to the redactor before the transport
// records the exchange as evidence, whatever its shape.
type secretCatcher struct {
	red  *redact.Redactor
	next http.RoundTripper
}

func (s secretCatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(req)
	if err != nil || req.Method == http.MethodGet || req.Method == http.MethodHead {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxCreateAnswer))
	resp.Body.Close()
	var v struct {
		APIKey string `json:"api_key"`
	}
	if json.Unmarshal(body, &v) == nil {
		s.red.Add(v.APIKey)
	}
	s.red.AddShapes(string(body))
	if rerr != nil {
		return nil, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
