// Package chatops is keyir serve: the Slack-triggered response. One
// transport-neutral core (Server) decides; two thin adapters feed it: HTTP
// (signed requests, Handler) and Socket Mode (RunSocketMode).
//
// The core gets a request only after the adapter has verified it (signature
// and timestamp over a bounded body for HTTP; the app-level token's
// connection for Socket Mode). It then checks team_id and api_app_id,
// parses the command strictly (anything after "revoke" is treated as leaked
// key material: registered with the redactor at once, never echoed, never
// logged, never persisted), authorizes the user and the channel, and answers
// at once: every slow thing (reading the key's name and scopes, posting the
// plan, the run) happens in the background.
//
// A revoke is a Request: pending until an authorized approver (not the
// requester, for a live run when two_person is on) clicks Approve, or until
// it is cancelled or expires. The change out of pending happens once, under
// a lock, and is persisted before anything starts, so a double click or a
// replayed payload starts nothing twice. One request per key is active at a
// time. The run is playbook.Run with the notification hub anchored on the
// approval message, so progress, findings and report.md land in its thread.
package chatops

import "context"
import "errors"
import "fmt"
import "io"
import "net/http"
import "os"
import "regexp"
import "slices"
import "strings"
import "sync"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// Options configure a Server.
type Options struct {
	Config *Config
	// BotToken is the Web API token (SLACK_BOT_TOKEN); required.
	BotToken string
	// SlackAPIURL is the Web API base, ending in "/"; default Slack's.
	SlackAPIURL string
	// Getenv and ReadFile give runs their configuration and credentials
	// (SENDGRID_API_KEY …); nil means the os functions.
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	// Redactor knows every credential of the process; required.
	Redactor *redact.Redactor
	Now      func() time.Time
	Version  string
	// Log receives operational messages (redacted); nil discards them.
	Log io.Writer
	// HTTPClient is used for Slack and for reading key details; default a
	// client with a 10s timeout.
	HTTPClient *http.Client
	// RunOptions, if set, adjusts every run's options (tests: transport,
	// backoff).
	RunOptions func(*playbook.Options)
	// ExpiryTick is how often pending approvals are checked for expiry
	// (default 1s).
	ExpiryTick time.Duration
	// MinUpdateInterval spaces edits of the run's progress message (default
	// the Slack notifier's 1s).
	MinUpdateInterval time.Duration
}

// Command is a slash command, verified by the adapter.
type Command struct {
	Transport   string // "http" or "socket"
	Team        string
	APIAppID    string
	User        string
	Channel     string
	Command     string // "/keyir"
	Text        string
	ResponseURL string
	// admitted waits for the command's replay record (replay.go), queued
	// by the adapter: it shares a commit with the command's audit lines
	// and request record instead of costing one before them. nil: nothing
	// to wait for.
	admitted func() error
	auditAt  int64 // where its authorization line ends (Request.AuditAt)
}

// Action is a button click from an approval message, verified by the adapter.
type Action struct {
	Transport   string
	Team        string
	APIAppID    string
	User        string
	Channel     string
	ActionID    string
	Value       string
	ResponseURL string
	MessageTS   string
}

