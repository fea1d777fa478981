package provider

import "context"
import "net/http"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/simhttp"

// BuildWorld builds the simulated world a drill scenario runs in, as it is at
// built (a scenario is deterministic given the instant: resume rebuilds the
// same world from the scenario's name and that instant). It starts the
// provider's simulators on loopback; the drill closes the world when it is
// done with it.
type BuildWorld func(ctx context.Context, built time.Time, o WorldOptions) (World, error)

// WorldOptions are what a drill asks of a world.
type WorldOptions struct {
	// Mail asks for a mail sink: the drill has an email channel, and the
	// world must implement MailSink (or the drill refuses the channel).
	Mail bool
	// Eradicate asks for what `keyir drill --eradicate` needs (an
	// eradicator's credential, added before the baseline is taken); the
	// world must implement Eradicable.
	Eradicate bool
	// OnResponse, when set, observes every response the world's simulators
	// produce themselves (a contract test checks each against the
	// provider's published API description).
	OnResponse func(r *http.Request, status int, h http.Header, body []byte)
	// NoRateLimits asks the simulators to drop their rate limits: the fault
	// matrix and the crash tests run a playbook (and its resume) many times
	// against one world, and faults, not limits, are their subject.
	NoRateLimits bool
}

// World is one drill's simulated world: what the playbook sees, and what
// the holder of the key did. Every URL in Env is loopback and every
// credential made up; a drill reads nothing else (never the process
// environment).
type World interface {
	// Env is the environment the playbook, the baseline and the
	// notification channels see: the world's responder credentials and
	// API URLs. It is laid over the drill's own configuration (Slack's
	// simulator, a webhook secret) and wins: a name mapped to "" is unset,
	// which is how a world keeps the caller's SENDGRID_API_KEY_FILE or
	// GITHUB_TOKEN out.
	Env() map[string]string
	// Given are the playbook's inputs (the leaked key or its id, the
	// window …). The drill adds "baseline" when the world is a Baseliner.
	Given() map[string]string
	// Secrets are registered with the drill's redactor before anything is
	// written or printed: the responder's credentials and the leaked key.
	Secrets() []string
	// LeakedKey is the leaked secret ("" when the scenario knows only its
	// id): the notification hub refuses it as a channel's credential.
	LeakedKey() string
	// Attack applies what the key's holder did and the scenario's own
	// faults. The drill calls it after the baseline, exactly once (resume
	// calls it on the rebuilt world too).
	Attack()
	// Replay makes a rebuilt world what an interrupted run left it: the
	// journal's steps (their ids, status, start and duration) say what was
	// done, e.g. a finished revoke kills the key again. Resume calls it
	// after Attack.
	Replay(steps []report.Step)
	// Close stops the world's simulators; their recorded state stays
	// readable (tests read requests and outboxes after the drill).
	Close() error
}

// LiveKey is a World that knows whether the leaked key still authenticates
// anywhere (after the propagation delay of a revoke): the fault matrix and
// the crash tests hold keyir to never claiming containment while it does.
type LiveKey interface {
	LeakedKeyLive() bool
}

// Baseliner is a World whose playbook diffs against a baseline: the drill
// saves it (to a file beside the run directory) before the attack, as an
// operator would with `keyir inventory save`, and gives its path as the
// input "baseline". env reads the World's Env.
type Baseliner interface {
	SaveBaseline(ctx context.Context, env *actions.Env, path string) error
}

// MailSink is a World that receives the drill's email: the email channel
// sends to MailURL with the key the World's Env gives it, so a drill never
// sends real mail.
type MailSink interface {
	MailURL() string
	// MailsSent counts the mail received.
	MailsSent() int
}

// Eradicable is a World whose scenario rehearses `keyir eradicate` too.
type Eradicable interface {
	// EradicationEnv is the environment of the eradication run (the
	// eradicator's credential in place of the responder's).
	EradicationEnv() map[string]string
	// Footholds are what the attack left that the eradication must remove,
	// Legitimate what the account had before and must keep.
	Footholds() []Item
	Legitimate() []Item
	// Present reports whether an item is still there.
	Present(Item) bool
}

// Item is something in a provider's account: a key, a teammate, a webhook.
type Item struct {
	Kind    string `json:"kind"`
	Account string `json:"account,omitempty"` // a subuser, an org; "" for the main account
	Subject string `json:"subject"`
}

// FaultInjector is a World whose simulators fail requests on cue (the
// fault matrix, the tests that hold a drill at a step).
type FaultInjector interface {
	InjectFault(Fault)
	ClearFaults()
}

// FaultKind is what an injected fault does to a request (simhttp's, which
// every simulator shares).
type FaultKind = simhttp.FaultKind

// The fault kinds every simulator with a FaultInjector understands.
const (
	FaultStatus   = simhttp.FaultStatus   // answer Status with the provider's error body
	FaultTimeout  = simhttp.FaultTimeout  // send nothing until the client gives up
	FaultReset    = simhttp.FaultReset    // close the connection (a TCP reset)
	FaultTruncate = simhttp.FaultTruncate // real status and headers, half the body
	FaultLatency  = simhttp.FaultLatency  // delay by Latency, then answer normally
)

// Fault is an injected failure (simhttp.Fault: Method, Route as the
// simulator names it, After, Times, Kind, Status, RetryAfter, Latency), so
// a World hands it to its simulators as it is.
type Fault = simhttp.Fault
