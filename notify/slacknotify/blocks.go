package slacknotify

import "fmt"
import "strings"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/report"

// Every string from an API, a playbook or a user goes through
// notify.SlackEscape or notify.SlackLiteral before it is put in a block:
// Slack does not escape block text, so "<!channel>" in a key name would page
// everyone.

// Slack's limits: header text 150, section text 3000, a field 2000, 10 fields.
const (
	maxHeader  = 150
	maxSection = 2900
	maxField   = 300
	maxLines   = 25
)

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func field(name, value string) *slack.TextBlockObject {
	return mrkdwn("*" + name + "*\n" + clip(value, maxField))
}

func header(ev notify.Event) slack.Block {
	// The kind the identify step named; a provider's run that names none
	// says "key", never another provider's.
	what := ev.KeyKind
	if what == "" {
		what = "key"
	}
	t := "Leaked " + what
	if ev.Incident != "" {
		t += " — " + ev.Incident
	}
	if l := ev.Label(); l != "" {
		t = "[" + l + "] " + t
	}
	return slack.NewHeaderBlock(plain(clip(notify.SlackEscape(t), maxHeader)))
}

// banner says, in words, what a dry run or a drill does not do.
func banner(ev notify.Event) []slack.Block {
	switch ev.Mode {
	case report.ModeDryRun:
		return []slack.Block{slack.NewSectionBlock(mrkdwn(":warning: *DRY RUN* — nothing is revoked or changed: writes are refused and recorded as planned changes."), nil, nil)}
	case report.ModeDrill:
		return []slack.Block{slack.NewSectionBlock(mrkdwn(":test_tube: *DRILL* — a rehearsal against the simulator: no real key or account is touched."), nil, nil)}
	}
	return nil
}

var runIcons = map[report.RunStatus]string{
	report.RunRunning:     ":hourglass_flowing_sand:",
	report.RunSucceeded:   ":white_check_mark:",
	report.RunDegraded:    ":warning:",
	report.RunFailed:      ":x:",
	report.RunInterrupted: ":double_vertical_bar:",
}

var stepIcons = map[report.StepStatus]string{
	report.StepPending:     ":white_circle:",
	report.StepRunning:     ":hourglass_flowing_sand:",
	report.StepOK:          ":white_check_mark:",
	report.StepFailed:      ":x:",
	report.StepSkipped:     ":fast_forward:",
	report.StepPlanned:     ":memo:",
	report.StepInterrupted: ":double_vertical_bar:",
}

var severityIcons = map[report.Severity]string{
	report.Critical: ":red_circle:",
	report.High:     ":large_orange_circle:",
	report.Medium:   ":large_yellow_circle:",
	report.Low:      ":large_blue_circle:",
	report.Info:     ":white_circle:",
}

func keyFields(ev notify.Event) []*slack.TextBlockObject {
	var out []*slack.TextBlockObject
	// A kind of key without an id, a name or a type (a GitHub or Slack
	// token) shows no empty field for them.
	for _, f := range [][2]string{{"Key id", ev.KeyID}, {"Key name", ev.KeyName}, {"Key type", ev.KeyType}} {
		if f[1] != "" {
			out = append(out, field(f[0], notify.SlackLiteral(f[1])))
		}
	}
	return append(out,
		field("Fingerprint", notify.SlackLiteral(ev.KeyFingerprint)),
		field("Mode", notify.SlackLiteral(string(ev.Mode))),
		field("Incident", notify.SlackLiteral(ev.Incident)),
		field("Status", runIcons[ev.Status]+" "+notify.SlackEscape(string(ev.Status))),
		field("Operator", notify.SlackLiteral(ev.Operator)),
	)
}

// manifestPart names the evidence's MANIFEST head, or, when the closing
// message goes out before the evidence is sealed (the closing step runs
// inside the run), where the head will be: never an empty "manifest —".
func manifestPart(head string) string {
	if head == "" {
		return "MANIFEST head: in the thread once the evidence is sealed"
	}
	return "manifest " + notify.SlackLiteral(head)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func contextLine(parts ...string) slack.Block {
	return slack.NewContextBlock("", mrkdwn(strings.Join(parts, " · ")))
}

// message is the playbook's own text for the event, if any: escaped, so it
// cannot mention anyone.
func message(ev notify.Event) []slack.Block {
	if strings.TrimSpace(ev.Text) == "" {
		return nil
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(clip(notify.SlackEscape(ev.Text), maxSection)), nil, nil)}
}

// openedBlocks is the anchor message when the run starts.
func openedBlocks(ev notify.Event) []slack.Block {
	bs := []slack.Block{header(ev)}
	bs = append(bs, banner(ev)...)
	bs = append(bs, message(ev)...)
	bs = append(bs,
		slack.NewSectionBlock(nil, keyFields(ev), nil),
		contextLine("keyir run "+notify.SlackLiteral(ev.RunID), "playbook "+notify.SlackLiteral(ev.Playbook), "started "+stamp(ev.Time)),
	)
	return bs
}

