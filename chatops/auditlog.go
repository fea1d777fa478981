package chatops

// The audit log: who asked serve for what, one JSON line an event,
// appended and synced by the group commit (commit.go, linebuf.go).

import "errors"
import "os"
import "path/filepath"
import "sync"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

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
	AuditUnacknowledged     = "unacknowledged_request_failed"
)

// auditLog appends JSON lines, each synced before write returns, to a 0600
// file opened for append.
type auditLog struct {
	mu      sync.Mutex // guards writes
	f       *os.File
	path    string
	size    int64   // bytes appended: where the next line starts in f
	pending lineBuf // appended, not yet written: the next commit writes them (linebuf.go)
	red     *redact.Redactor
	now     func() time.Time
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
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	a := &auditLog{f: f, path: path, size: st.Size(), red: red, now: now}
	if err := a.endTornLine(); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

func (a *auditLog) write(ev AuditEvent) error {
	if err := a.append(ev); err != nil {
		return err
	}
	return a.commit()()
}

// commit queues the log's fsync for the next group commit and returns the
// wait for it: once it returns nil, every line appended before commit was
// called is on disk.
func (a *auditLog) commit() func() error {
	return disk.enqueue(&commitItem{file: a, sync: a.sync})
}

// append writes the line without waiting for it to be durable: a caller
// that has more to write before it answers commits once for all of it.
func (a *auditLog) append(ev AuditEvent) error {
	_, err := a.appendAt(ev)
	return err
}

// appendAt is append, also saying where the line ends in the file.
func (a *auditLog) appendAt(ev AuditEvent) (int64, error) {
	if ev.Time.IsZero() {
		ev.Time = a.now().UTC()
	}
	// Encoded and redacted in one pass over the encoding, without the two
	// copies Bytes makes (the same search, the same result).
	b, err := a.red.JSON(ev)
	if err != nil {
		return 0, err
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return 0, errors.New("audit log is closed")
	}
	a.pending.add(b)
	a.size += int64(len(b))
	return a.size, nil
}

// sync writes the lines appended since the last commit and fsyncs the log;
// after close there is nothing left to sync (close wrote and synced it).
func (a *auditLog) sync() error {
	a.mu.Lock()
	f := a.f
	var err error
	if f != nil {
		err = a.flushLocked()
	}
	a.mu.Unlock()
	if f == nil || err != nil {
		return err
	}
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}

func (a *auditLog) close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := errors.Join(a.flushLocked(), a.f.Sync(), a.f.Close())
	a.f = nil
	return err
}

// flushLocked writes the pending lines; a.mu is held. Bytes that did not
// reach the file are taken off size, so that the next line's offset is
// where it will be written.
func (a *auditLog) flushLocked() error {
	rest, err := a.pending.writeTo(a.f)
	a.size -= int64(rest)
	return err
}
