// Package notifystep holds the playbook actions that tell people about the
// incident: notify.slack, notify.email, notify.webhook, and notify.all for
// every configured channel at once. They hand events to the run's
// notification hub (env.Service("notify"), a *notify.Hub the command builds
// from its flags); without a hub, or without the channel, they succeed with
// sent: false, so a playbook with notify steps runs anywhere.
//
//   - event: opened builds the incident from the run so far (the key's id,
//     name, type and fingerprint from earlier steps' outputs) and only
//     queues it, once the journal holds everything before it (right after
//     the run's next commit, which the revoke that follows makes anyway):
//     the step returns at once and the revoke is not delayed.
//   - event: closed builds the summary (steps, findings, containment, the
//     outcome so far, report.md rendered now), queues it, and waits for
//     every delivery of the run to the step's channels, bounded by the
//     step's timeout. Any failed delivery fails the step; playbooks mark
//     these steps on_error: continue, so the run ends "degraded" (exit 3)
//     and containment is never held up.
package notifystep

import "bytes"
import "context"
import "errors"
import "fmt"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

// ServiceName is the name the hub is provided under (Env.Service).
const ServiceName = notify.ServiceName

var outputs = []actions.Output{
	{Name: "sent", Type: actions.TypeBool, Description: "opened: queued for delivery; closed: delivered to every channel"},
	{Name: "channels", Type: actions.TypeList, Description: "the channels the event went to (not email in a dry run: SendGrid checks it in sandbox mode and delivers nothing)"},
	{Name: "reason", Type: actions.TypeString, Description: "why nothing was sent (no channel configured, or only email in a dry run)"},
}

func init() {
	for _, c := range []struct{ name, summary string }{
		{"all", "Tell every configured channel (Slack, email, webhook) that the incident opened or closed"},
		{"slack", "Post the incident to Slack: the anchor message when opened; outcome, findings and report.md in its thread when closed"},
		{"email", "Email the incident summary through SendGrid mail send with its own mail.send-only key"},
		{"webhook", "POST the incident as signed JSON (X-Keyir-Signature) to the configured webhook"},
	} {
		channel := c.name
		actions.Register(actions.Info{
			Name:    "notify." + channel,
			Summary: c.summary,
			Outputs: outputs,
			New:     func() actions.Action { return &Notify{channel: channel} },
		})
	}
}

// Notify sends an incident event to one channel, or to all of them.
type Notify struct {
	Event string `param:"event,required" desc:"opened (queued, returns at once) or closed (waits for delivery, bounded by the step's timeout)"`
	Text  string `param:"text" desc:"a message to include (a template: rendered by the engine, escaped by each channel)"`

	channel string // "all", "slack", "email" or "webhook"
}

// Validate checks the event.
func (a *Notify) Validate() error {
	switch a.Event {
	case string(notify.Opened), string(notify.Closed):
		return nil
	}
	return &actions.ParamError{Param: "event", Msg: fmt.Sprintf("want opened or closed, got %q", a.Event)}
}

// afterCommitter is a recorder that runs a function once everything the
// step journaled so far is on disk (the playbook runner's).
type afterCommitter interface{ AfterCommit(func()) }

// TellsAfterCommit says that an opened event is queued only through the
// recorder's AfterCommit: the runner then lets the step act without a
// commit of its own, and the event is queued after the next one (before the
// next step acts), so nobody hears of the incident before the journal
// holds everything before it, and the revocation that follows waits for one
// fsync instead of two. A closed event is sent and awaited in the step.
func (a *Notify) TellsAfterCommit() bool { return a.Event == string(notify.Opened) }

// Run queues the event and, for closed, waits for its delivery.
func (a *Notify) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	hub, _ := env.Service(ServiceName).(*notify.Hub)
	var to []string
	switch {
	case hub == nil:
	case a.channel == "all":
		to = hub.Channels()
	case hub.Has(a.channel):
		to = []string{a.channel}
	}
	if len(to) == 0 {
		reason := a.channel + " not configured"
		if a.channel == "all" {
			reason = "no notification channel configured"
		}
		env.Recorder.Note("notification not sent: " + reason + " (see keyir run --help: --slack-channel, --email-to, --webhook-url)")
		return actions.Outputs{"sent": false, "channels": []string{}, "reason": reason}, nil
	}
	if env.Report == nil {
		return nil, errors.New("no run to report on")
	}
	rep, err := env.Report()
	if err != nil {
		return nil, fmt.Errorf("reading the run so far: %w", err)
	}
	ev := eventOf(env, rep, notify.Kind(a.Event))
	ev.Text = strings.TrimSpace(a.Text)
	// A channel that only has its message checked in this mode (email in a
	// dry run) is sent to, but is not among the channels that told anyone.
	delivered, checked := splitDelivered(hub, to, ev.Mode)
	out := actions.Outputs{"sent": len(delivered) > 0, "channels": delivered}
	if len(checked) > 0 {
		why := strings.Join(checked, ", ") + ": checked by the provider, not delivered (" + string(ev.Mode) + ")"
		env.Recorder.Note("notification not delivered: " + why)
		if len(delivered) == 0 {
			out["reason"] = why
		}
	}
	if ev.Kind == notify.Opened {
		tell := func() { hub.EnqueueTo(ev, to...) }
		if ac, ok := env.Recorder.(afterCommitter); ok {
			ac.AfterCommit(tell)
		} else {
			tell()
		}
		if len(delivered) > 0 {
			env.Recorder.Note(fmt.Sprintf("incident opened: queued for %s (delivered in the background)", strings.Join(delivered, ", ")))
		}
		return out, nil
	}

	closeOutcome(&ev, rep)
	tmp, err := renderReport(rep, ev)
	if err != nil {
		// The summary matters more than the attachment: send without it.
		env.Recorder.Note("report.md not attached: " + env.Redactor.String(err.Error()))
	} else {
		defer os.RemoveAll(filepath.Dir(tmp))
		ev.ReportPath = tmp
	}
	// The closing event lists every step, this one as running: it is being
	// sent. "9 of 10 steps done" is the truth at that moment; dropping the
	// step made it "9 of 9" for a run of 10.
	hub.EnqueueTo(ev, to...)
	if err := hub.FlushChannels(ctx, to...); err != nil {
		out["sent"] = false
		return out, fmt.Errorf("notifications failed (containment is not affected): %w", err)
	}
	if len(delivered) > 0 {
		env.Recorder.Note("incident closed: delivered to " + strings.Join(delivered, ", "))
	}
	return out, nil
}

