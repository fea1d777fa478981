package chatops

import "bytes"
import "encoding/json"
import "maps"
import "path/filepath"

// The applier brings request files up to the versions the log holds, after
// the saves that logged them have returned: a file's temporary file and
// rename cost as much CPU as the rest of a save and made nothing more
// durable (the log line, synced, is what a restart reads; store). One
// applier runs at a time, started by a save and ending when nothing is
// left; a checkpoint (store_segment.go) replaces whatever it has not
// reached before the segment naming it is removed.

// pendingFile is a logged version whose file is not yet replaced.
type pendingFile struct {
	version int64
	line    []byte // the log line (redacted), without its newline
}

// data is the file's content: the line, indented. Marshalling and
// redacting the request a second time for it cost a third of a save's
// CPU before the acknowledgement; indenting JSON changes no string in it.
func (p pendingFile) data() []byte {
	var b bytes.Buffer
	if json.Indent(&b, p.line, "", "  ") != nil {
		return p.line // what a restart reads from the log anyway
	}
	return b.Bytes()
}

// applyFiles off leaves every file to the checkpoints and to the next start (a
// test's crash with every acknowledged request only in the log).
var applyFiles = true

// applyLocked starts the applier unless it runs or has nothing to do. The
// caller holds s.mu.
func (s *store) applyLocked() {
	if !applyFiles || s.applying != nil || len(s.files) == 0 || s.broken != nil {
		return
	}
	done := make(chan struct{})
	s.applying = done
	go s.apply(done)
}

func (s *store) apply(done chan struct{}) {
	defer close(done)
	for {
		// Replacing files is background work too: it yields to the
		// acknowledgements owed (background.go), as long as settle does
		// not wait for it.
		s.acks.quiet(s.hurry)
		s.mu.Lock()
		if len(s.files) == 0 || s.broken != nil {
			s.applying = nil
			s.mu.Unlock()
			return
		}
		batch := maps.Clone(s.files)
		s.mu.Unlock()
		err := s.replaceFiles(batch)
		s.mu.Lock()
		for name, p := range batch {
			// A newer version saved meanwhile stays for the next round.
			if cur, ok := s.files[name]; ok && cur.version <= p.version && err == nil {
				delete(s.files, name)
			}
		}
		if err != nil {
			// Left for the checkpoint, which fails the store if it fails
			// too; the log still holds every version.
			s.applying = nil
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// replaceFiles replaces each file with its version unless a version as new
// is already in it (a checkpoint and the applier may hold the same one).
func (s *store) replaceFiles(files map[string]pendingFile) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	for name, p := range files {
		if s.replaced[name] >= p.version {
			continue
		}
		if err := replaceFile(filepath.Join(s.dir, name), p.data()); err != nil {
			return err
		}
		s.replaced[name] = p.version
	}
	return nil
}

// settle waits until every request file holds the newest version saved
// and no checkpoint runs (Shutdown; tests that read the files), unless
// replacing one fails.
func (s *store) settle() {
	defer s.waitCheckpoint()
	s.mu.Lock()
	select {
	case <-s.hurry:
	default:
		close(s.hurry)
	}
	s.applyLocked()
	done := s.applying
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}
