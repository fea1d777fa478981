package runstore

import "bufio"
import "bytes"
import "crypto/sha256"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "os"
import "path"
import "path/filepath"
import "strconv"
import "sync"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

// EvidenceName is the evidence file of step number index (1-based) relative
// to the run directory: "evidence/004-revoke.jsonl". The index comes first so
// the files list in step order, and the step id is sanitised because a
// playbook author chose it.
func EvidenceName(index int, stepID string) string {
	return path.Join(EvidenceDir, fmt.Sprintf("%03d-%s.jsonl", index, SanitizeName(stepID, "step")))
}

// EvidenceWriter appends records to one step's evidence file. Each record is a
// single write(2) of one JSON line, so a crash loses at most the record being
// written and never buffers thousands of records in memory; Sync makes them
// durable against power loss too. It is safe for concurrent use.
type EvidenceWriter struct {
	store *Store
	name  string // relative to the run directory, slash-separated

	mu     sync.Mutex
	f      *os.File
	n      int   // records in the file
	size   int64 // bytes of complete records
	closed bool
}

type evidenceRecord struct {
	N    int       `json:"n"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	Data any       `json:"data"`
}

// EvidenceFile opens the evidence file of a step for appending. A resumed
// step appends to what its earlier attempt wrote and record numbers continue,
// so references already cited in the journal stay valid. A record torn by a
// crash is cut off first. One writer per file at a time.
func (s *Store) EvidenceFile(index int, stepID string) (*EvidenceWriter, error) {
	if index < 0 {
		return nil, fmt.Errorf("evidence file: bad step index %d", index)
	}
	name := EvidenceName(index, stepID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[name] {
		return nil, fmt.Errorf("evidence file %s is already open", name)
	}
	if err := safefile.CheckDir(filepath.Join(s.dir, EvidenceDir)); err != nil {
		return nil, fmt.Errorf("open evidence file: %w", err)
	}
	p := filepath.Join(s.dir, filepath.FromSlash(name))
	f, err := openPrivate(p, os.O_RDWR|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("open evidence file: %w", err)
	}
	n, good, size, err := countLines(f)
	if err == nil && good != size {
		err = f.Truncate(good)
	}
	h := sha256.New()
	if err == nil {
		err = hashPrefix(h, f, good)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open evidence file %s: %w", name, err)
	}
	t := s.track(name)
	t.h, t.size, t.sum = h, good, ""
	s.open[name] = true
	if size == 0 { // a new file: its entry in evidence/ is made durable by the next Sync
		s.pending = append(s.pending, func() error { return safefile.SyncDir(filepath.Join(s.dir, EvidenceDir)) })
	}
	return &EvidenceWriter{store: s, name: name, f: f, n: n, size: good}, nil
}

// hashPrefix feeds the first n bytes of f to h.
func hashPrefix(h io.Writer, f *os.File, n int64) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.CopyN(h, f, n)
	return err
}

// countLines counts complete lines without reading the file into memory, and
// returns the offset just after the last newline.
func countLines(f *os.File) (n int, good, size int64, err error) {
	if fi, err := f.Stat(); err != nil {
		return 0, 0, 0, err
	} else if fi.Size() > MaxEvidenceFile {
		return 0, 0, 0, fmt.Errorf("%s, over the %s limit", safefile.Size(fi.Size()), safefile.Size(MaxEvidenceFile))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, 0, err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		chunk, err := r.ReadSlice('\n')
		size += int64(len(chunk))
		if err == nil {
			n++
			good = size
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			return n, good, size, nil
		}
		return 0, 0, 0, err
	}
}

// Name is the file's path relative to the run directory.
func (w *EvidenceWriter) Name() string { return w.name }

// Write appends one record and returns its reference
// ("evidence/004-revoke.jsonl#7") for findings and the journal to cite.
// The record is written before Write returns and nothing of v is kept, so
// the caller may reuse v's memory then (playbook's recorder reuses the
// buffer of a redact.JSONText).
func (w *EvidenceWriter) Write(kind string, v any) (ref string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return "", fmt.Errorf("evidence file %s is closed", w.name)
	}
	line, err := encodeRecord(evidenceRecord{N: w.n + 1, Time: w.store.now(), Kind: kind, Data: v})
	if err != nil {
		return "", fmt.Errorf("encode %s evidence: %w", kind, err)
	}
	defer linePool.Put(&line)
	if _, err := w.f.Write(line); err != nil {
		// Cut a partial record so the next one starts on its own line.
		_ = w.f.Truncate(w.size)
		return "", fmt.Errorf("write evidence %s: %w", w.name, err)
	}
	w.n++
	w.size += int64(len(line))
	w.store.mu.Lock()
	w.store.track(w.name).add(line)
	w.store.unsynced[w.name] = w // synced before the journal line that records it
	w.store.mu.Unlock()
	return w.name + "#" + strconv.Itoa(w.n), nil
}

// Sync flushes written records to stable storage.
func (w *EvidenceWriter) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	return w.f.Sync()
}

// Close syncs and closes the file. Closing twice is harmless. A failed
// sync also stops the journal: no line may record bytes that are not on
// disk.
func (w *EvidenceWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	serr := w.f.Sync()
	err := errors.Join(serr, w.f.Close())
	w.store.mu.Lock()
	delete(w.store.open, w.name)
	if serr == nil {
		delete(w.store.unsynced, w.name)
	} else if w.store.broken == nil {
		w.store.broken = fmt.Errorf("sync evidence %s: %w", w.name, serr)
	}
	w.store.mu.Unlock()
	return err
}

// linePool keeps the buffers of evidence lines: an Email Activity run
// writes hundreds of 200 KB lines, each garbage once written and hashed.
var linePool = sync.Pool{New: func() any { return new([]byte) }}

// encodeRecord is json.Marshal(rec) plus a newline, in a buffer of
// linePool. Data that is a redact.JSONText encoding/json wrote unchanged
// (Valid) is spliced in as it is: json.Marshal would validate and copy it
// again (as a json.RawMessage) to the same bytes, for as much CPU as
// encoding it took. Any other Data is encoded as before.
func encodeRecord(rec evidenceRecord) ([]byte, error) {
	if t, ok := rec.Data.(redact.JSONText); ok {
		if t.Valid() {
			rec.Data = nil
			head, err := json.Marshal(rec)
			if err != nil {
				return nil, err
			}
			// head ends with "null}": the encoded record without its data.
			if head, ok := bytes.CutSuffix(head, []byte("null}")); ok {
				buf := *linePool.Get().(*[]byte)
				return append(append(append(buf[:0], head...), t.Bytes()...), '}', '\n'), nil
			}
		}
		rec.Data = json.RawMessage(t.Bytes())
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
