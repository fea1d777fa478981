package chatops

import "bytes"
import "encoding/json"
import "errors"
import "fmt"
import "io/fs"
import "os"
import "path/filepath"
import "slices"

import "github.com/keyir/keyir/safefile"

// The replay record on disk is a log: a header line, then one line per
// admitted request, queued when it is admitted and written and synced by
// the group commit that makes it durable (linebuf.go). Every command waits for that commit
// before it is answered, so the record costs one fsync of an appended file
// there, not a temporary file, a rename and a directory fsync in a row (as
// when it was rewritten whole on each commit). It is rewritten whole (the
// live entries, through a temporary file and a rename) at start, once it
// holds replayLogLines lines, and after a failed write.
//
//	{"version":2,"fence":1800000000}
//	{"k":"h:…","exp":1800000360}
//
// A last line without its newline is a write that a crash cut short: its
// commit never returned, so no request depended on it, and it is dropped.
// Any other line that does not parse makes the record unreadable (see
// loadReplay). The file keeps its name, replay.json, and the older format
// (one JSON object, replayDisk) is still read.

// replayLogLines: a rewrite once the log holds this many lines. With the
// appends that can follow before the next commit (at most one per entry)
// the file stays under maxReplayFile: 2 × 4096 lines of 92 bytes.
const replayLogLines = maxReplayEntries

// errReplayUnreadable: the file is regular and within its cap but is not
// a replay record.
var errReplayUnreadable = errors.New("not a replay record")

// replayLog is the open file and what the next commit must do with it;
// guarded by replayCache.mu.
type replayLog struct {
	f        *os.File
	lines    int      // lines in f, and pending
	unsynced []string // keys appended since the last fsync began
	pending  lineBuf  // their lines, not yet written: the commit writes them (linebuf.go)
	rewrite  bool     // the next commit rewrites the file (a write failed)
	closeErr error    // what close's write and fsync returned (f is nil since)
}

type replayHeader struct {
	Version int   `json:"version"`
	Fence   int64 `json:"fence,omitempty"`
}

// readReplay reads the record at path in either format, and its size. A
// missing file is an empty record.
func readReplay(path string) (replayDisk, int, error) {
	var d replayDisk
	b, err := safefile.ReadFile(path, maxReplayFile)
	if errors.Is(err, fs.ErrNotExist) {
		return d, 0, nil
	}
	if err != nil {
		return d, 0, err
	}
	if json.Unmarshal(b, &d) == nil && d.Version == 1 && len(d.Entries) <= maxReplayEntries {
		d.Entries = slices.DeleteFunc(d.Entries, func(e replayEntry) bool { return e.Key == "" })
		return d, len(b), nil
	}
	d = replayDisk{}
	rest, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		// The torn last line: everything after the last newline.
		i := bytes.LastIndexByte(b, '\n')
		if i < 0 {
			return d, len(b), errReplayUnreadable
		}
		rest = b[:i]
	}
	lines := bytes.Split(rest, []byte("\n"))
	var h replayHeader
	if err := json.Unmarshal(lines[0], &h); err != nil || h.Version != 2 {
		return d, len(b), errReplayUnreadable
	}
	d.Version, d.Fence = 2, h.Fence
	for _, l := range lines[1:] {
		var e replayEntry
		if err := json.Unmarshal(l, &e); err != nil || e.Key == "" {
			return replayDisk{}, len(b), errReplayUnreadable
		}
		d.Entries = append(d.Entries, e)
	}
	return d, len(b), nil
}

// appendLocked writes key's line; the next commit makes it durable.
func (c *replayCache) appendLocked(key string, exp int64) error {
	if c.log.f == nil {
		return errors.New("replay record is closed")
	}
	line, err := json.Marshal(replayEntry{Key: key, Expires: exp})
	if err != nil {
		return err
	}
	c.log.pending.add(append(line, '\n'))
	c.log.lines++
	c.log.unsynced = append(c.log.unsynced, key)
	return nil
}

