package chatops

import "crypto/rand"
import "encoding/hex"
import "encoding/json"
import "errors"
import "fmt"
import "os"
import "path/filepath"
import "regexp"
import "slices"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

// State is where a request stands. Pending changes once, atomically, to
// approved, cancelled or expired; an approved request runs, then ends.
type State string

const (
	StatePending     State = "pending"
	StateApproved    State = "approved" // the run is starting or running
	StateCancelled   State = "cancelled"
	StateExpired     State = "expired"
	StateFailed      State = "failed"      // the plan could not be posted, or the run could not start
	StateFinished    State = "finished"    // the run ended (see RunStatus, ExitCode)
	StateInterrupted State = "interrupted" // the server stopped during the run: keyir resume RunDir, or abandon (interrupted.go)
)

// Request is one /keyir revoke from request to outcome, as persisted in
// DATA_DIR/requests/ID.json. It never holds the leaked key: HasSecret says
// one was given (kept in memory only).
type Request struct {
	ID          string    `json:"id"`
	State       State     `json:"state"`
	KeyID       string    `json:"key_id"`
	Fingerprint string    `json:"fingerprint"`
	HasSecret   bool      `json:"has_secret"`
	KeyName     string    `json:"key_name,omitempty"`
	KeyScopes   []string  `json:"key_scopes,omitempty"`
	KeyType     string    `json:"key_type,omitempty"`
	KeyFound    bool      `json:"key_found"`
	Incident    string    `json:"incident,omitempty"`
	DryRun      bool      `json:"dry_run"`
	Playbook    string    `json:"playbook"`
	Team        string    `json:"team"`
	Requester   string    `json:"requester"`
	Channel     string    `json:"channel"`
	MessageTS   string    `json:"message_ts,omitempty"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
	DecidedBy   string    `json:"decided_by,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
	RunID       string    `json:"run_id,omitempty"`
	RunDir      string    `json:"run_dir,omitempty"`
	RunStatus   string    `json:"run_status,omitempty"`
	ExitCode    *int      `json:"exit_code,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	Updated     time.Time `json:"updated"`
	// Version counts the changes; a write never replaces a newer one.
	Version int64 `json:"version"`
	// AuditAt: where the command's authorization line ends in the audit
	// log; a first version is checked against it at start (audit_at.go).
	AuditAt int64 `json:"audit_at,omitempty"`
	// SecretLost: the server restarted while the request held the leaked
	// key in memory; the run goes by key id (the id-only proof).
	SecretLost bool `json:"secret_lost,omitempty"`
	// PlaybookSHA: the sha256 of the playbook whose steps the approval
	// message shows; the run refuses any other (run.go).
	PlaybookSHA string `json:"playbook_sha256,omitempty"`
	// KeyReadError: why the key's details could not be read for the plan
	// ("" when they were, or were not asked for).
	KeyReadError string `json:"key_read_error,omitempty"`

	// Kind is "" for a revoke, KindEradicate for a removal of the footholds
	// a finished run left (eradicate.go); both take the same approval.
	Kind string `json:"kind,omitempty"`
	// TokenKind, TokenHuman and TokenInput name a revoked token of another
	// kind than a SendGrid key (provider.KeyKind's Kind, Human and
	// KeyInput; kinds.go): it has no KeyID and goes by Fingerprint.
	TokenKind  string `json:"token_kind,omitempty"`
	TokenHuman string `json:"token_human,omitempty"`
	TokenInput string `json:"token_input,omitempty"`
	// An eradication's parent: the request whose run found the footholds,
	// its run directory and MANIFEST head (verified when the plan was
	// posted, checked again before anything is removed), the thread its
	// messages go to, and the plan as shown for approval.
	ParentRequest string   `json:"parent_request,omitempty"`
	Parent        string   `json:"parent,omitempty"`
	ParentHead    string   `json:"parent_head,omitempty"`
	ThreadTS      string   `json:"thread_ts,omitempty"`
	Items         int      `json:"items,omitempty"`
	PlanLines     []string `json:"plan_lines,omitempty"`
}

func (r *Request) clone() *Request {
	c := *r
	c.KeyScopes = slices.Clone(r.KeyScopes)
	c.PlanLines = slices.Clone(r.PlanLines)
	if r.ExitCode != nil {
		x := *r.ExitCode
		c.ExitCode = &x
	}
	return &c
}

// Active reports whether the request holds its key's slot: one request
// (pending, running, or interrupted and not yet resolved) per key at a time.
func (r *Request) Active() bool {
	return r.State == StatePending || r.State == StateApproved || r.State == StateInterrupted
}

// store persists requests, one file each (DATA_DIR/requests/ID.json, 0600
// in a 0700 directory), read back through safefile, capped: a link, a
// special file or an outsized file in the directory is refused with its
// path.
//
// A change is durable once its line is in the write-ahead log
// (DATA_DIR/requests.log, one JSON line per saved version), synced by the
// group commit (commit.go) that also syncs the audit lines and the other
// records written meanwhile: one fsync covers a burst of requests, where a
// synced file each cost two fsyncs per request. The record's file is
// replaced (temporary file, rename; a link in the way is replaced, never
// written through) after the save has returned, by the applier
// (store_apply.go), and not synced: the log is what survives a crash or a
// power loss, and no temporary file is created on the way to an
// acknowledgement. At start (openStore) every file the log names is
// brought up to the newest version it holds and synced, and only then is
// the log emptied. While serving, the log is a chain of segments
// (store_segment.go): past logCheckpoint the next lines go to a fresh
// segment, and the full one is checkpointed (its files synced, then it is
// removed) in the background, so no save waits for those syncs.
type store struct {
	dir  string // DATA_DIR/requests
	data string // DATA_DIR: the log's segments
	red  *redact.Redactor

	mu      sync.Mutex
	locks   map[string]*sync.Mutex // per request file
	written map[string]int64       // version on disk
	broken  error                  // a failed log write or sync, or checkpoint: nothing more is accepted
	// logMu guards pending, the lines saved and not yet written to log
	// (the commit writes them, linebuf.go), and the segments
	// (store_segment.go). Taken after mu, never before.
	logMu    sync.Mutex
	pending  lineBuf
	log      *os.File        // the active segment
	logSeq   int             // its number
	logSize  int64           // bytes written to it
	logSyncs *sync.WaitGroup // its fsyncs under way: it is closed after them
	touched  map[string]bool // files whose lines are in the active segment or pending
	next     *os.File        // the next segment, created and durable; nil while a checkpoint runs
	ckpt     chan struct{}   // closed when the running checkpoint ends; nil: none runs

	files    map[string]pendingFile // versions logged, their files not yet replaced
	applying chan struct{}          // closed when the running applier ends; nil: none runs
	applyMu  sync.Mutex             // serialises file replacements; taken after mu, never before
	replaced map[string]int64       // version each file was replaced with (applyMu)
	acks     *ackGate               // the applier waits until none is owed (nil: never)
	hurry    chan struct{}          // closed by settle: the applier waits no more
}

// Names and bounds of the write-ahead log.
const (
	requestsLog   = "requests.log"
	maxRequestLog = 256 << 20 // read cap at start; a log this large is not keyir's
)

// logCheckpoint: past this many bytes the active segment is replaced by a
// fresh one and checkpointed (a variable for the tests).
var logCheckpoint int64 = 1 << 20

// validRequestID is what a request id from the log may be: it names a file.
var validRequestID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

func openStore(dataDir string, red *redact.Redactor) (*store, error) {
	dir := filepath.Join(dataDir, "requests")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// Checked before the chmod, which would follow a link.
	for _, d := range []string{dataDir, dir} {
		if err := safefile.CheckDir(d); err != nil {
			return nil, err
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, err
		}
	}
	s := &store{dir: dir, data: dataDir, red: red, locks: map[string]*sync.Mutex{}, written: map[string]int64{}, touched: map[string]bool{},
		files: map[string]pendingFile{}, replaced: map[string]int64{}, hurry: make(chan struct{}), logSyncs: &sync.WaitGroup{}}
	f, err := safefile.OpenFile(filepath.Join(dataDir, requestsLog), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	s.log = f
	if err := s.recover(); err != nil {
		f.Close()
		return nil, fmt.Errorf("request log in %s: %w", dataDir, err)
	}
	return s, nil
}

// syncFile fsyncs the file at path (an fsync through any descriptor
// flushes the file).
func syncFile(path string) error {
	f, err := safefile.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// save makes version r.Version of r durable; it returns once its log line
// is on disk (shared group commit). A version older than the one on disk is
// not written.
func (s *store) save(r *Request) error {
	// Nothing secret is in a Request; redact anyway, it is going to disk.
	// red.JSON is red.Bytes of the encoding (the same search) without
	// its two copies (TestSaveRedactsAsBytesOfTheEncoding). The file's
	// indented form is made from this line by the applier, after the
	// acknowledgement (pendingFile.data).
	line, err := s.red.JSON(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	s.mu.Lock()
	l := s.locks[r.ID]
	if l == nil {
		l = &sync.Mutex{}
		s.locks[r.ID] = l
	}
	s.mu.Unlock()
	l.Lock()
	defer l.Unlock()
	s.mu.Lock()
	stale := s.written[r.ID] >= r.Version && r.Version > 0
	s.mu.Unlock()
	if stale {
		return nil
	}
	name := r.ID + ".json"
	s.mu.Lock()
	if p, ok := s.files[name]; !ok || p.version < r.Version {
		s.files[name] = pendingFile{version: r.Version, line: line[:len(line)-1]}
	}
	if s.broken != nil {
		s.mu.Unlock()
		return fmt.Errorf("request log unusable after an earlier error: %w", s.broken)
	}
	s.logMu.Lock()
	// Before the line, in the same segment's set: the checkpoint of the
	// segment the line lands in replaces and syncs the file.
	s.touched[name] = true
	s.pending.add(line)
	s.logMu.Unlock()
	s.mu.Unlock()
	// after: the audit lines written before this record are synced first
	// when they share its commit. A request's first record needs no such
	// order: it names its authorization line, and a start fails it if
	// that line is not in the audit log (audit_at.go), so both syncs run
	// at once.
	first := r.Version == 1 && r.AuditAt > 0
	if err := disk.commit(&commitItem{file: s, sync: s.syncLog, after: !first}); err != nil {
		// The line may reach the disk later or not: no further write can
		// be trusted to mean what it says, so none is accepted.
		s.mu.Lock()
		if s.broken == nil {
			s.broken = err
		}
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.written[r.ID] = r.Version
	s.applyLocked()
	return nil
}

// replaceFile puts data at path through a temporary file and a rename, so a
// reader never sees half of it; durability is the log's (see store).
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// maxRequestFile bounds a request file: one is about 1 KiB.
const maxRequestFile = 64 << 10

func (s *store) loadAll() ([]*Request, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []*Request
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := safefile.ReadFile(filepath.Join(s.dir, e.Name()), maxRequestFile)
		if err != nil {
			return nil, err
		}
		var r Request
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, &r)
	}
	return out, nil
}

// newRequestID is the opaque id in the approval buttons: random, never
// derived from the key.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}
