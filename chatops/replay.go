package chatops

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/keyir/keyir/safefile"
)

// Replay protection. slack-go's verifier accepts a signed request for five
// minutes either side of its timestamp and does not de-duplicate, so keyir
// remembers every request it accepted, by content, for that window.
//
// The key is a hash of what the signature covers ("v0:" + timestamp + ":" +
// body), never the signature text: hex is case-insensitive for the verifier,
// so "v0=ABCD…" and "v0=abcd…" are one signature and must be one request.
//
// The record lives in DATA_DIR/replay.json, rewritten atomically and synced
// before the request is acted on, so a replay after a restart (or a crash)
// is refused too.
const (
	// replayWindow is Slack's signature window (either direction).
	replayWindow = 5 * time.Minute
	// replayMargin covers a small clock step between the verifier's check
	// and ours.
	replayMargin = time.Minute
	// maxReplayEntries bounds the record: at most this many requests within
	// one window (Slack sends a handful a minute). When full, requests are
	// refused (503) rather than accepted unrecorded.
	maxReplayEntries = 4096
	// fenceLife is how long a fence matters, in seconds: after it, every
	// request signed before it is outside the window anyway.
	fenceLife = int64((replayWindow + replayMargin) / time.Second)
	// maxReplayFile bounds the read of replay.json: an entry is under 100
	// bytes.
	maxReplayFile = 1 << 20
	// ReplayFile is the record's name in the data directory.
	ReplayFile = "replay.json"
)

// Outcomes of replayCache.admit.
var (
	errReplayed = errors.New("replayed request")
	// errFenced: the record was unreadable at start, so a request signed
	// before that start may have been seen; it is refused.
	errFenced = errors.New("signed before keyir serve started with an unreadable replay record")
	errFull   = errors.New("replay record full")
)

type replayCache struct {
	path string
	now  func() time.Time
	max  int // entries; maxReplayEntries

	mu      sync.Mutex
	entries map[string]int64 // content key → expiry (Unix seconds)
	// fence, when set: requests whose timestamp is not after it are
	// refused (see loadReplay).
	fence int64
	// tmp is the record written by the running commit, before its rename
	// (only the commit's goroutine touches it: commits run one at a time).
	tmp string
}

type replayDisk struct {
	Version int           `json:"version"`
	Entries []replayEntry `json:"entries"`
	// Fence is kept while it matters (its window), so a second restart
	// soon after the first does not forget it.
	Fence int64 `json:"fence,omitempty"`
}

type replayEntry struct {
	Key     string `json:"k"`
	Expires int64  `json:"exp"`
}

// loadReplay reads DATA_DIR/replay.json. A missing file is an empty record.
// A link, a special file or a file over the cap is refused (keyir serve
// exits 2 naming it): that is not something keyir wrote. A file that is
// regular but unparseable (a disk fault, an edit) is kept as
// replay.json.unreadable for inspection, and the cache is fenced at now:
// every request signed at or before this start is refused for the rest of
// its window, since any of them may have been accepted before. Requests
// signed after the start are unaffected. (This assumes Slack's clock is not
// ahead of ours; both run NTP.) The fence is written with the record, so it
// holds across another restart. The returned note says what happened, for
// the log and the audit.
func loadReplay(dataDir string, now func() time.Time) (*replayCache, string, error) {
	c := &replayCache{path: filepath.Join(dataDir, ReplayFile), now: now, max: maxReplayEntries, entries: map[string]int64{}}
	b, err := safefile.ReadFile(c.path, maxReplayFile)
	if errors.Is(err, fs.ErrNotExist) {
		return c, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var d replayDisk
	t := now().Unix()
	if err := json.Unmarshal(b, &d); err != nil || d.Version != 1 || len(d.Entries) > maxReplayEntries {
		c.fence = t
		kept := c.path + ".unreadable"
		if err := os.Rename(c.path, kept); err != nil {
			kept = "not kept: " + err.Error()
		}
		// Written now, so the fence holds even if no request comes before
		// the next restart.
		if err := c.flush(); err != nil {
			return nil, "", err
		}
		return c, fmt.Sprintf("%s was unreadable (%d bytes, not a replay record; %s); requests signed before %s are refused as possible replays",
			c.path, len(b), kept, now().UTC().Format(time.RFC3339)), nil
	}
	if d.Fence+fenceLife > t {
		c.fence = d.Fence
	}
	for _, e := range d.Entries {
		if e.Expires > t && len(e.Key) <= 80 {
			c.entries[e.Key] = e.Expires
		}
	}
	return c, "", nil
}

// contentKey names a signed HTTP request by what its signature covers.
func contentKey(timestamp string, body []byte) string {
	h := sha256.New()
	h.Write([]byte("v0:" + timestamp + ":"))
	h.Write(body)
	return "h:" + hex.EncodeToString(h.Sum(nil))
}

// envelopeKey names a Socket Mode envelope (its id is Slack's).
func envelopeKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return "e:" + hex.EncodeToString(h[:])
}

