// Package email sends the incident summary by email through SendGrid's mail
// send API (POST /v3/mail/send), with its own key restricted to mail.send.
// It never uses the responder's key (SENDGRID_API_KEY) and never the leaked
// key: New refuses a notification key equal to either. In a dry run the mail
// is sent with sandbox_mode, so SendGrid validates it without delivering.
//
// Email goes out when the run opens and when it closes; progress would flood
// inboxes and is left to Slack.
package email

import "bytes"
import "context"
import "encoding/json"
import "fmt"
import "io"
import htmltemplate "html/template"
import "net/http"
import "slices"
import "strings"
import "sync"
import texttemplate "text/template"
import "time"

import "github.com/sendgrid/rest"
import "github.com/sendgrid/sendgrid-go"
import "github.com/sendgrid/sendgrid-go/helpers/mail"

import "github.com/keyir/keyir/credentials"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// Options are what the hub gives every channel besides its Config; one
// type for all channels, so a new hub setting reaches each the same way.
type Options = notify.ChannelOptions

// Notifier emails one run's incident.
type Notifier struct {
	cfg Config
	o   Options
	key string
	red *redact.Redactor
	hc  *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)
var _ notify.Rehearser = (*Notifier)(nil)

// New reads the notification key and returns a Notifier. It refuses a key
// that is the responder's SENDGRID_API_KEY or the leaked key: the
// notification path must not use a credential with more power than mail.send,
// nor the one being revoked.
func New(cfg Config, o Options) (*Notifier, error) {
	key, err := notify.OpenChannel("notify.email", cfg.Validate(), &o, cfg.KeyEnv)
	if err != nil {
		return nil, err
	}
	if o.LeakedKey != "" && key == strings.TrimSpace(o.LeakedKey) {
		return nil, fmt.Errorf("notify.email: %s is the leaked key; refusing to send with it", cfg.KeyEnv)
	}
	// The responder's key is read only to compare; it is registered with the
	// redactor like any credential.
	if responder, err := credentials.Read("SENDGRID_API_KEY", o.Getenv, o.ReadFile, o.Redactor); err == nil && responder == key {
		return nil, fmt.Errorf("notify.email: %s holds the same key as SENDGRID_API_KEY; use a separate key restricted to mail.send", cfg.KeyEnv)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = transport.HTTPClient(cfg.Timeout, nil)
	}
	return &Notifier{cfg: cfg, o: o, key: key, red: o.Redactor, hc: capAnswers(hc)}, nil
}

// maxAnswer bounds what is read of an answer to a mail send: SendGrid's are
// a few hundred bytes (202 has none), and the rest library reads a body
// whole, so an endless one from a hostile or broken host would fill memory
// until the timeout.
const maxAnswer = 64 << 10

// capAnswers is hc with every answer's body cut at maxAnswer.
func capAnswers(hc *http.Client) *http.Client {
	c := *hc
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = cappedBody{next}
	return &c
}

type cappedBody struct{ next http.RoundTripper }

func (c cappedBody) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxAnswer), resp.Body}
	}
	return resp, err
}

// Delivers is false in a dry run: its mail goes with sandbox_mode, which
// SendGrid checks and answers without delivering.
func (n *Notifier) Delivers(mode report.Mode) bool { return mode != report.ModeDryRun }

// Notify emails Opened and Closed events; Progress is ignored.
func (n *Notifier) Notify(ctx context.Context, ev notify.Event) error {
	if ev.Kind == notify.Progress || ev.Kind == notify.Sealed {
		return nil
	}
	ev = ev.Redact(n.red)
	body, err := n.Body(ev)
	if err != nil {
		return notify.RedactError(n.red, fmt.Errorf("notify.email: %w", err))
	}
	err = notify.Retry(ctx, n.o.Retry, func(ctx context.Context) error { return n.send(ctx, body) })
	if err != nil {
		return notify.RedactError(n.red, fmt.Errorf("notify.email: %s: %w", ev.Kind, err))
	}
	return nil
}

func (n *Notifier) send(ctx context.Context, body []byte) error {
	// GetRequest + a rest.Client with our http.Client: NewSendClient would
	// hard-code the host and use a client without a timeout.
	req := sendgrid.GetRequest(n.key, "/v3/mail/send", n.cfg.Host())
	req.Method = rest.Post
	req.Body = body
	resp, err := (&rest.Client{HTTPClient: n.hc}).SendWithContext(ctx, req)
	if err != nil {
		return notify.TransportError(err)
	}
	hr := &http.Response{StatusCode: resp.StatusCode, Status: fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), Header: http.Header(resp.Headers)}
	if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
		return nil
	}
	// Redacted before errorDetail cuts it: a secret cut in half is one the
	// redactor may no longer recognise.
	return notify.CheckResponse(hr, errorDetail(n.red.String(resp.Body)))
}

