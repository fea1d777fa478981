package runstore

import "fmt"

// release is an evidence file whose fsync and close run in the background
// (see EvidenceWriter.Release).
type release struct {
	done chan struct{}
	err  error // of the fsync; set before done is closed
}

// Release ends w like Close, without waiting for the disk: the file is
// synced and closed in the background, and the next Store.Sync waits for
// that before the journal's fsync, so no line that records the file's bytes
// is made durable before they are. A step's end line is only written, never
// synced, at once (see Write), so the step need not wait for its evidence's
// fsync either: the next step's commit does, overlapping it with whatever
// comes before, or while a read-only next step already acts. A failed fsync
// fails that Sync and leaves the journal unusable, as Close's does.
// Releasing twice, or after Close, is harmless.
func (w *EvidenceWriter) Release() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	f, s, r := w.f, w.store, &release{done: make(chan struct{})}
	s.mu.Lock()
	delete(s.open, w.name)
	delete(s.unsynced, w.name) // r is synced instead
	s.releasing[w.name] = r
	s.pending = append(s.pending, func() error { return s.released(w.name, r) })
	s.mu.Unlock()
	// w.mu stays locked until the file is synced: a Sync that took w from
	// unsynced before this call (w.Sync, which returns at once for a closed
	// writer) waits for the fsync like one racing Close does.
	go func() {
		defer w.mu.Unlock()
		defer close(r.done)
		if err := f.Sync(); err != nil {
			r.err = err
		}
		if err := f.Close(); err != nil && r.err == nil {
			r.err = err
		}
	}()
}

// released waits for r, the background fsync and close of evidence file
// name, and forgets it. Store.Sync calls it once, among the fsyncs that come
// before the journal's.
func (s *Store) released(name string, r *release) error {
	<-r.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.releasing[name] == r {
		delete(s.releasing, name)
	}
	if r.err != nil {
		err := fmt.Errorf("sync evidence %s: %w", name, r.err)
		if s.broken == nil {
			s.broken = err
		}
		return err
	}
	return nil
}
