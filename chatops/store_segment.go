package chatops

import "bytes"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "maps"
import "os"
import "path/filepath"
import "slices"
import "strconv"
import "strings"
import "sync"

import "github.com/keyir/keyir/safefile"

// The request log is a chain of segments: DATA_DIR/requests.log (number
// 0), then requests.log.1, .2, … in the order they were used. Emptying one
// log in place made the save that pushed it past logCheckpoint replace and
// fsync every request file touched since the last emptying, then sync the
// directory and truncate the log, all under the store's lock: every other
// save, so every acknowledgement, waited seconds behind it.
//
// Now the commit that writes the line taking the active segment past
// logCheckpoint switches, in the same step under logMu, to the next
// segment, which was created and made durable (directory synced) before,
// and starts a checkpoint of the full one in the background: replace every
// file it names with the newest version saved, fsync those files, sync the
// directory, and only then remove the segment, sync the data directory and
// create the segment after next. One checkpoint runs at a time; the active
// segment grows past logCheckpoint meanwhile. A save never waits for any
// of it.
//
// Crash safety. A line is acknowledged once its segment is synced. A
// segment is removed only after every file it names holds a version at
// least as new, synced, directory included; a crash before the removal is
// durable leaves it to be applied again, which a newer file on disk wins.
// The commits run one after another (commit.go) and the switch comes after
// a segment's last write, so a torn line (a crash during a write) can only
// end the newest segment that holds any line. Recovery (recover) applies
// every segment, oldest first, newest version winning, with today's rules.

// checkpointStep is called at each step of a checkpoint (the tests copy
// the data directory there: a crash at that point).
var checkpointStep = func(step string) {}

// segmentName is the file name of segment seq.
func segmentName(seq int) string {
	if seq == 0 {
		return requestsLog
	}
	return requestsLog + "." + strconv.Itoa(seq)
}