// errorDetail extracts SendGrid's error messages: {"errors":[{"message"}]} or
// {"error":"…"}.
func errorDetail(body string) string {
	var e struct {
		Errors []struct {
			Field   *string `json:"field"`
			Message string  `json:"message"`
		} `json:"errors"`
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil {
		if len(body) > 200 {
			body = body[:200]
		}
		return body
	}
	var msgs []string
	for _, x := range e.Errors {
		m := x.Message
		if x.Field != nil && *x.Field != "" {
			m = *x.Field + ": " + m
		}
		msgs = append(msgs, m)
	}
	if e.Error != "" {
		msgs = append(msgs, e.Error)
	}
	return strings.Join(msgs, "; ")
}

// Body is the mail send request body for ev (already redacted by Notify).
func (n *Notifier) Body(ev notify.Event) ([]byte, error) {
	text, html, err := bodies(ev)
	if err != nil {
		return nil, err
	}
	m := mail.NewV3Mail()
	m.SetFrom(mail.NewEmail("keyir", n.cfg.From))
	p := mail.NewPersonalization()
	for _, to := range n.cfg.To {
		p.AddTos(mail.NewEmail("", to))
	}
	m.AddPersonalizations(p)
	m.Subject = Subject(ev)
	m.AddContent(mail.NewContent("text/plain", text), mail.NewContent("text/html", html))
	if !n.Delivers(ev.Mode) {
		// SendGrid validates the mail and answers 200 without delivering it.
		ms := mail.NewMailSettings()
		ms.SetSandboxMode(mail.NewSetting(true))
		m.SetMailSettings(ms)
	}
	b := mail.GetRequestBody(m)
	return n.red.Bytes(b), nil
}

// Subject is one line: label, incident, key id, stage.
func Subject(ev notify.Event) string {
	var b strings.Builder
	if l := ev.Label(); l != "" {
		b.WriteString("[" + l + "] ")
	}
	b.WriteString("keyir")
	if ev.Incident != "" {
		b.WriteString(" " + ev.Incident)
	}
	b.WriteString(": " + ev.LeakedKey())
	if ev.Kind == notify.Closed {
		b.WriteString(" — " + string(ev.Status))
		if ev.Containment.Status != "" {
			b.WriteString(", containment " + ev.Containment.Status)
		}
	} else {
		b.WriteString(" — response started")
	}
	// A header must be one line, whatever a key name contained.
	return strings.Join(strings.Fields(b.String()), " ")
}

type view struct {
	notify.Event
	Label, Title string
	Counts       string
	Started      string
	TTC          string
	// ContLabel says what a status whose name could be misread means
	// (report.ContainmentLabel); empty for the others.
	ContLabel string
	// Outcome and Next: a contained run with footholds open (exit 5).
	Outcome, Next string
}

func newView(ev notify.Event) view {
	v := view{Event: ev, Label: ev.Label(), Title: Subject(ev), Started: ev.Time.UTC().Format(time.RFC3339)}
	var parts []string
	c := ev.Counts()
	for _, s := range report.Severities {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	v.Counts = strings.Join(parts, ", ")
	if v.Counts == "" {
		v.Counts = "none"
	}
	if ev.Containment.TimeToContainment > 0 {
		v.TTC = report.FormatDuration(ev.Containment.TimeToContainment)
	}
	if l := report.ContainmentLabel(ev.Containment.Status); l != ev.Containment.Status {
		v.ContLabel = l
	}
	v.Outcome, v.Next = ev.Outcome()
	return v
}

const textTmpl = `{{if .Label}}*** {{.Label}} ***{{if eq .Label "DRY RUN"}} Nothing was revoked or changed: writes were refused and recorded as planned.{{else}} A rehearsal against the simulator: no real key was touched.{{end}}

{{end}}{{.Title}}
{{if .Text}}
{{.Text}}
{{end}}
Key id:       {{.KeyID}}
Key name:     {{.KeyName}}
Key type:     {{.KeyType}}
Fingerprint:  {{.KeyFingerprint}}
Incident:     {{.Incident}}
Mode:         {{.Mode}}
Run:          {{.RunID}} ({{.Playbook}})
Operator:     {{.Operator}}
Status:       {{.Status}}
{{- if eq .Kind "closed"}}
Containment:  {{if .Containment.Status}}{{.Containment.Status}}{{if .ContLabel}} ({{.ContLabel}}){{end}}{{if .Containment.Detail}} — {{.Containment.Detail}}{{end}}{{if .TTC}} (time to containment {{.TTC}}){{end}}{{else}}not part of this playbook{{end}}
Exit code:    {{.ExitCode}}{{if .Outcome}}
Outcome:      {{.Outcome}}
Next:         {{.Next}}{{end}}
Findings:     {{.Counts}}
{{range .Findings}}
  [{{.Severity}}] {{.Title}}{{if .Subject}} ({{.Subject}}){{end}}{{if .Detail}}
      {{.Detail}}{{end}}{{end}}

Steps:
{{range .Steps}}  {{printf "%-12s" .Status}} {{.ID}} ({{.Action}}){{if .Error}} — {{.Error}}{{end}}
{{end}}
Manifest head: {{.ManifestHead}}
Evidence:     {{.RunDir}} (keyir report verify DIR, keyir report open DIR)
{{- end}}
`

const htmlTmpl = `<!DOCTYPE html>
<html><body style="font-family:sans-serif">
{{if .Label}}<p style="background:#fde68a;padding:8px;font-weight:bold">{{.Label}}{{if eq .Label "DRY RUN"}}: nothing was revoked or changed; writes were refused and recorded as planned.{{else}}: a rehearsal against the simulator; no real key was touched.{{end}}</p>
{{end}}<h2>{{.Title}}</h2>
{{if .Text}}<p>{{.Text}}</p>
{{end}}<table>
<tr><th align="left">Key id</th><td><code>{{.KeyID}}</code></td></tr>
<tr><th align="left">Key name</th><td><code>{{.KeyName}}</code></td></tr>
<tr><th align="left">Key type</th><td>{{.KeyType}}</td></tr>
<tr><th align="left">Fingerprint</th><td><code>{{.KeyFingerprint}}</code></td></tr>
<tr><th align="left">Incident</th><td>{{.Incident}}</td></tr>
<tr><th align="left">Mode</th><td>{{.Mode}}</td></tr>
<tr><th align="left">Run</th><td>{{.RunID}} ({{.Playbook}})</td></tr>
<tr><th align="left">Status</th><td>{{.Status}}</td></tr>
{{- if eq .Kind "closed"}}
<tr><th align="left">Containment</th><td>{{if .Containment.Status}}{{.Containment.Status}}{{if .ContLabel}} ({{.ContLabel}}){{end}}{{if .Containment.Detail}} — {{.Containment.Detail}}{{end}}{{if .TTC}} (time to containment {{.TTC}}){{end}}{{else}}not part of this playbook{{end}}</td></tr>
<tr><th align="left">Findings</th><td>{{.Counts}}</td></tr>
{{- if .Outcome}}
<tr><th align="left">Outcome</th><td><strong>{{.Outcome}}</strong>; next: <code>{{.Next}}</code></td></tr>{{end}}
{{- end}}
</table>
{{- if eq .Kind "closed"}}
{{if .Findings}}<h3>Findings</h3><ul>
{{range .Findings}}<li><b>{{.Severity}}</b> {{.Title}}{{if .Subject}} (<code>{{.Subject}}</code>){{end}}{{if .Detail}}<br>{{.Detail}}{{end}}</li>
{{end}}</ul>{{end}}
<h3>Steps</h3><ul>
{{range .Steps}}<li>{{.Status}} <code>{{.ID}}</code> ({{.Action}}){{if .Error}} — {{.Error}}{{end}}</li>
{{end}}</ul>
<p>Manifest head: <code>{{.ManifestHead}}</code><br>Evidence: <code>{{.RunDir}}</code></p>
{{- end}}
</body></html>
`

// The templates are parsed on the first mail, not at every start-up.
var (
	textT = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.New("text").Parse(textTmpl))
	})
	// html/template escapes every value: a key name cannot inject markup.
	htmlT = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.New("html").Parse(htmlTmpl))
	})
)