// admit records key for a request signed at ts (Unix seconds; negative for
// a Socket Mode envelope, which carries no signing time) and reports
// whether it may proceed: nil the first time; errReplayed after; errFenced
// for a request from before a lost record; errFull; or a write error, in
// which case nothing is recorded and the request must not run.
func (c *replayCache) admit(key string, ts int64) error {
	durable, err := c.admitQueued(key, ts)
	if err != nil {
		return err
	}
	return durable()
}

// admitQueued is admit without the wait: a refusal comes at once; an
// admission comes with the wait for its record's commit, so that the
// command's own writes can join that commit (HandleCommand). The request
// must not act, nor be answered, before the wait has returned nil.
func (c *replayCache) admitQueued(key string, ts int64) (func() error, error) {
	now := c.now()
	c.mu.Lock()
	t := now.Unix()
	if ts < 0 {
		ts = t
	} else if c.fence != 0 && ts <= c.fence {
		c.mu.Unlock()
		return nil, errFenced
	}
	if exp, ok := c.entries[key]; ok && exp > t {
		c.mu.Unlock()
		return nil, errReplayed
	}
	for k, exp := range c.entries {
		if exp <= t {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= c.max {
		c.mu.Unlock()
		return nil, errFull
	}
	// The verifier accepts ts until ts+window by its clock; a request
	// signed "now" by a clock behind ours is covered from now.
	c.entries[key] = max(ts, t) + int64((replayWindow + replayMargin).Seconds())
	c.mu.Unlock()
	durable := c.flushQueued()
	return sync.OnceValue(func() error {
		err := durable()
		if err != nil {
			// Not on disk: forget it, so the request (which is refused)
			// can be sent again.
			c.mu.Lock()
			delete(c.entries, key)
			c.mu.Unlock()
		}
		return err
	}), nil
}

// flush returns once the entries admitted before it was called are on
// disk. It joins the group commit (commit.go): the record is rewritten once
// per commit, from the entries as they are when the commit runs, so every
// admission queued for that commit is in it, and commits run one after the
// other, so a later record never is renamed into place before an earlier
// one. (Before, each flush waited for the previous one and then for a
// commit of its own: a burst of admissions paid a chain of them.)
func (c *replayCache) flush() error { return c.flushQueued()() }

// flushQueued queues the rewrite and returns the wait for it.
func (c *replayCache) flushQueued() func() error {
	return disk.enqueue(&commitItem{file: c, sync: c.writeTemp, rename: c.rename, dir: filepath.Dir(c.path)})
}

// writeTemp writes the record as it is now to a new temporary file and
// syncs it; rename then moves it into place (one commit does both).
func (c *replayCache) writeTemp() error {
	c.mu.Lock()
	d := replayDisk{Version: 1, Entries: make([]replayEntry, 0, len(c.entries))}
	if c.fence+fenceLife > c.now().Unix() {
		d.Fence = c.fence
	}
	for k, exp := range c.entries {
		d.Entries = append(d.Entries, replayEntry{Key: k, Expires: exp})
	}
	c.mu.Unlock()
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(c.path), "."+filepath.Base(c.path)+".tmp-*")
	if err != nil {
		return err
	}
	if err = f.Chmod(0o600); err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	c.tmp = f.Name()
	return nil
}

func (c *replayCache) rename() error {
	tmp := c.tmp
	c.tmp = ""
	if err := os.Rename(tmp, c.path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// parseTimestamp reads X-Slack-Request-Timestamp as the verifier does.
func parseTimestamp(s string) (int64, error) {
	return strconv.ParseInt(s, 10, 64)
}
