package redact

import (
	"bytes"
	"io"
	"sync"
)

// Writer redacts everything written through it. It holds back an incomplete
// line until its newline arrives (or Flush), so a secret split across two
// Write calls is still caught.
type Writer struct {
	mu  sync.Mutex
	r   *Redactor
	w   io.Writer
	buf []byte
}

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
	if i < 0 {
		return len(p), nil
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
