package chatops

import "crypto/sha256"
import "encoding/hex"
import "errors"
import "fmt"
import "os"
import "path/filepath"
import "strconv"
import "sync"
import "time"

// Replay protection. slack-go's verifier accepts a signed request for five
// minutes either side of its timestamp and does not de-duplicate, so keyir
// remembers every request it accepted, by content, for that window.
//
// The key is a hash of what the signature covers ("v0:" + timestamp + ":" +
// body), never the signature text: hex is case-insensitive for the verifier,
// so "v0=ABCD…" and "v0=abcd…" are one signature and must be one request.
//
// The record lives in DATA_DIR/replay.json, a log appended and synced
// before the request is acted on (replay_log.go), so a replay after a
// restart (or a crash) is refused too.
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
	fence  int64
	pruned int64     // the second of the last pruning
	log    replayLog // the file (replay_log.go)
}

// replayDisk is the record as keyir wrote it before it became a log
// (replay_log.go): one JSON object, rewritten whole. It is still read, so
// that an upgrade forgets no request inside its window.
type replayDisk struct {
	Version int           `json:"version"`
	Entries []replayEntry `json:"entries"`
	Fence   int64         `json:"fence,omitempty"`
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
// holds across another restart. The record is then rewritten from what was
// read (expired entries and a torn last line dropped) and opened for
// appending. The returned note says what happened, for the log and the
// audit.
func loadReplay(dataDir string, now func() time.Time) (*replayCache, string, error) {
	c := &replayCache{path: filepath.Join(dataDir, ReplayFile), now: now, max: maxReplayEntries, entries: map[string]int64{}}
	t := now().Unix()
	rec, n, err := readReplay(c.path)
	note := ""
	switch {
	case errors.Is(err, errReplayUnreadable):
		c.fence = t
		kept := c.path + ".unreadable"
		if err := os.Rename(c.path, kept); err != nil {
			kept = "not kept: " + err.Error()
		}
		note = fmt.Sprintf("%s was unreadable (%d bytes, not a replay record; %s); requests signed before %s are refused as possible replays",
			c.path, n, kept, now().UTC().Format(time.RFC3339))
	case err != nil:
		return nil, "", err
	default:
		if rec.Fence+fenceLife > t {
			c.fence = rec.Fence
		}
		for _, e := range rec.Entries {
			if e.Expires > t && len(e.Key) <= 80 {
				c.entries[e.Key] = e.Expires
			}
		}
	}
	// Written now, so that a fence holds even if no request comes before
	// the next restart, and appends never follow a torn line.
	c.mu.Lock()
	err = c.rewriteLocked()
	c.mu.Unlock()
	if err != nil {
		return nil, "", err
	}
	return c, note, nil
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
	// Expiries are whole seconds: one pruning per second removes every
	// expired entry (a pass per admission made a burst quadratic).
	if t != c.pruned {
		c.pruned = t
		for k, exp := range c.entries {
			if exp <= t {
				delete(c.entries, k)
			}
		}
	}
	if len(c.entries) >= c.max {
		c.mu.Unlock()
		return nil, errFull
	}
	// The verifier accepts ts until ts+window by its clock; a request
	// signed "now" by a clock behind ours is covered from now.
	exp := max(ts, t) + int64((replayWindow + replayMargin).Seconds())
	c.entries[key] = exp
	if err := c.appendLocked(key, exp); err != nil {
		delete(c.entries, key)
		c.mu.Unlock()
		return nil, err
	}
	c.mu.Unlock()
	return c.flushQueued(), nil
}

// flushQueued queues the log's fsync for the next group commit (commit.go)
// and returns the wait for it. One fsync of an appended file, no temporary
// file and rename (replay_log.go): the replay record is in every command's
// commit, so its cost is every command's.
func (c *replayCache) flushQueued() func() error {
	return disk.enqueue(&commitItem{file: c, sync: c.sync})
}

// parseTimestamp reads X-Slack-Request-Timestamp as the verifier does.
func parseTimestamp(s string) (int64, error) {
	return strconv.ParseInt(s, 10, 64)
}
