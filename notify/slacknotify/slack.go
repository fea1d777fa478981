// Package slacknotify notifies an incident Slack channel: one anchor message per run with
// the key and the run's status, a thread under it for progress and findings,
// and the report attached to the thread at the end.
//
// A dry run posts too (notifications are not writes to the provider, so this
// notifier uses its own http.Client rather than the step's guarded one), and
// every message of a dry run or a drill says DRY RUN or DRILL; with
// DrillChannel set they go there instead of the incident channel.
package slacknotify

import "bytes"
import "context"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "net/http"
import "net/url"
import "path/filepath"
import "strings"
import "sync"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"
import "github.com/keyir/keyir/transport"

// Options are what the hub gives every channel besides its Config; one
// type for all channels, so a new hub setting reaches each the same way.
type Options = notify.ChannelOptions

// Notifier posts one run's incident to Slack. Make one per run; it is safe
// for concurrent use (events are serialised, so the thread reads in order).
type Notifier struct {
	cfg Config
	o   Options
	api *slack.Client
	red *redact.Redactor

	mu         sync.Mutex
	channel    string // the channel id, once known
	parentTS   string // the anchor message
	statusTS   string // the progress message in the thread
	lastStatus time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New reads the bot token from cfg.TokenEnv (or its _FILE variant) and
// returns a Notifier. It does not call Slack.
func New(cfg Config, o Options) (*Notifier, error) {
	token, err := notify.OpenChannel("notify.slack", cfg.Validate(), &o, cfg.TokenEnv)
	if err != nil {
		return nil, err
	}
	if o.MinUpdateInterval <= 0 {
		o.MinUpdateInterval = time.Second
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = transport.HTTPClient(cfg.Timeout, nil)
	}
	return &Notifier{
		cfg: cfg, o: o, red: o.Redactor,
		api: slack.New(token, slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(hc)),
	}, nil
}

// Thread returns the channel id and the anchor message's ts once Opened has
// been posted, so other parts (chatops approvals) can reply in the thread.
func (n *Notifier) Thread() (channel, ts string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.channel, n.parentTS
}

// Notify posts ev. Everything in ev is redacted before it is rendered, and
// every error returned is redacted too.
func (n *Notifier) Notify(ctx context.Context, ev notify.Event) error {
	ev = ev.Redact(n.red)
	n.mu.Lock()
	defer n.mu.Unlock()
	var err error
	switch ev.Kind {
	case notify.Opened:
		err = n.open(ctx, ev)
	case notify.Progress:
		err = n.progress(ctx, ev)
	case notify.Closed:
		err = n.close(ctx, ev)
	case notify.Sealed:
		err = n.seal(ctx, ev)
	default:
		err = fmt.Errorf("unknown event kind %q", ev.Kind)
	}
	if err != nil {
		return notify.RedactError(n.red, fmt.Errorf("notify.slack: %s: %w", ev.Kind, err))
	}
	return nil
}

func (n *Notifier) target(ev notify.Event) string {
	if ev.Mode != report.ModeLive && n.cfg.DrillChannel != "" {
		return n.cfg.DrillChannel
	}
	return n.cfg.Channel
}

// open posts the anchor message, or edits it if the run was already opened.
func (n *Notifier) open(ctx context.Context, ev notify.Event) error {
	if n.parentTS != "" {
		return n.update(ctx, n.parentTS, fallback(ev), openedBlocks(ev))
	}
	var ch, ts string
	err := n.do(ctx, func(ctx context.Context) (err error) {
		ch, ts, err = n.api.PostMessageContext(ctx, n.target(ev),
			slack.MsgOptionText(fallback(ev), false), slack.MsgOptionBlocks(openedBlocks(ev)...),
			slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
		return Posted(ts, err)
	})
	if err != nil {
		return err
	}
	// chat.update needs the id, which the post returns even for a name.
	n.channel, n.parentTS = ch, ts
	return nil
}

// progress keeps one status message in the thread and edits it, at most once
// per MinUpdateInterval: a burst of step completions becomes one edit, so the
// channel is never flooded and chat.update stays well within its limits.
// Progress that arrives too soon is not lost: the next event carries the full
// step list, and Closed always writes the final state.
func (n *Notifier) progress(ctx context.Context, ev notify.Event) error {
	if n.parentTS == "" {
		if err := n.open(ctx, ev); err != nil {
			return err
		}
	}
	now := n.o.Now()
	if n.statusTS != "" && now.Sub(n.lastStatus) < n.o.MinUpdateInterval {
		return nil
	}
	return n.writeStatus(ctx, ev, now)
}

func (n *Notifier) writeStatus(ctx context.Context, ev notify.Event, now time.Time) error {
	blocks, text := progressBlocks(ev), progressText(ev)
	if n.statusTS != "" {
		if err := n.update(ctx, n.statusTS, text, blocks); err != nil {
			return err
		}
		n.lastStatus = now
		return nil
	}
	ts, err := n.reply(ctx, text, blocks)
	if err != nil {
		return err
	}
	n.statusTS, n.lastStatus = ts, now
	return nil
}

// close edits the anchor with the outcome, writes the final progress,
// posts the findings in the thread and attaches the report. Each part is
// attempted even if an earlier one failed: a failed upload must not hide the
// outcome.
func (n *Notifier) close(ctx context.Context, ev notify.Event) error {
	if n.parentTS == "" {
		if err := n.open(ctx, ev); err != nil {
			return err
		}
	}
	var errs []error
	if err := n.update(ctx, n.parentTS, fallback(ev), closedBlocks(ev)); err != nil {
		errs = append(errs, fmt.Errorf("updating the anchor message: %w", err))
	}
	if len(ev.Steps) > 0 {
		if err := n.writeStatus(ctx, ev, n.o.Now()); err != nil {
			errs = append(errs, fmt.Errorf("writing the final progress: %w", err))
		}
	}
	if _, err := n.reply(ctx, findingsText(ev), findingsBlocks(ev)); err != nil {
		errs = append(errs, fmt.Errorf("posting the findings: %w", err))
	}
	if ev.ReportPath != "" {
		if err := n.upload(ctx, ev); err != nil {
			errs = append(errs, fmt.Errorf("attaching the report: %w", err))
		}
	}
	return errors.Join(errs...)
}

// seal posts the manifest head in the incident thread: the copy of it that
// does not live on the machine holding the evidence.
func (n *Notifier) seal(ctx context.Context, ev notify.Event) error {
	if n.parentTS == "" || ev.ManifestHead == "" {
		return nil // no thread to seal (the incident was never opened here)
	}
	text := sealText(ev)
	_, err := n.reply(ctx, text, []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)})
	return err
}

