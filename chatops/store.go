package chatops

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/keyir/keyir/redact"
	"github.com/keyir/keyir/safefile"
)

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
	// SecretLost: the server restarted while the request held the leaked
	// key in memory; the run goes by key id (the id-only proof).
	SecretLost bool `json:"secret_lost,omitempty"`
}

// Active reports whether the request holds its key's slot: one request
// (pending, running, or interrupted and not yet resolved) per key at a time.
func (r *Request) Active() bool {
	return r.State == StatePending || r.State == StateApproved || r.State == StateInterrupted
}

// store persists requests, one file each, written with safefile.WriteAtomic
// (temporary file, fsync, rename, fsync of the directory; a link in the way is
// replaced, never written through), 0600 in a 0700 directory. Files are read
// back through safefile, capped: a link, a special file or an outsized file
// in the directory is refused with its path.
type store struct {
	dir string
	red *redact.Redactor

	mu      sync.Mutex
	locks   map[string]*sync.Mutex // per request file
	written map[string]int64       // version on disk
}

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
	return &store{dir: dir, red: red, locks: map[string]*sync.Mutex{}, written: map[string]int64{}}, nil
}

func (s *store) save(r *Request) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	// Nothing secret is in a Request; redact anyway, it is going to disk.
	b = s.red.Bytes(b)
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
	if err := safefile.WriteAtomic(filepath.Join(s.dir, r.ID+".json"), b, 0o600); err != nil {
		return err
	}
	s.mu.Lock()
	s.written[r.ID] = r.Version
	s.mu.Unlock()
	return nil
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

// AuditEvent is one line of the audit log. It names the key by id and
// fingerprint only.
type AuditEvent struct {
	Time        time.Time `json:"time"`
	Event       string    `json:"event"`
	Transport   string    `json:"transport,omitempty"`
	Team        string    `json:"team,omitempty"`
	User        string    `json:"user,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	Verb        string    `json:"verb,omitempty"`
	Decision    string    `json:"decision,omitempty"` // allow, deny
	Reason      string    `json:"reason,omitempty"`
	Request     string    `json:"request,omitempty"`
	KeyID       string    `json:"key_id,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	DryRun      bool      `json:"dry_run,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	RunDir      string    `json:"run_dir,omitempty"`
	RunStatus   string    `json:"run_status,omitempty"`
	ExitCode    *int      `json:"exit_code,omitempty"`
	Remote      string    `json:"remote,omitempty"`
}

// Audit event names.
const (
	AuditVerificationFailed = "verification_failed"
	AuditCommand            = "command"
	AuditAuthorization      = "authorization"
	AuditPlanPosted         = "plan_posted"
	AuditApproval           = "approval"
	AuditApprovalRefused    = "approval_refused"
	AuditCancellation       = "cancellation"
	AuditExpiry             = "expiry"
	AuditRunStarted         = "run_started"
	AuditRunOutcome         = "run_outcome"
	AuditRestored           = "restored"
	AuditReplayRecordLost   = "replay_record_lost"
)

// auditLog appends JSON lines, each synced before Write returns, to a 0600
// file opened for append.
type auditLog struct {
	mu     sync.Mutex // guards writes and seq
	f      *os.File
	red    *redact.Redactor
	now    func() time.Time
	seq    int64 // lines written
	syncMu sync.Mutex
	synced int64 // lines known to be on disk
}

func openAudit(path string, red *redact.Redactor, now func() time.Time) (*auditLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := safefile.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return &auditLog{f: f, red: red, now: now}, nil
}

func (a *auditLog) write(ev AuditEvent) error {
	if ev.Time.IsZero() {
		ev.Time = a.now().UTC()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	b = append(a.red.Bytes(b), '\n')
	a.mu.Lock()
	if _, err := a.f.Write(b); err != nil {
		a.mu.Unlock()
		return err
	}
	a.seq++
	mine := a.seq
	a.mu.Unlock()
	// Group commit: one fsync covers every line written before it, so a
	// burst of events costs a few syncs, not one each; no event returns
	// before its line is on disk.
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	if a.synced >= mine {
		return nil
	}
	a.mu.Lock()
	upto := a.seq
	a.mu.Unlock()
	if err := a.f.Sync(); err != nil {
		return err
	}
	a.synced = upto
	return nil
}

func (a *auditLog) close() error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Close()
}