// sync is the record's part of a group commit: an fsync of the log, or a
// rewrite when one is due. Admissions go on while the fsync runs; their
// lines wait for the next commit.
func (c *replayCache) sync() error {
	c.mu.Lock()
	if c.log.rewrite || c.log.lines >= replayLogLines {
		err := c.rewriteLocked()
		c.mu.Unlock()
		return err
	}
	f, n, closeErr := c.log.f, len(c.log.unsynced), c.log.closeErr
	var err error
	if f != nil {
		// The lines of exactly unsynced[:n]: both grow together under mu.
		_, err = c.log.pending.writeTo(f)
	}
	c.mu.Unlock()
	if f == nil {
		if n == 0 {
			return closeErr // closed: close wrote and synced every line, or says why not
		}
		return errors.New("replay record is closed")
	}
	if err == nil {
		err = f.Sync()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log.f != f {
		// close replaced the log while this fsync ran (serve stopping):
		// it wrote, synced and forgot every line itself, so unsynced is
		// no longer the list n counted. The lines are durable if this
		// fsync or close's succeeded.
		if err != nil && c.log.closeErr != nil {
			return fmt.Errorf("replay record closed during its commit: %w", errors.Join(err, c.log.closeErr))
		}
		return nil
	}
	if err != nil {
		// Which lines reached the disk (a write may have stopped part
		// way) is unknown: their requests are
		// refused (and forgotten, so they can be sent again), and the
		// next commit rewrites the file from what is remembered.
		c.forgetLocked(c.log.unsynced[:n])
		c.log.rewrite = true
	}
	c.log.unsynced = c.log.unsynced[n:]
	return err
}

func (c *replayCache) forgetLocked(keys []string) {
	for _, k := range keys {
		delete(c.entries, k)
	}
}

// rewriteLocked replaces the file with the live entries (temporary file,
// fsync, rename, directory fsync) and appends to the new one from then on.
// On failure the entries not yet durable are forgotten, and the next
// commit tries again.
func (c *replayCache) rewriteLocked() error {
	pending := c.log.unsynced
	c.log.pending.drop() // the whole file is written from the entries
	err := c.writeWhole()
	if err != nil {
		c.forgetLocked(pending)
		c.log.rewrite = true
	}
	c.log.unsynced = nil
	return err
}

func (c *replayCache) writeWhole() error {
	t := c.now().Unix()
	h := replayHeader{Version: 2}
	if c.fence+fenceLife > t {
		h.Fence = c.fence
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b) // one line per value
	if err := enc.Encode(h); err != nil {
		return err
	}
	lines := 1
	for k, exp := range c.entries {
		if exp > t {
			if err := enc.Encode(replayEntry{Key: k, Expires: exp}); err != nil {
				return err
			}
			lines++
		}
	}
	dir := filepath.Dir(c.path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(c.path)+".tmp-*")
	if err != nil {
		return err
	}
	if err = f.Chmod(0o600); err == nil {
		_, err = f.Write(b.Bytes())
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path)
		if err == nil {
			// In place: from here it is the record, kept even if its
			// name's sync fails (the next commit rewrites it again).
			c.swapLocked(f, lines)
			return safefile.SyncDir(dir)
		}
	}
	f.Close()
	os.Remove(f.Name())
	return fmt.Errorf("replay record: %w", err)
}

// swapLocked makes f, which holds lines lines, the file appended to.
func (c *replayCache) swapLocked(f *os.File, lines int) {
	if c.log.f != nil {
		c.log.f.Close()
	}
	// The new file's offset is at its end: later writes append.
	c.log = replayLog{f: f, lines: lines}
}

// close syncs and closes the log; admissions after it fail.
func (c *replayCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log.f == nil {
		return nil
	}
	_, werr := c.log.pending.writeTo(c.log.f)
	err := errors.Join(werr, c.log.f.Sync(), c.log.f.Close())
	c.log.f, c.log.unsynced, c.log.closeErr = nil, nil, err
	return err
}