func (n *Notifier) reply(ctx context.Context, text string, blocks []slack.Block) (string, error) {
	var ts string
	err := n.do(ctx, func(ctx context.Context) (err error) {
		_, ts, err = n.api.PostMessageContext(ctx, n.channel,
			slack.MsgOptionTS(n.parentTS), slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
		return Posted(ts, err)
	})
	return ts, err
}

func (n *Notifier) update(ctx context.Context, ts, text string, blocks []slack.Block) error {
	return n.do(ctx, func(ctx context.Context) error {
		_, _, _, err := n.api.UpdateMessageContext(ctx, n.channel, ts,
			slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
}

// maxReport bounds the attachment; report.md is small, a huge one is a bug.
const maxReport = 20 << 20

func (n *Notifier) upload(ctx context.Context, ev notify.Event) error {
	raw, err := safefile.ReadFile(ev.ReportPath, maxReport)
	if err != nil {
		return err
	}
	// report.md was written redacted; redact again, it is leaving the process.
	body := n.red.Bytes(raw)
	if len(body) == 0 {
		return fmt.Errorf("%s is empty", ev.ReportPath)
	}
	title := "keyir report " + ev.RunID
	if l := ev.Label(); l != "" {
		title = l + ": " + title
	}
	return n.do(ctx, func(ctx context.Context) error {
		// A fresh reader per attempt: a retry must send the whole file.
		_, err := n.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Filename: filepath.Base(ev.ReportPath), FileSize: len(body), Reader: bytes.NewReader(body),
			Channel: n.channel, ThreadTimestamp: n.parentTS, Title: title,
		})
		return err
	})
}

// Posted checks a chat.postMessage answer: slack-go takes {"ok":false}
// without an error for success and returns no ts, and a message without a
// ts was not posted (nor can it be threaded under or edited). The error is
// Slack's "not ok", so it is not retried.
func Posted(ts string, err error) error {
	if err == nil && ts == "" {
		return slack.SlackErrorResponse{Err: "not_posted (Slack answered ok:false without an error, or no message ts)"}
	}
	return err
}

func (n *Notifier) do(ctx context.Context, fn func(context.Context) error) error {
	return Call(ctx, n.o.Retry, fn)
}

// Call runs a Slack call under p, retrying what Slack says may succeed
// later (classify): the one retry policy of every Slack call keyir makes,
// notifications and keyir serve alike.
func Call(ctx context.Context, p notify.Policy, fn func(context.Context) error) error {
	return notify.Retry(ctx, p, func(ctx context.Context) error { return classify(fn(ctx)) })
}

// retryableErrors are ok:false answers that can succeed on a later try.
var retryableErrors = map[string]bool{
	"ratelimited": true, "rate_limited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true,
}

// classify sorts slack-go's errors into retryable and permanent. A 429 with
// Retry-After is *slack.RateLimitedError; another non-200 is
// slack.StatusCodeError; ok:false is slack.SlackErrorResponse.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &notify.RetryableError{Err: err, RetryAfter: rl.RetryAfter}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code == http.StatusTooManyRequests || sc.Code == http.StatusRequestTimeout || sc.Code >= 500 {
			return &notify.RetryableError{Err: err}
		}
		return err
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if retryableErrors[se.Err] {
			return &notify.RetryableError{Err: err}
		}
		return err
	}
	if unreadableAnswer(err) {
		return err
	}
	return notify.TransportError(err)
}

// unreadableAnswer reports an answer that arrived but could not be decoded
// (a body cut short, not JSON): Slack received and most likely carried out
// the call, and chat.postMessage is not idempotent, so asking again would
// post the message twice. It is permanent. A failure before any answer (a
// reset, a timeout) comes wrapped in *url.Error and stays retryable.
func unreadableAnswer(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		return false
	}
	var se *json.SyntaxError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se)
}

// fallback is the top-level text: notifications and screen readers use it.
func fallback(ev notify.Event) string {
	var b strings.Builder
	if l := ev.Label(); l != "" {
		b.WriteString("[" + l + "] ")
	}
	b.WriteString("keyir: " + notify.SlackEscape(ev.LeakedKey()))
	if ev.Incident != "" {
		b.WriteString(" — " + notify.SlackEscape(ev.Incident))
	}
	b.WriteString(" — " + string(ev.Status))
	if ev.Containment.Status != "" {
		b.WriteString(", containment " + ev.Containment.Status)
	}
	return b.String()
}