// segmentSeq parses a segment's file name; ok false: not a segment.
func segmentSeq(name string) (int, bool) {
	if name == requestsLog {
		return 0, true
	}
	rest, found := strings.CutPrefix(name, requestsLog+".")
	if !found {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}

// listSegments returns the numbers of the segments in the data directory,
// oldest first (0, requests.log, is always there: openStore made it).
func (s *store) listSegments() ([]int, error) {
	ents, err := os.ReadDir(s.data)
	if err != nil {
		return nil, err
	}
	var seqs []int
	for _, e := range ents {
		if n, ok := segmentSeq(e.Name()); ok {
			seqs = append(seqs, n)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// readSegments reads every segment, oldest first, bounded in all by
// maxRequestLog. Segment 0 is read through the open log; the others are
// opened without following a link.
func (s *store) readSegments(seqs []int) ([][]byte, error) {
	var out [][]byte
	left := int64(maxRequestLog)
	for _, seq := range seqs {
		var b []byte
		var err error
		if seq == 0 {
			if _, err = s.log.Seek(0, io.SeekStart); err == nil {
				b, err = safefile.ReadAll(s.log, left)
			}
		} else {
			b, err = safefile.ReadFile(filepath.Join(s.data, segmentName(seq)), left)
		}
		if err != nil && seq == 0 {
			err = fmt.Errorf("%s: %w", requestsLog, err)
		}
		if err != nil {
			return nil, err // safefile's error names the path
		}
		left -= int64(len(b))
		out = append(out, b)
	}
	return out, nil
}

// recover applies the log to the files: each request it names gets the
// newest version the log or its file holds, synced; then the log is
// emptied (segment 0 truncated, the others removed) and the next segment
// created. A torn line ending the newest segment that holds any (a crash
// while it was written, never acknowledged) is dropped; any other bad line
// refuses the start.
func (s *store) recover() error {
	seqs, err := s.listSegments()
	if err != nil {
		return err
	}
	segs, err := s.readSegments(seqs)
	if err != nil {
		return err
	}
	newest, versions, err := parseSegments(seqs, segs)
	if err != nil {
		return err
	}
	for id, line := range newest {
		path := filepath.Join(s.dir, id+".json")
		var onDisk Request
		fb, err := safefile.ReadFile(path, maxRequestFile)
		if err == nil && json.Unmarshal(fb, &onDisk) == nil && onDisk.Version > versions[id] {
			// Replaced, never logged: the crash came between the two; keep
			// it (as a file renamed into place always was), synced.
			if err := syncFile(path); err != nil {
				return err
			}
			continue
		}
		var r Request
		_ = json.Unmarshal(line, &r) // parsed above
		out, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := safefile.WriteAtomic(path, out, 0o600); err != nil {
			return err
		}
	}
	if err := safefile.SyncDir(s.dir); err != nil {
		return err
	}
	// Every segment's lines are in synced files now: a crash from here on
	// leaves segments that apply again harmlessly.
	if err := s.log.Truncate(0); err != nil {
		return err
	}
	if err := s.log.Sync(); err != nil {
		return err
	}
	for _, seq := range seqs {
		if seq != 0 {
			if err := os.Remove(filepath.Join(s.data, segmentName(seq))); err != nil {
				return err
			}
		}
	}
	next, err := createSegment(s.data, 1)
	if err != nil {
		return err
	}
	// The removals and the next segment's entry, durable before any line
	// is written: no older segment can come back beside new lines.
	if err := safefile.SyncDir(s.data); err != nil {
		next.Close()
		return err
	}
	s.next = next
	return nil
}

// parseSegments reads the segments' lines (seqs[i] names segs[i], oldest
// first): the newest line of each request, and its version. A torn line
// ending the newest segment that holds any byte is dropped; any other bad
// line is an error naming its segment and line.
func parseSegments(seqs []int, segs [][]byte) (newest map[string][]byte, versions map[string]int64, err error) {
	lastFull := -1 // the newest segment holding any byte
	for i, b := range segs {
		if len(b) > 0 {
			lastFull = i
		}
	}
	newest = map[string][]byte{}
	versions = map[string]int64{}
	for si, b := range segs {
		where := func(i int) string { return fmt.Sprintf("%s: line %d", segmentName(seqs[si]), i+1) }
		lines := bytes.SplitAfter(b, []byte("\n"))
		for i, line := range lines {
			if len(line) == 0 {
				continue
			}
			var r Request
			err := json.Unmarshal(line, &r)
			last := si == lastFull && (i == len(lines)-1 || (i == len(lines)-2 && len(lines[len(lines)-1]) == 0))
			if err != nil || !bytes.HasSuffix(line, []byte("\n")) {
				if last {
					break // torn: its request was never acknowledged
				}
				return nil, nil, fmt.Errorf("%s is not a request record", where(i))
			}
			if !validRequestID().MatchString(r.ID) {
				return nil, nil, fmt.Errorf("%s: invalid request id", where(i))
			}
			if _, seen := versions[r.ID]; !seen || r.Version >= versions[r.ID] {
				versions[r.ID] = r.Version
				newest[r.ID] = bytes.TrimSuffix(line, []byte("\n"))
			}
		}
	}
	return newest, versions, nil
}

// createSegment creates segment seq, empty; the caller syncs the directory
// before it is used.
func createSegment(dataDir string, seq int) (*os.File, error) {
	f, err := safefile.OpenFile(filepath.Join(dataDir, segmentName(seq)), os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// oldSegment is a full segment waiting for its checkpoint.
type oldSegment struct {
	f       *os.File
	seq     int
	syncs   *sync.WaitGroup
	touched map[string]bool
}

// syncLog is the request log's part of a commit: the lines saved since
// the last one are written to the active segment, which is then synced.
// If that took it past logCheckpoint, and the next segment is ready, the
// following lines go to the next one and the full one is checkpointed.
func (s *store) syncLog() error {
	s.logMu.Lock()
	f, syncs := s.log, s.logSyncs
	held := len(s.pending.b)
	rest, err := s.pending.writeTo(f)
	s.logSize += int64(held - rest)
	if err != nil {
		s.logMu.Unlock()
		return err
	}
	syncs.Add(1)
	var old *oldSegment
	if s.logSize > logCheckpoint && s.next != nil && s.ckpt == nil {
		// Every line written to f so far had its file marked in touched
		// first, under logMu: the checkpoint syncs them all. Lines pending
		// from now on mark the fresh set.
		old = &oldSegment{f: f, seq: s.logSeq, syncs: syncs, touched: s.touched}
		s.log, s.logSeq, s.logSize, s.logSyncs = s.next, s.logSeq+1, 0, &sync.WaitGroup{}
		s.next, s.touched, s.ckpt = nil, map[string]bool{}, make(chan struct{})
	}
	s.logMu.Unlock()
	err = f.Sync()
	syncs.Done()
	if old != nil {
		if err != nil {
			// The saves fail and the store with them; no checkpoint runs
			// (none will: ckpt stays set).
			return err
		}
		go s.checkpoint(old)
	}
	return err
}

// checkpoint makes every file old names durable at its newest version,
// then removes old and prepares the segment after the active one. A
// failure fails the store, as a failed log write does.
func (s *store) checkpoint(old *oldSegment) {
	err := s.checkpointSegment(old)
	if err != nil {
		s.mu.Lock()
		if s.broken == nil {
			s.broken = fmt.Errorf("checkpoint of %s: %w", segmentName(old.seq), err)
		}
		s.mu.Unlock()
	}
	s.logMu.Lock()
	done := s.ckpt
	if err == nil {
		s.ckpt = nil
	}
	s.logMu.Unlock()
	close(done)
}

func (s *store) checkpointSegment(old *oldSegment) error {
	s.mu.Lock()
	files := maps.Clone(s.files)
	s.mu.Unlock()
	// Versions at least as new as the segment's lines: a file's pending
	// version was set before its line was (save), and a version the
	// applier took out of files is in the file already.
	if err := s.replaceFiles(files); err != nil {
		return err
	}
	checkpointStep("replaced")
	if err := s.syncTouched(old.touched); err != nil {
		return err
	}
	if err := safefile.SyncDir(s.dir); err != nil {
		return err
	}
	checkpointStep("synced")
	if err := os.Remove(filepath.Join(s.data, segmentName(old.seq))); err != nil {
		return err
	}
	checkpointStep("removed")
	// Its lines' own fsyncs may still run: it is closed after them.
	old.syncs.Wait()
	old.f.Close()
	s.logMu.Lock()
	seq := s.logSeq + 1
	s.logMu.Unlock()
	next, err := createSegment(s.data, seq)
	if err != nil {
		return err
	}
	checkpointStep("created")
	if err := safefile.SyncDir(s.data); err != nil {
		next.Close()
		return err
	}
	s.logMu.Lock()
	s.next = next
	s.logMu.Unlock()
	return nil
}

// Bounds of a checkpoint's file syncs: a few at once, in rounds that wait
// for the acknowledgements owed (background.go). A segment of 1 MiB names
// about 1,700 files; synced all at once they fill the disk's queue ahead
// of the commits' fsyncs, which every acknowledgement waits for.
const (
	ckptSyncs = 8
	ckptRound = 64
)

// syncTouched fsyncs the named files. Each was replaced before (a name is
// marked only once its version is pending): one missing is an error, since
// the segment naming it is removed next.
func (s *store) syncTouched(names map[string]bool) error {
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, ckptSyncs)
	n := 0
	for name := range names {
		if n%ckptRound == 0 {
			s.acks.quiet(s.hurry)
		}
		n++
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := syncFile(filepath.Join(s.dir, name)); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitCheckpoint returns once no checkpoint runs (settle, tests).
func (s *store) waitCheckpoint() {
	s.logMu.Lock()
	done := s.ckpt
	s.logMu.Unlock()
	if done != nil {
		<-done
	}
}