// closedBlocks replace the anchor message when the run ends.
func closedBlocks(ev notify.Event) []slack.Block {
	bs := []slack.Block{header(ev)}
	bs = append(bs, banner(ev)...)
	outcome := fmt.Sprintf("*Outcome:* %s %s (exit code %d)", runIcons[ev.Status], notify.SlackEscape(string(ev.Status)), ev.ExitCode)
	if o, next := ev.Outcome(); o != "" {
		outcome += fmt.Sprintf("\n:warning: *%s* — next: %s", notify.SlackEscape(o), notify.SlackLiteral(next))
	}
	bs = append(bs, message(ev)...)
	bs = append(bs,
		slack.NewSectionBlock(mrkdwn(outcome+"\n"+containmentLine(ev.Containment)+"\n*Findings:* "+countsLine(ev)), nil, nil),
		slack.NewSectionBlock(nil, keyFields(ev), nil),
		contextLine("keyir run "+notify.SlackLiteral(ev.RunID), "finished "+stamp(ev.Time), manifestPart(ev.ManifestHead)),
	)
	return bs
}

func containmentLine(c report.Containment) string {
	var s string
	switch c.Status {
	case report.ContainmentConfirmed:
		s = ":lock: *Containment confirmed*"
	case report.ContainmentNotConfirmed:
		s = ":rotating_light: *Containment NOT confirmed — the key may still be live*"
	case report.ContainmentPlanned:
		s = ":memo: *Containment planned* (dry run)"
	case report.ContainmentRevokedUnproven:
		s = ":warning: *Key revoked by id, NOT proven dead* (only the key id was known)"
	case report.ContainmentNotFound:
		s = ":rotating_light: *Key NOT found in any account — nothing was revoked; the key may still be live*"
	default:
		return "*Containment:* not part of this playbook"
	}
	if c.Detail != "" {
		s += " — " + notify.SlackEscape(c.Detail)
	}
	if c.TimeToContainment > 0 {
		s += fmt.Sprintf(" (time to containment %s)", report.FormatDuration(c.TimeToContainment))
	}
	return s
}

func countsLine(ev notify.Event) string {
	counts := ev.Counts()
	var parts []string
	for _, s := range report.Severities {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " · ")
}

// progressBlocks is the one status message in the thread, edited in place.
func progressBlocks(ev notify.Event) []slack.Block {
	done := 0
	var lines []string
	for _, s := range ev.Steps {
		if s.Status != report.StepPending && s.Status != report.StepRunning {
			done++
		}
		line := fmt.Sprintf("%s %s %s", stepIcons[s.Status], notify.SlackLiteral(s.ID), notify.SlackEscape(string(s.Status)))
		if ev.Kind == notify.Closed && s.Status == report.StepRunning {
			line += " (sending this summary)"
		}
		if s.Duration > 0 {
			line += fmt.Sprintf(" (%s)", report.FormatDuration(s.Duration))
		}
		if s.Error != "" {
			line += " — " + notify.SlackLiteral(clip(s.Error, 200))
		}
		lines = append(lines, line)
	}
	title := fmt.Sprintf("*Progress:* %d of %d steps done", done, len(ev.Steps))
	if l := ev.Label(); l != "" {
		title = "*[" + l + "]* " + title
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(clip(title+"\n"+capLines(lines, "steps"), maxSection)), nil, nil)}
}

func progressText(ev notify.Event) string {
	done := 0
	for _, s := range ev.Steps {
		if s.Status != report.StepPending && s.Status != report.StepRunning {
			done++
		}
	}
	return labelled(ev, fmt.Sprintf("keyir progress: %d of %d steps done", done, len(ev.Steps)))
}

// findingsBlocks is the thread reply with the findings, most severe first.
func findingsBlocks(ev notify.Event) []slack.Block {
	title := fmt.Sprintf("*Findings* (%d): %s", len(ev.Findings), countsLine(ev))
	if l := ev.Label(); l != "" {
		title = "*[" + l + "]* " + title
	}
	var lines []string
	for _, sev := range report.Severities {
		for _, f := range ev.Findings {
			if f.Severity != sev {
				continue
			}
			line := fmt.Sprintf("%s *%s* %s", severityIcons[f.Severity], f.Severity, notify.SlackEscape(flatten(f.Title)))
			if f.Subject != "" {
				line += " — " + notify.SlackLiteral(f.Subject)
			}
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		lines = []string{"No findings."}
	}
	text := title + "\n" + capLines(lines, "findings")
	bs := []slack.Block{slack.NewSectionBlock(mrkdwn(clip(text, maxSection)), nil, nil)}
	if ev.ReportPath != "" {
		bs = append(bs, contextLine("The full report is attached below; details and evidence are in the run directory."))
	}
	return bs
}

func findingsText(ev notify.Event) string {
	return labelled(ev, fmt.Sprintf("keyir findings: %d (%s)", len(ev.Findings), countsLine(ev)))
}

func labelled(ev notify.Event, s string) string {
	if l := ev.Label(); l != "" {
		return "[" + l + "] " + s
	}
	return s
}

// flatten keeps one finding on one line.
func flatten(s string) string { return strings.Join(strings.Fields(s), " ") }

func capLines(lines []string, what string) string {
	if len(lines) > maxLines {
		more := len(lines) - maxLines
		lines = append(lines[:maxLines:maxLines], fmt.Sprintf("… and %d more %s in the report", more, what))
	}
	return strings.Join(lines, "\n")
}

// sealText is the thread reply that records the evidence's manifest head.
func sealText(ev notify.Event) string {
	prefix := ""
	if l := ev.Label(); l != "" {
		prefix = "*[" + l + "]* "
	}
	return prefix + ":closed_lock_with_key: *Evidence sealed.* MANIFEST head " + notify.SlackLiteral(ev.ManifestHead) +
		" — keep this message: `keyir report verify` on the run directory must print the same head, or the evidence was changed."
}
