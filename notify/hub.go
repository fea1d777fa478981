package notify

import "context"
import "errors"
import "fmt"
import "maps"
import "net/http"
import "slices"
import "sort"
import "sync"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// A Hub is one run's notifications: it holds the run's Notifiers (Slack,
// email, webhook — whichever are configured) and delivers Events to them from
// a single background worker, so that telling people never delays the run.
//
//   - Enqueue never blocks. Events are delivered in order: each event goes to
//     its channels concurrently, and the next event waits for all of them,
//     so every channel sees opened → progress → closed.
//   - Retrying is the notifiers' own: each one runs every call through
//     Retry with the hub's Policy. The hub never retries a whole Notify (a
//     Slack close that posted the findings must not post them twice).
//   - Progress events still queued when a newer one arrives are replaced by
//     it: each carries the full step list, so only the latest matters.
//   - A channel whose delivery failed gets no more Progress (it would only
//     spend the retry budget again); Closed is still attempted, since it
//     carries the outcome.
//   - Flush waits for the queue to drain (bounded by its context) and
//     returns every delivery error so far, redacted.
//
// A Hub is also a playbook.Observer (by its method set: notify does not
// import playbook): once a step has opened the incident, each finished step
// enqueues a Progress event, and if the run ends without a closing step
// (a critical step stopped it, or it was interrupted) RunFinished closes the
// incident with the final report.
type Hub struct {
	red     *redact.Redactor
	timeout time.Duration
	names   []string            // configured channel names, sorted
	chans   map[string]Notifier // by name

	mu      sync.Mutex
	queue   []delivery
	busy    bool
	wake    chan struct{}
	idle    chan struct{} // closed and replaced when the queue drains
	closed  bool
	errs    map[string][]error
	failed  map[string]bool
	opened  map[string]bool
	closedC map[string]bool
	told    map[string]told // the outcome each channel's Closed event named
	base    *Event          // the last Opened event: run and key fields for Progress
	steps   []report.Step   // the run's steps as observed
	run     *report.Run     // from RunStarted
	stats   map[string]Stat // per channel

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// Stat counts what a channel was sent.
type Stat struct {
	Events   int           `json:"events"`
	Failures int           `json:"failures"`
	Time     time.Duration `json:"time_ns"` // spent delivering
}

// told is the outcome a Closed event named.
type told struct {
	status report.RunStatus
	exit   int
}

type delivery struct {
	to []string
	ev Event
}

// HubConfig says which channels are configured: channel name ("slack",
// "email", "webhook") to that channel's configuration, as its Decode reads
// it (strictly: an unknown field is an error). A channel left out is not
// configured. Empty is valid: a hub with no channel sends nothing.
type HubConfig struct {
	Channels map[string]map[string]any
	// Retry bounds every call of every notifier; zero is DefaultPolicy.
	Retry Policy
	// EventTimeout bounds the delivery of one event to one channel, retries
	// included; default DefaultPolicy.MaxElapsed plus a little.
	EventTimeout time.Duration
	// MinUpdateInterval spaces the edits of a status message (Slack's
	// progress message); zero is the channel's default (1s).
	MinUpdateInterval time.Duration
}

// HubEnv is what a hub reads from the world.
type HubEnv struct {
	// Redactor is the run's: credentials read are added to it; required.
	Redactor *redact.Redactor
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	// HTTPClient, if set, is used by every notifier (tests); default: each
	// notifier's own client with its timeout and no redirects.
	HTTPClient *http.Client
	// LeakedKey, if known, is refused as a notification credential.
	LeakedKey string
}

// ChannelOptions is what a channel's constructor gets besides its config.
type ChannelOptions struct {
	HubEnv
	// Retry bounds the retries of each call; zero is DefaultPolicy.
	Retry Policy
	// MinUpdateInterval spaces the edits of a status message (Slack's
	// progress message); progress arriving faster is coalesced into the
	// next edit. Zero is the channel's default (1s, Slack's pace for a
	// channel).
	MinUpdateInterval time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Channel is a kind of notifier the hub can build from configuration. The
// channel packages (notify/slacknotify, notify/email, notify/webhook) register
// themselves from init(), as actions do, so that this package needs none of
// them; import notify/all to link every channel.
type Channel struct {
	Name string
	New  func(cfg map[string]any, o ChannelOptions) (Notifier, error)
}

var (
	chanMu   sync.RWMutex
	channels = map[string]Channel{}
)

// RegisterChannel adds a channel kind; it panics on a duplicate.
func RegisterChannel(c Channel) {
	chanMu.Lock()
	defer chanMu.Unlock()
	if c.Name == "" || c.New == nil {
		panic("notify: bad channel registration")
	}
	if _, dup := channels[c.Name]; dup {
		panic("notify: duplicate channel " + c.Name)
	}
	channels[c.Name] = c
}

// ChannelNames lists the registered channel kinds, sorted.
func ChannelNames() []string {
	chanMu.RLock()
	defer chanMu.RUnlock()
	return slices.Sorted(maps.Keys(channels))
}

// NewHub builds every configured channel and starts the worker. Errors name
// the channel; a missing credential is an error here, before the run starts,
// not in the middle of an incident.
func NewHub(cfg HubConfig, env HubEnv) (*Hub, error) {
	if env.Redactor == nil {
		return nil, errors.New("notify: a hub needs the run's redactor")
	}
	h := &Hub{
		red: env.Redactor, timeout: cfg.EventTimeout, chans: map[string]Notifier{},
		wake: make(chan struct{}, 1), idle: make(chan struct{}),
		errs: map[string][]error{}, failed: map[string]bool{}, opened: map[string]bool{},
		closedC: map[string]bool{}, told: map[string]told{}, stats: map[string]Stat{}, done: make(chan struct{}),
	}
	if h.timeout <= 0 {
		h.timeout = cfg.Retry.withDefaults().MaxElapsed + 15*time.Second
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		chanMu.RLock()
		c, ok := channels[name]
		chanMu.RUnlock()
		if !ok {
			errs = append(errs, fmt.Errorf("notify: no channel %q (channels: %v)", name, ChannelNames()))
			continue
		}
		n, err := c.New(cfg.Channels[name], ChannelOptions{HubEnv: env, Retry: cfg.Retry, MinUpdateInterval: cfg.MinUpdateInterval})
		if err != nil {
			errs = append(errs, RedactError(env.Redactor, err))
			continue
		}
		h.names = append(h.names, name)
		h.chans[name] = n
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go h.work()
	return h, nil
}

// NewHubWith returns a hub over notifiers built elsewhere (tests, a caller
// with its own channel). names are the keys of ns.
func NewHubWith(ns map[string]Notifier, red *redact.Redactor) *Hub {
	h, _ := NewHub(HubConfig{}, HubEnv{Redactor: red})
	for name, n := range ns {
		h.names = append(h.names, name)
		h.chans[name] = n
	}
	sort.Strings(h.names)
	return h
}

// Channels lists the configured channels, sorted.
func (h *Hub) Channels() []string { return slices.Clone(h.names) }

// Has reports whether a channel is configured.
func (h *Hub) Has(name string) bool { _, ok := h.chans[name]; return ok }

// Notifier returns a configured channel's notifier (the Slack notifier's
// Thread, for instance), or nil.
func (h *Hub) Notifier(name string) Notifier { return h.chans[name] }

// Enqueue queues ev for every configured channel. It never blocks.
func (h *Hub) Enqueue(ev Event) { h.EnqueueTo(ev, h.names...) }

// EnqueueTo queues ev for the named channels (unconfigured ones are
// ignored). It never blocks.
func (h *Hub) EnqueueTo(ev Event, names ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.enqueueLocked(ev, names)
}

func (h *Hub) enqueueLocked(ev Event, names []string) {
	if h.closed {
		return
	}
	var to []string
	for _, n := range names {
		if _, ok := h.chans[n]; !ok || slices.Contains(to, n) {
			continue
		}
		switch ev.Kind {
		case Opened:
			h.opened[n] = true
		case Closed:
			h.closedC[n] = true
			h.told[n] = told{ev.Status, ev.ExitCode}
		}
		to = append(to, n)
	}
	if len(to) == 0 {
		return
	}
	if ev.Kind == Opened {
		b := ev
		h.base = &b
		if len(ev.Steps) > 0 {
			h.steps = slices.Clone(ev.Steps)
		}
	}
	// A queued Progress for the same channels is stale: replace it.
	if ev.Kind == Progress {
		if k := len(h.queue) - 1; k >= 0 && h.queue[k].ev.Kind == Progress && slices.Equal(h.queue[k].to, to) {
			h.queue[k].ev = ev
			return
		}
	}
	h.queue = append(h.queue, delivery{to: to, ev: ev})
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *Hub) work() {
	defer close(h.done)
	for {
		h.mu.Lock()
		for len(h.queue) == 0 {
			h.busy = false
			close(h.idle)
			h.idle = make(chan struct{})
			closed := h.closed
			h.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-h.wake:
			case <-h.ctx.Done():
				h.mu.Lock()
				h.queue = nil
				h.busy = false
				close(h.idle)
				h.idle = make(chan struct{})
				h.mu.Unlock()
				return
			}
			h.mu.Lock()
		}
		d := h.queue[0]
		h.queue = h.queue[1:]
		h.busy = true
		h.mu.Unlock()
		h.deliver(d)
	}
}

// deliver sends one event to its channels concurrently and waits for all.
func (h *Hub) deliver(d delivery) {
	var wg sync.WaitGroup
	for _, name := range d.to {
		h.mu.Lock()
		skip := d.ev.Kind == Progress && h.failed[name]
		h.mu.Unlock()
		if skip {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
			defer cancel()
			start := time.Now()
			err := h.chans[name].Notify(ctx, d.ev)
			h.mu.Lock()
			defer h.mu.Unlock()
			st := h.stats[name]
			st.Events++
			st.Time += time.Since(start)
			if err != nil {
				st.Failures++
				h.failed[name] = true
				h.errs[name] = append(h.errs[name], RedactError(h.red, fmt.Errorf("%s %s: %w", name, d.ev.Kind, err)))
			}
			h.stats[name] = st
		}()
	}
	wg.Wait()
}

// Flush waits until every queued event has been delivered or ctx ends, and
// returns the delivery errors of the run so far (all channels), joined and
// redacted. When ctx ends first, its cause is among the errors; delivery
// goes on in the background.
func (h *Hub) Flush(ctx context.Context) error {
	if err := h.wait(ctx); err != nil {
		return errors.Join(h.Err(), err)
	}
	return h.Err()
}

// FlushChannels is Flush reporting only the named channels' errors.
func (h *Hub) FlushChannels(ctx context.Context, names ...string) error {
	if err := h.wait(ctx); err != nil {
		return errors.Join(h.Err(names...), err)
	}
	return h.Err(names...)
}

func (h *Hub) wait(ctx context.Context) error {
	for {
		h.mu.Lock()
		if len(h.queue) == 0 && !h.busy {
			h.mu.Unlock()
			return nil
		}
		idle := h.idle
		pending := len(h.queue)
		h.mu.Unlock()
		select {
		case <-idle:
		case <-h.done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("notifications still being delivered (%d queued): %w", pending, context.Cause(ctx))
		}
	}
}

// Err returns the delivery errors so far of the named channels (all when
// none is named), joined; nil when every delivery succeeded.
func (h *Hub) Err(names ...string) error {
	if len(names) == 0 {
		names = h.names
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for _, n := range names {
		errs = append(errs, h.errs[n]...)
	}
	return errors.Join(errs...)
}

// Stats reports per channel how many events were delivered, how many
// failed, and the time spent delivering them.
func (h *Hub) Stats() map[string]Stat {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.stats)
}

// Close stops accepting events and stops the worker, abandoning deliveries
// still queued or in flight: Flush first to let them finish.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		<-h.done
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	<-h.done
	return nil
}

// --- playbook.Observer ---

// RunStarted remembers the run, for Progress and a closing event.
func (h *Hub) RunStarted(rep *report.Report, dir string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	run := rep.Run
	h.run = &run
	if len(rep.Steps) > 0 {
		h.steps = slices.Clone(rep.Steps)
	}
}

// StepStarted records the step as running; the next Progress shows it.
func (h *Hub) StepStarted(s report.Step) { h.setStep(s, false) }

// StepProgress is not sent: a retry's "attempt failed" line would flood
// the thread; the step's end is.
func (h *Hub) StepProgress(report.Step, string) {}

// StepFinished records the step and, once the incident is open, queues a
// Progress event with every step.
func (h *Hub) StepFinished(s report.Step) { h.setStep(s, true) }

func (h *Hub) setStep(s report.Step, send bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	found := false
	for i := range h.steps {
		if h.steps[i].Index == s.Index {
			h.steps[i], found = s, true
		}
	}
	if !found {
		h.steps = append(h.steps, s)
		sort.Slice(h.steps, func(a, b int) bool { return h.steps[a].Index < h.steps[b].Index })
	}
	if !send || h.base == nil {
		return
	}
	var to []string
	for _, n := range h.names {
		if h.opened[n] && !h.closedC[n] {
			to = append(to, n)
		}
	}
	if len(to) == 0 {
		return
	}
	ev := *h.base
	ev.Kind, ev.Time, ev.Text = Progress, time.Now().UTC(), ""
	ev.Status = report.RunRunning
	ev.Steps = slices.Clone(h.steps)
	h.enqueueLocked(ev, to)
}

// RunFinished closes the incident on every channel that was opened and not
// closed by a step: the run stopped before its closing notification. The
// report on disk is final by now (the MANIFEST is written), so it is read,
// never written.
func (h *Hub) RunFinished(rep *report.Report, dir string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var to []string
	for _, n := range h.names {
		if h.opened[n] && !h.closedC[n] {
			to = append(to, n)
		}
	}
	ev := ClosedEvent(rep)
	ev.RunDir = dir
	if h.base != nil {
		ev.KeyID, ev.KeyName, ev.KeyType, ev.KeyFingerprint, ev.KeyKind = h.base.KeyID, h.base.KeyName, h.base.KeyType, h.base.KeyFingerprint, h.base.KeyKind
	}
	// A closing step's event named the outcome as it stood before its own
	// delivery: when that delivery failed (or a later step did), the run
	// ended otherwise, and the channel is told the final outcome, so what
	// it says last is what the run's exit code and report say.
	var correct []string
	for _, n := range h.names {
		if t, ok := h.told[n]; ok && h.closedC[n] && !slices.Contains(to, n) && t != (told{ev.Status, ev.ExitCode}) {
			correct = append(correct, n)
		}
	}
	if len(to) > 0 || len(correct) > 0 {
		closed := ev
		if dir != "" {
			closed.ReportPath = dir + "/report.md"
		}
		h.enqueueLocked(closed, to)
		if len(correct) > 0 {
			t := h.told[correct[0]]
			closed.Text = fmt.Sprintf("The closing notification said %s (exit code %d); the run ended %s (exit code %d): a step failed after it was prepared (a notification's own delivery, say).",
				t.status, t.exit, ev.Status, ev.ExitCode)
			h.enqueueLocked(closed, correct)
		}
	}
	// Every channel that opened the incident gets the sealed evidence's head.
	var sealTo []string
	for _, n := range h.names {
		if h.opened[n] {
			sealTo = append(sealTo, n)
		}
	}
	if rep.ManifestHead != "" && len(sealTo) > 0 {
		sealed := ev
		sealed.Kind = Sealed
		sealed.Steps, sealed.Findings = nil, nil
		h.enqueueLocked(sealed, sealTo)
	}
}

// ClosedEvent is the Closed event of a finished run's report (without the
// key fields, which the report does not name in one place).
func ClosedEvent(rep *report.Report) Event {
	return Event{
		Kind: Closed, Time: time.Now().UTC(), RunRef: RunRefOf(rep.Run),
		Status: rep.Run.Status, Steps: rep.Steps, Findings: rep.Findings,
		Containment: rep.Run.Containment, ExitCode: rep.ExitCode, ManifestHead: rep.ManifestHead,
	}
}
