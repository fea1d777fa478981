package webhook

import "bytes"
import "context"
import "crypto/hmac"
import "crypto/sha256"
import "encoding/hex"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "net/http"
import "net/url"
import "strconv"
import "strings"
import "sync/atomic"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// Header names.
const (
	HeaderTimestamp = "X-Keyir-Timestamp"
	HeaderSignature = "X-Keyir-Signature"
	HeaderEvent     = "X-Keyir-Event"
	HeaderDelivery  = "X-Keyir-Delivery"
)

// MinSecretLength keeps a guessable secret from signing anything.
const MinSecretLength = 16

// Version is the payload schema version.
const Version = "1"

// Options are what the hub gives every channel besides its Config; one
// type for all channels, so a new hub setting reaches each the same way.
type Options = notify.ChannelOptions

// Notifier posts signed JSON.
type Notifier struct {
	cfg    Config
	o      Options
	secret []byte
	red    *redact.Redactor
	hc     *http.Client
	seq    atomic.Int64
}

var _ notify.Notifier = (*Notifier)(nil)

// New reads the signing secret and returns a Notifier.
func New(cfg Config, o Options) (*Notifier, error) {
	secret, err := notify.OpenChannel("notify.webhook", cfg.Validate(), &o, cfg.SecretEnv)
	if err != nil {
		return nil, err
	}
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("notify.webhook: %s is shorter than %d characters", cfg.SecretEnv, MinSecretLength)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = transport.HTTPClient(cfg.Timeout, nil)
	}
	return &Notifier{cfg: cfg, o: o, secret: []byte(secret), red: o.Redactor, hc: hc}, nil
}

// Payload is the JSON body. See doc.go for the schema and an example.
type Payload struct {
	Version string      `json:"version"`
	Event   notify.Kind `json:"event"`
	Time    time.Time   `json:"time"`
	Label   string      `json:"label,omitempty"`
	// The run's identity is notify.Event's own (the same fields, the same
	// JSON names), flattened into the payload as before.
	notify.RunRef
	Key      Key              `json:"key"`
	Status   report.RunStatus `json:"status"`
	ExitCode int              `json:"exit_code"`
	// Outcome and Next are set on exit 5: "contained; N footholds open"
	// and "keyir eradicate DIR".
	Outcome      string             `json:"outcome,omitempty"`
	Next         string             `json:"next,omitempty"`
	Containment  report.Containment `json:"containment"`
	Counts       map[string]int     `json:"finding_counts"`
	Steps        []Step             `json:"steps"`
	Findings     []report.Finding   `json:"findings"`
	ManifestHead string             `json:"manifest_head,omitempty"`
	RunDir       string             `json:"run_dir,omitempty"` // the evidence directory on the machine that ran keyir
	// Text is the playbook's message for the event, if it gave one.
	Text string `json:"text,omitempty"`
}

// Key names the leaked key; never its secret.
type Key struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Type        string `json:"type,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Step is a step's summary (outputs are left out: they are evidence, not news).
type Step struct {
	Index      int               `json:"index"`
	ID         string            `json:"id"`
	Action     string            `json:"action"`
	Status     report.StepStatus `json:"status"`
	Mutates    bool              `json:"mutates"`
	DurationMS int64             `json:"duration_ms"`
	Error      string            `json:"error,omitempty"`
}

// NewPayload builds the payload of an (already redacted) event.
func NewPayload(ev notify.Event) Payload {
	p := Payload{
		Version: Version, Event: ev.Kind, Time: ev.Time.UTC(), Label: ev.Label(), RunRef: ev.RunRef,
		Key:    Key{ID: ev.KeyID, Name: ev.KeyName, Type: ev.KeyType, Fingerprint: ev.KeyFingerprint},
		Status: ev.Status, ExitCode: ev.ExitCode, Containment: ev.Containment,
		Counts: map[string]int{}, Steps: []Step{}, Findings: ev.Findings, ManifestHead: ev.ManifestHead,
		RunDir: ev.RunDir, Text: ev.Text,
	}
	p.Outcome, p.Next = ev.Outcome()
	if p.Findings == nil {
		p.Findings = []report.Finding{}
	}
	for s, n := range ev.Counts() {
		p.Counts[string(s)] = n
	}
	for _, s := range ev.Steps {
		p.Steps = append(p.Steps, Step{Index: s.Index, ID: s.ID, Action: s.Action, Status: s.Status,
			Mutates: s.Mutates, DurationMS: report.DurationMS(s.Duration), Error: s.Error})
	}
	return p
}

// Notify posts ev. Every attempt is signed afresh with the current time, so a
// retry is not rejected by a receiver's replay window; the delivery id stays
// the same, so a receiver can de-duplicate.
func (n *Notifier) Notify(ctx context.Context, ev notify.Event) error {
	ev = ev.Redact(n.red)
	body, err := json.Marshal(NewPayload(ev))
	if err != nil {
		return notify.RedactError(n.red, fmt.Errorf("notify.webhook: %w", err))
	}
	body = n.red.Bytes(body)
	delivery := fmt.Sprintf("%s-%s-%d", ev.RunID, ev.Kind, n.seq.Add(1))
	err = notify.Retry(ctx, n.o.Retry, func(ctx context.Context) error { return n.post(ctx, ev.Kind, delivery, body) })
	if err != nil {
		return notify.RedactError(n.red, fmt.Errorf("notify.webhook: %s: %w", ev.Kind, err))
	}
	return nil
}

func (n *Notifier) post(ctx context.Context, kind notify.Kind, delivery string, body []byte) error {
	ts := strconv.FormatInt(n.o.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keyir-webhook/"+Version)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(n.secret, ts, body))
	req.Header.Set(HeaderEvent, string(kind))
	req.Header.Set(HeaderDelivery, delivery)
	resp, err := n.hc.Do(req)
	if err != nil {
		// A receiver's URL often holds its credential (an incoming-webhook
		// path, a ?token=, user:password@): the error names the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = hostOnly(n.cfg.URL)
		}
		return notify.TransportError(err)
	}
	defer resp.Body.Close()
	// Read more than is shown and redact before cutting: a secret across
	// the cut would keep bytes the redactor no longer recognises.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return notify.CheckResponse(resp, n.red.Clip(string(b), 512))
}

// hostOnly is a URL as errors show it: scheme and host, the rest elided.
func hostOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(the webhook URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// Sign returns the X-Keyir-Signature value for a body sent at ts (unix
// seconds): "v1=" + hex(HMAC-SHA256(secret, ts + "." + body)).
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrBadTimestamp = errors.New("webhook: bad or missing timestamp")
	ErrStale        = errors.New("webhook: timestamp outside the allowed window")
	ErrBadSignature = errors.New("webhook: signature does not match")
)

// Verify checks a delivery, for receivers and tests: ts is X-Keyir-Timestamp,
// sig is X-Keyir-Signature (one or more comma-separated "v1=" values, so a
// secret can be rotated), body the raw request body. It rejects timestamps
// more than window away from now in either direction (replays), and compares
// in constant time. Check the signature before parsing the body.
func Verify(secret, ts, sig string, body []byte, now time.Time, window time.Duration) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return ErrStale
	}
	want := Sign([]byte(secret), ts, body)
	for _, s := range strings.Split(sig, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}