func bodies(ev notify.Event) (text, html string, err error) {
	v := newView(ev)
	var tb, hb bytes.Buffer
	if err := textT().Execute(&tb, oneLine(v)); err != nil {
		return "", "", err
	}
	if err := htmlT().Execute(&hb, v); err != nil {
		return "", "", err
	}
	return tb.String(), hb.String(), nil
}

// oneLine is the view as the plain-text part shows it: each value that came
// from an API answer, a playbook or a user is one line, its line breaks and
// other control characters shown as escapes (render.EscapedLine), so a key
// name or a finding cannot start a line that reads like keyir's own
// ("Containment:  confirmed") under the real one. The HTML part needs no
// such care: html/template escapes, and a line break there starts no row.
func oneLine(v view) view {
	e := render.EscapedLine
	ev := &v.Event
	ev.KeyID, ev.KeyName, ev.KeyType, ev.KeyFingerprint = e(ev.KeyID), e(ev.KeyName), e(ev.KeyType), e(ev.KeyFingerprint)
	ev.Incident, ev.Operator, ev.Playbook, ev.RunID, ev.RunDir = e(ev.Incident), e(ev.Operator), e(ev.Playbook), e(ev.RunID), e(ev.RunDir)
	ev.Text, ev.ManifestHead, ev.Containment.Detail = e(ev.Text), e(ev.ManifestHead), e(ev.Containment.Detail)
	ev.Findings = slices.Clone(ev.Findings)
	for i := range ev.Findings {
		f := &ev.Findings[i]
		f.Title, f.Subject, f.Detail = e(f.Title), e(f.Subject), e(f.Detail)
	}
	ev.Steps = slices.Clone(ev.Steps)
	for i := range ev.Steps {
		s := &ev.Steps[i]
		s.ID, s.Action, s.Error = e(s.ID), e(s.Action), e(s.Error)
	}
	v.Outcome, v.Next = e(v.Outcome), e(v.Next)
	return v
}