// Reply is the immediate answer to a slash command: the HTTP response body,
// or the Socket Mode ack payload. Ephemeral unless ResponseType is in_channel.
type Reply struct {
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

func ephemeral(format string, args ...any) Reply {
	return Reply{ResponseType: "ephemeral", Text: fmt.Sprintf(format, args...)}
}

// ErrOrigin is returned for a request from another workspace or app: the
// HTTP adapter answers 401.
var ErrOrigin = errors.New("chatops: request from an unexpected team or app")

// Button action ids.
const (
	ActionApprove = "keyir_approve"
	ActionCancel  = "keyir_cancel"
)

var requestIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^req_[0-9a-f]{24}$`) })

// Server is the transport-neutral core.
type Server struct {
	o      Options
	cfg    *Config
	red    *redact.Redactor
	api    *slack.Client
	store  *store
	audit  *auditLog
	groups *groupCache

	mu       sync.Mutex
	reqs     map[string]*Request
	secrets  map[string]string // request id → leaked key, in memory only
	byKey    map[string]string // key id → active request id
	steps    map[string][]report.Step
	drills   int
	stopping bool
	dirty    []*Request   // snapshots to persist once mu is released
	pending  []AuditEvent // audit events to write once mu is released

	runCtx    context.Context
	cancelRun context.CancelFunc
	wg        sync.WaitGroup // runs, drills and background posts
	stopTick  chan struct{}
	tickDone  chan struct{}

	replay *replayCache // accepted HTTP requests and Socket Mode envelopes
	acks   *ackGate     // requests owed an answer; background work waits for none (background.go)
	pool   *goPool      // goroutines with grown stacks for Socket Mode envelopes (gopool.go)

	dirLock *os.File // the data directory, locked while the server lives (datalock.go)
	started bool     // Start ran (under mu): the expiry loop runs
}

// open is New once the data directory is locked.
func open(o Options, lock *os.File) (*Server, error) {
	if o.SlackAPIURL == "" {
		o.SlackAPIURL = "https://slack.com/api/"
	}
	if !strings.HasSuffix(o.SlackAPIURL, "/") {
		o.SlackAPIURL += "/"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.HTTPClient == nil {
		o.HTTPClient = transport.HTTPClient(10*time.Second, nil)
	}
	if o.ExpiryTick <= 0 {
		o.ExpiryTick = time.Second
	}
	o.Redactor.Add(o.BotToken)
	st, err := openStore(o.Config.DataDir, o.Redactor)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	al, err := openAudit(o.Config.AuditLog, o.Redactor, o.Now)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	s := &Server{
		o: o, cfg: o.Config, red: o.Redactor, store: st, audit: al,
		api:  slack.New(o.BotToken, slack.OptionAPIURL(o.SlackAPIURL), slack.OptionHTTPClient(o.HTTPClient)),
		reqs: map[string]*Request{}, secrets: map[string]string{}, byKey: map[string]string{},
		steps:    map[string][]report.Step{},
		stopTick: make(chan struct{}), tickDone: make(chan struct{}),
		acks: newAckGate(), pool: newGoPool(goIdle), dirLock: lock,
	}
	// Real time, as slack-go's verifier uses, not o.Now.
	rc, note, err := loadReplay(o.Config.DataDir, time.Now)
	if err != nil {
		al.close()
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s.replay = rc
	st.acks = s.acks
	if note != "" {
		s.logf("%s", note)
		s.auditf(AuditEvent{Event: AuditReplayRecordLost, Reason: note})
	}
	s.groups = &groupCache{api: s.api, ttl: o.Config.UserGroupCache, now: o.Now, m: map[string]groupEntry{}}
	s.runCtx, s.cancelRun = context.WithCancel(context.Background())
	reqs, err := st.loadAll()
	if err != nil {
		al.close()
		rc.close()
		return nil, fmt.Errorf("data dir: %w", err)
	}
	for _, r := range reqs {
		s.reqs[r.ID] = r
	}
	return s, nil
}

// Start settles what a previous process left (unexpired pending approvals
// are restored, the rest expired, runs cut short marked interrupted; their
// Slack messages are updated) and starts the expiry loop.
func (s *Server) Start(ctx context.Context) {
	now := s.o.Now()
	s.mu.Lock()
	s.started = true // the expiry loop is started below
	var update, interrupted []*Request
	for _, r := range s.reqs {
		switch r.State {
		case StatePending:
			if why := s.unauditedReason(r); why != "" {
				s.failUnauditedLocked(r, why)
			} else if why := restoreRefusal(r, now); why != "" {
				s.expireLocked(r, why)
			} else {
				if r.HasSecret {
					r.SecretLost = true
					r.Detail = "keyir serve restarted: the leaked key itself was never written to disk, so this run revokes by key id and proves it gone by id (404)"
				}
				s.byKey[r.slot()] = r.ID
				s.saveLocked(r)
				s.auditLocked(AuditEvent{Event: AuditRestored, Request: r.ID, KeyID: r.KeyID, Fingerprint: r.Fingerprint, User: r.Requester, Channel: r.Channel, Team: r.Team})
			}
			update = append(update, r.clone())
		case StateInterrupted:
			interrupted = append(interrupted, r)
		case StateApproved:
			interrupted = append(interrupted, r)
			r.State = StateInterrupted
			r.Detail = "keyir serve stopped during the run"
			if r.RunDir != "" {
				r.Detail += "; finish it with: keyir resume " + r.RunDir
			}
			s.saveLocked(r)
			s.auditLocked(AuditEvent{Event: AuditRunOutcome, Request: r.ID, RunID: r.RunID, RunDir: r.RunDir, RunStatus: string(StateInterrupted), KeyID: r.KeyID, Fingerprint: r.Fingerprint, Channel: r.Channel})
			update = append(update, r.clone())
		}
	}
	// An interrupted run keeps its key until it is resolved (interrupted.go).
	for _, r := range interrupted {
		if _, busy := s.byKey[r.slot()]; !busy {
			s.byKey[r.slot()] = r.ID
		}
	}
	s.unlockAndFlush()
	for _, r := range update {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if r.State == StatePending && r.MessageTS == "" {
				// Stopped after recording the request, before its plan
				// was posted: without a message there are no buttons, and
				// the key would wait for expiry. (If the post did reach
				// Slack but its ts was not recorded, the plan appears
				// twice; both carry one request, decided once.)
				s.postPlan(r, "")
				return
			}
			s.updatePlan(ctx, r)
		}()
	}
	go s.expiryLoop()
}

// Ready reports whether the server takes requests.
func (s *Server) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.stopping
}

// Shutdown stops taking requests, interrupts runs in flight (the runner
// journals them as interrupted, so `keyir resume DIR` finishes them), waits
// for them to record that, bounded by ctx, and closes the audit log.
// Pending approvals stay on disk for the next start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return nil
	}
	s.stopping = true
	started := s.started
	s.mu.Unlock()
	close(s.stopTick)
	if started { // else never started (its Slack check failed): no expiry loop
		<-s.tickDone
	}
	s.cancelRun()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("chatops: runs still stopping: %w", ctx.Err())
	}
	s.store.settle()
	err = errors.Join(err, s.audit.close(), s.replay.close())
	// Released last: nothing of this server writes to the directory after.
	return errors.Join(err, s.dirLock.Close())
}

func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf(s.o.Log, "%s keyir serve: %s\n", s.o.Now().UTC().Format(time.RFC3339), s.red.String(fmt.Sprintf(format, args...)))
}

func (s *Server) auditf(ev AuditEvent) {
	if err := s.audit.write(ev); err != nil {
		s.logf("audit log: %v", err)
	}
}

// auditAppend writes ev without waiting for it to be durable; auditWait
// waits for a commit of the audit log (auditLog.commit). An error is
// logged, as auditf does.
func (s *Server) auditAppend(ev AuditEvent) {
	if err := s.audit.append(ev); err != nil {
		s.logf("audit log: %v", err)
	}
}

func (s *Server) auditWait(durable func() error) {
	if err := durable(); err != nil {
		s.logf("audit log: %v", err)
	}
}

// AuditVerificationFailure records a request the adapter refused before
// parsing it (bad signature, stale timestamp, replay, oversized).
func (s *Server) AuditVerificationFailure(transport, reason, remote string) {
	s.auditf(AuditEvent{Event: AuditVerificationFailed, Transport: transport, Reason: reason, Remote: remote})
}

// checkOrigin checks team_id and api_app_id.
func (s *Server) checkOrigin(transport, team, app, user, channel string) error {
	if team == s.cfg.TeamID && app == s.cfg.APIAppID {
		return nil
	}
	s.auditf(AuditEvent{Event: AuditVerificationFailed, Transport: transport, Team: team, User: user, Channel: channel, Reason: "unexpected team_id or api_app_id"})
	return ErrOrigin
}

// authorize decides whether user may use keyir in channel; the decision is
// audited either way.
func (s *Server) authorize(ctx context.Context, transport, verb, user, channel string) (bool, string) {
	ok, why, _ := s.decide(ctx, transport, verb, user, channel)
	s.auditWait(s.audit.commit())
	return ok, why
}

// decide is authorize with its audit line written but not yet durable;
// at is where that line ends in the audit log (0 if it was not written).
func (s *Server) decide(ctx context.Context, transport, verb, user, channel string) (ok bool, why string, at int64) {
	reason := ""
	switch {
	case !userIDRE().MatchString(user):
		reason = "not a user id"
	case !slices.Contains(s.cfg.AllowedChannels, channel):
		reason = "channel not allowed"
	default:
		ok, why := s.allowedUser(ctx, user)
		if !ok {
			reason = why
		}
	}
	dec := "allow"
	if reason != "" {
		dec = "deny"
	}
	at = s.auditAppendAt(AuditEvent{Event: AuditAuthorization, Transport: transport, Verb: verb, User: user, Channel: channel, Decision: dec, Reason: reason})
	return reason == "", reason, at
}

func (s *Server) allowedUser(ctx context.Context, user string) (bool, string) {
	if slices.Contains(s.cfg.AllowedUsers, user) {
		return true, ""
	}
	for _, g := range s.cfg.AllowedUserGroups {
		members, err := s.groups.members(ctx, g)
		if err != nil {
			s.logf("user group %s: %v (denying)", g, err)
			return false, "user group lookup failed"
		}
		if slices.Contains(members, user) {
			return true, ""
		}
	}
	return false, "user not allowed"
}

func refusal(reason string) Reply {
	if reason == "channel not allowed" {
		return ephemeral("keyir does not act in this channel. Use one of the incident channels it is configured for.")
	}
	if reason == "user group lookup failed" {
		// Said as a refusal, not as "try again": a lookup that keeps failing
		// (a group Slack does not know, a missing scope) would never pass.
		return ephemeral("You are not allowed to use keyir: Slack did not confirm that you are in one of its allowed user groups. Ask the incident commander to add you to allowed_users or allowed_user_groups.")
	}
	return ephemeral("You are not allowed to use keyir. Ask the incident commander to add you to allowed_users or allowed_user_groups.")
}

// HandleCommand answers a slash command at once; slow work continues in the
// background. ErrOrigin means the request is from another team or app.
func (s *Server) HandleCommand(ctx context.Context, c Command) (Reply, error) {
	if err := s.checkOrigin(c.Transport, c.Team, c.APIAppID, c.User, c.Channel); err != nil {
		return Reply{}, err
	}
	// Parsing registers key material with the redactor before anything can
	// write it anywhere.
	args, perr := ParseArgs(c.Text, s.red)
	ev := AuditEvent{Event: AuditCommand, Transport: c.Transport, Team: c.Team, User: c.User, Channel: c.Channel, Verb: args.Verb,
		KeyID: args.Info.ID, Fingerprint: args.Info.Fingerprint, DryRun: args.DryRun}
	if perr != nil {
		ev.Reason = "invalid arguments"
	}
	// The command's and the authorization's audit lines are written at
	// once and made durable by one commit, which the answer (and, but for a
	// revoke, the command's action) waits for. A revoke records its request
	// meanwhile: the request log's sync comes after the audit log's when
	// they share a commit (commitItem.after), so the record is never on
	// disk without the lines before it.
	s.auditAppend(ev)
	if !s.Ready() {
		s.auditWait(s.audit.commit())
		if err := c.recorded(); err != nil {
			return Reply{}, err
		}
		return ephemeral("keyir is restarting; try again in a minute."), nil
	}
	ok, why, at := s.decide(ctx, c.Transport, args.Verb, c.User, c.Channel)
	durable := s.audit.commit()
	if ok && perr == nil && args.Verb == VerbRevoke {
		c.auditAt = at
		reply := s.revoke(c, args)
		s.auditWait(durable)
		if err := c.recorded(); err != nil {
			return Reply{}, err
		}
		return reply, nil
	}
	s.auditWait(durable)
	if err := c.recorded(); err != nil {
		return Reply{}, err
	}
	if !ok {
		return refusal(why), nil
	}
	if perr != nil {
		return ephemeral("%s\n\n%s", perr.Error(), HelpText), nil
	}
	switch args.Verb {
	case VerbDrill:
		return s.startDrill(c, args), nil
	case VerbStatus:
		return s.status(args), nil
	case VerbAbandon:
		return s.abandon(c, args), nil
	case VerbAudit:
		return s.startAudit(c), nil
	}
	return ephemeral("%s", HelpText), nil
}

func (s *Server) revoke(c Command, a Args) Reply {
	// An interrupted run on this key that `keyir resume` has finished since
	// no longer holds the key.
	s.settleInterrupted(revokeSlot(a))
	now := s.o.Now()
	s.mu.Lock()
	if id, busy := s.byKey[revokeSlot(a)]; busy {
		other := s.reqs[id]
		if other.State == StateInterrupted {
			reply := interruptedReply(other)
			s.mu.Unlock()
			return reply
		}
		s.mu.Unlock()
		return ephemeral("%s already has a request %s: %s. Nothing new was started.", upperFirst(keyRef(other)), describeState(other), other.ID)
	}
	r := s.newRevokeRequest(c, a, now)
	s.saveLocked(r)
	s.reqs[r.ID] = r
	s.byKey[r.slot()] = r.ID
	if a.Key != "" {
		s.secrets[r.ID] = a.Key
	}
	snap := r.clone()
	if err := s.unlockAndFlush(); err != nil {
		s.mu.Lock()
		r.State, r.Detail = StateFailed, "could not be recorded"
		s.releaseLocked(r)
		delete(s.secrets, r.ID)
		s.mu.Unlock()
		return ephemeral("keyir could not record the request; nothing was started.")
	}
	if c.recorded() != nil {
		// The request record may be on disk, the command's replay record
		// is not: failed, so that neither a restart nor the command sent
		// again finds it pending. HandleCommand refuses the command.
		s.mu.Lock()
		r.State, r.Detail = StateFailed, "its replay record could not be written; nothing was started"
		s.releaseLocked(r)
		delete(s.secrets, r.ID)
		s.saveLocked(r)
		s.unlockAndFlush()
		return Reply{}
	}
	// The plan (the key read from SendGrid, a Slack post) follows the
	// acknowledgement of this command and of every other one owed.
	s.afterAcks(func() { s.postPlan(snap, c.ResponseURL) })
	mode := "live"
	if a.DryRun {
		mode = "dry run"
	}
	if r.TokenKind != "" {
		return ephemeral("Request %s (%s) for %s: posting the plan of `%s` here for approval. The token you pasted is not shown or stored.", r.ID, mode, keyRef(r), r.Playbook)
	}
	return ephemeral("Request %s (%s) for key `%s` (fingerprint `%s`): reading the key and posting the plan here for approval. The key you pasted is not shown or stored.",
		r.ID, mode, r.KeyID, r.Fingerprint)
}

func (s *Server) releaseLocked(r *Request) {
	if s.byKey[r.slot()] == r.ID {
		delete(s.byKey, r.slot())
	}
}

// saveLocked records a change of r: its version goes up and a snapshot is
// queued; unlockAndFlush writes it after releasing mu, so a slow disk never
// holds up other requests. A write never replaces a newer version.
func (s *Server) saveLocked(r *Request) {
	r.Version++
	r.Updated = s.o.Now().UTC()
	s.dirty = append(s.dirty, r.clone())
}

// auditLocked queues an audit event for unlockAndFlush.
func (s *Server) auditLocked(ev AuditEvent) {
	if ev.Time.IsZero() {
		ev.Time = s.o.Now().UTC()
	}
	s.pending = append(s.pending, ev)
}

// unlockAndFlush releases mu, then persists the queued snapshots (each
// atomically, synced) and writes the queued audit events. It returns once
// they are on disk.
func (s *Server) unlockAndFlush() error {
	dirty, evs := s.dirty, s.pending
	s.dirty, s.pending = nil, nil
	s.mu.Unlock()
	var errs []error
	for _, r := range dirty {
		if err := s.store.save(r); err != nil {
			s.logf("saving %s: %v", r.ID, err)
			errs = append(errs, err)
		}
	}
	for _, ev := range evs {
		s.auditf(ev)
	}
	return errors.Join(errs...)
}
