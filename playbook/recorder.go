package playbook

import "fmt"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// stepRecorder is the actions.Recorder of one step: everything it is given is
// redacted and written to the run directory before the call returns.
type stepRecorder struct {
	e       *execution
	index   int
	ev      *runstore.EvidenceWriter
	file    string
	planned int
	err     error
	// reads: the step only reads (see execution.beforeActing); commit is
	// the group commit it did not wait for, if any.
	reads  bool
	commit *pendingCommit
	// buf is the memory of the last record written, for the next one
	// (nil while a record is being encoded in it; see Evidence).
	buf []byte
}

// maxReusedRecord is the largest record buffer a step keeps for the next
// record: an Email Activity answer's (about 180 KB) is kept, a rare huge
// answer's is left to the collector rather than pinned for the step.
const maxReusedRecord = 2 << 20

func (r *stepRecorder) step() *report.Step { return &r.e.steps[r.index] }

// Evidence appends a redacted record to the step's evidence file, opened on
// first use so steps without evidence leave no empty file.
func (r *stepRecorder) Evidence(kind string, v any) (string, error) {
	r.e.mu.Lock()
	if r.ev == nil {
		ev, err := r.e.st.EvidenceFile(r.index+1, r.step().ID)
		if err != nil {
			r.e.mu.Unlock()
			return "", err
		}
		r.ev = ev
		r.file = ev.Name()
	}
	ev := r.ev
	// Taken, not shared: a record encoded concurrently gets its own.
	buf := r.buf
	r.buf = nil
	r.e.mu.Unlock()
	// Record redacts the encoding: in full, or only its surface for a value
	// the transport already redacted (redact.Clean); the writer splices in
	// an encoding the redaction left as it was without validating it again.
	b, err := r.e.o.Redactor.RecordAppend(buf[:0], v)
	if err != nil {
		return "", fmt.Errorf("evidence %s: %w", kind, err)
	}
	ref, err := ev.Write(kind, b)
	// Write keeps nothing of b once it returns (it copies the record into
	// its line and writes it synchronously), so the next record may reuse it.
	if cap(b.Bytes()) <= maxReusedRecord {
		r.e.mu.Lock()
		r.buf = b.Bytes()[:0]
		r.e.mu.Unlock()
	}
	return ref, err
}

func (r *stepRecorder) Finding(f report.Finding) {
	red := r.e.o.Redactor
	f.Title, f.Detail, f.Subject = red.String(f.Title), red.String(f.Detail), red.String(f.Subject)
	if f.Step == "" {
		f.Step = r.step().ID
	}
	r.journal(report.Event{Type: report.EventFinding, Step: f.Step, Index: r.index + 1, Finding: &f})
}

func (r *stepRecorder) Note(text string) {
	n := report.Note{Step: r.step().ID, Time: r.e.o.Now().UTC(), Text: r.e.o.Redactor.String(text)}
	r.journal(report.Event{Type: report.EventNote, Step: n.Step, Index: r.index + 1, Note: &n})
}

func (r *stepRecorder) Progress(text string) {
	r.e.progress(r, *r.step(), r.e.o.Redactor.String(text))
}

func (r *stepRecorder) Containment(c report.Containment) {
	c.Detail = r.e.o.Redactor.String(c.Detail)
	r.journal(report.Event{Type: report.EventContainment, Step: r.step().ID, Index: r.index + 1, Containment: &c})
}

func (r *stepRecorder) Planned(c report.PlannedChange) {
	red := r.e.o.Redactor
	c.URL, c.Body = red.String(c.URL), red.String(c.Body)
	if c.Step == "" {
		c.Step = r.step().ID
	}
	r.e.mu.Lock()
	r.planned++
	r.e.mu.Unlock()
	r.journal(report.Event{Type: report.EventPlannedChange, Step: c.Step, Index: r.index + 1, Planned: &c})
}

// journal records an event (on disk with the step's end, or at once for a
// step that changes something; see execution.record); a failure to write is
// kept and fails the step when it ends, since an unrecorded finding must not
// pass silently.
func (r *stepRecorder) journal(ev report.Event) {
	if err := r.e.record(r.step(), ev); err != nil {
		r.e.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.e.mu.Unlock()
	}
}

// close syncs and closes the evidence file; a failed sync fails the step.
func (r *stepRecorder) close() {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	if r.ev != nil {
		if err := r.ev.Close(); err != nil && r.err == nil {
			r.err = err
		}
		r.ev = nil
	}
}

// release ends the evidence file without waiting for its fsync: the next
// group commit waits for it before the journal's own (runstore's
// EvidenceWriter.Release), so the step's end line, which records the file,
// is never durable before the file's bytes. The next step does not wait for
// the disk here: one that must be durable before it acts waits in its commit,
// overlapped with what came before it; a read-only one acts meanwhile.
func (r *stepRecorder) release() {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	if r.ev != nil {
		r.ev.Release()
		r.ev = nil
	}
}

// WriteRunFile writes one of the files a step may write whole into the run
// directory (report.PlanFile), redacted, tracked by the journal like run.json
// and sealed by MANIFEST. A note journals it at once, so a crash leaves at
// most a file the resume refuses, never one nothing vouches for.
func (r *stepRecorder) WriteRunFile(name string, data []byte, note string) error {
	if err := r.e.st.WriteTracked(name, r.e.o.Redactor.Bytes(data)); err != nil {
		return err
	}
	r.Note(note)
	return r.err
}
