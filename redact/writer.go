package redact

import "bytes"
import "io"
import "sync"

// Writer redacts everything written through it. It holds back an incomplete
// line until its newline arrives (or Flush), so a secret split across two
// Write calls is still caught.
type Writer struct {
	mu  sync.Mutex
	r   *Redactor
	w   io.Writer
	buf []byte
}

// maxHold bounds what the Writer keeps back waiting for a line end.
const maxHold = 256 << 10

// NewWriter wraps w.
func NewWriter(r *Redactor, w io.Writer) *Writer { return &Writer{r: r, w: w} }

func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	i := bytes.LastIndexByte(w.buf, '\n')
	// Control characters other than newline (spinner redraws) also end a chunk.
	if j := bytes.LastIndexByte(w.buf, '\r'); j > i {
		i = j
	}
	if i >= 0 {
		// A base64 body written a line at a time: its lines are held back
		// until a line of another kind arrives, so the redactor decodes
		// them joined (a secret cut by a line break) — within maxHold.
		if k := trailingBase64Lines(w.buf[:i+1]); k < i+1 && len(w.buf) <= maxHold {
			i = k - 1
		}
	}
	if i < 0 {
		if len(w.buf) <= maxHold {
			return len(p), nil
		}
		// No line end in sight (a megabyte JSON line, binary): memory stays
		// bounded by writing up to the last blank, keeping the word being
		// written (a key or its encoding) whole in the buffer. A word longer
		// than maxHold/2 is cut; the 12-byte runs of a long secret on both
		// sides of the cut are still caught.
		i = bytes.LastIndexAny(w.buf[:len(w.buf)-1], " \t")
		if i < len(w.buf)-maxHold/2 {
			i = len(w.buf) - maxHold/2
		}
	}
	if _, err := w.w.Write(w.r.Bytes(w.buf[:i+1])); err != nil {
		return 0, err
	}
	w.buf = append(w.buf[:0], w.buf[i+1:]...)
	return len(p), nil
}

// Flush writes any held-back partial line.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.r.Bytes(w.buf))
	w.buf = w.buf[:0]
	return err
}

// trailingBase64Lines returns where the run of complete base64 lines (the
// kind scanRuns joins) at the end of b begins; len(b) when b does not end
// with one. b ends with a line break.
func trailingBase64Lines(b []byte) int {
	start := len(b)
	for start > 0 {
		end := start
		if end > 0 && b[end-1] == '\n' {
			end--
		}
		if end > 0 && b[end-1] == '\r' {
			end--
		}
		k := end
		for k > 0 && b64[b[k-1]] != 0xFF {
			k--
		}
		if end-k < minLine || (end-k)%4 != 0 || (k > 0 && b[k-1] != '\n') {
			break
		}
		start = k
	}
	return start
}