// splitDelivered parts the channels into those that deliver in mode and
// those whose message is only checked (notify.Delivers).
func splitDelivered(hub *notify.Hub, to []string, mode report.Mode) (delivered, checked []string) {
	delivered = []string{}
	for _, name := range to {
		if notify.Delivers(hub.Notifier(name), mode) {
			delivered = append(delivered, name)
		} else {
			checked = append(checked, name)
		}
	}
	return delivered, checked
}

// eventOf is the run as an Event: who, what, which key, where it stands.
func eventOf(env *actions.Env, rep *report.Report, kind notify.Kind) notify.Event {
	now := env.Now
	if now == nil {
		now = defaultNow
	}
	ev := notify.Event{
		Kind: kind, Time: now().UTC(), RunRef: notify.RunRefOf(rep.Run),
		Status: report.RunRunning, Steps: slices.Clone(rep.Steps), RunDir: env.Dir,
	}
	ev.Playbook = playbookName(ev.Playbook)
	// Replay marks a step without an end as interrupted: this one is running.
	for i := range ev.Steps {
		if ev.Steps[i].ID == env.Step {
			ev.Steps[i].Status = report.StepRunning
		}
	}
	ev.KeyID, ev.KeyName, ev.KeyType, ev.KeyFingerprint, ev.KeyKind = keyOf(rep.Steps)
	return ev
}

var defaultNow = time.Now

func playbookName(src string) string { return strings.TrimPrefix(src, "builtin:") }

// keyOf reads the key from earlier steps' outputs: key_id and fingerprint
// (sendgrid.identify_key), name and key_type (sendgrid.snapshot_key; a
// key_type without a name, as sendgrid.key_liveness gives, is the fallback).
func keyOf(steps []report.Step) (id, name, typ, fp, kind string) {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	for _, s := range steps {
		if s.Status != report.StepOK {
			continue
		}
		if id == "" {
			id = str(s.Outputs, "key_id")
		}
		if fp == "" {
			fp = str(s.Outputs, "fingerprint")
		}
		if kind == "" {
			kind = str(s.Outputs, "human")
		}
		t, n := str(s.Outputs, "key_type"), str(s.Outputs, "name")
		if t != "" && (typ == "" || (name == "" && n != "")) {
			typ, name = t, n
		}
	}
	if k, ok := keyTypes[typ]; ok {
		typ = k
	}
	return id, name, typ, fp, kind
}

var keyTypes = map[string]string{"full": "full access", "restricted": "restricted", "billing": "billing"}

// closeOutcome fills in the outcome as it stands when the closing step runs,
// by the runner's own rule (report.Outcome): the channel is told what the
// report will say.
func closeOutcome(ev *notify.Event, rep *report.Report) {
	v := report.Outcome(rep, containsKey(rep), report.EndedNormally)
	ev.Containment, ev.Findings = v.Containment, rep.Findings
	ev.Status, ev.ExitCode = v.Status, v.ExitCode
}

// containsKey says whether the run's plan has a step whose action contains
// the key, as the runner asks of its playbook.
func containsKey(rep *report.Report) bool {
	for _, s := range rep.Steps {
		if info, ok := actions.Lookup(s.Action); ok && info.Contains {
			return true
		}
	}
	return false
}

// renderReport writes report.md as it stands now into a private temporary
// directory, never the run directory: a file the runner did not write would
// be an unexplained extra under the MANIFEST. The caller removes the
// directory.
func renderReport(rep *report.Report, ev notify.Event) (string, error) {
	r := *rep
	r.Run.Status, r.Run.Finished, r.Run.Containment, r.ExitCode = ev.Status, ev.Time, ev.Containment, ev.ExitCode
	r.Steps = ev.Steps
	var b bytes.Buffer
	if err := render.RenderMarkdown(&b, &r); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "keyir-notify-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "report.md")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return path, nil
}

var (
	_ actions.Action    = (*Notify)(nil)
	_ actions.Validator = (*Notify)(nil)
)
