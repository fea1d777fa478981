package chatops

import "fmt"
import "strings"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/report"

type planStep struct {
	ID, Action string
	Mutates    bool
	Hosts      []string // where it sends, when known before the run
}

// planMessage renders the approval message for a request in its current
// state: the key (id, fingerprint, name and scopes as SendGrid reported
// them), the steps, live or dry run, the policy, and the buttons while
// pending. Everything that came from outside is escaped; the button value
// is the opaque request id.
func planMessage(r *Request, cfg *Config, steps []planStep, buttons bool) (string, []slack.Block) {
	label := ""
	if r.DryRun {
		label = "[DRY RUN] "
	}
	if r.TokenKind != "" {
		text, blocks := tokenPlanHead(r, label)
		return text, planTail(r, cfg, steps, buttons, blocks)
	}
	title := fmt.Sprintf("%skeyir: revoke leaked SendGrid key `%s`", label, r.KeyID)
	text := fmt.Sprintf("%skeyir: revoke leaked SendGrid key %s — %s", label, r.KeyID, stateLine(r))

	name, typ, scopes := "not read yet", "—", "—"
	switch {
	case r.KeyFound:
		name = notify.SlackLiteral(r.KeyName)
		typ = r.KeyType
		scopes = scopeList(r.KeyScopes)
	case r.KeyReadError != "":
		name = "_could not be read_ (" + notify.SlackEscape(r.KeyReadError) + ")"
	case r.Updated.After(r.Created) || r.MessageTS != "":
		name = "_not found_ (GET /v3/api_keys/" + r.KeyID + " answered 404: already revoked?)"
	}
	mode := "*LIVE*: the key will be revoked"
	if r.DryRun {
		mode = "*DRY RUN*: reads only, every write refused and recorded as planned"
	}
	fields := []*slack.TextBlockObject{
		md("*Key id*\n`" + r.KeyID + "`"),
		md("*Fingerprint*\n`" + r.Fingerprint + "`"),
		md("*Name* (from SendGrid)\n" + name),
		md("*Type*\n" + notify.SlackEscape(typ)),
		md("*Incident*\n" + incidentField(r)),
		md("*Mode*\n" + mode),
		md("*Requested by*\n<@" + r.Requester + ">"),
		md(fmt.Sprintf("*Expires*\n<!date^%d^{time}|%s>", r.Expires.Unix(), r.Expires.UTC().Format("15:04 UTC"))),
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(md("*"+title+"*"), nil, nil),
		slack.NewSectionBlock(nil, fields, nil),
		slack.NewSectionBlock(md("*Scopes* (from SendGrid)\n"+scopes), nil, nil),
	}
	return text, planTail(r, cfg, steps, buttons, blocks)
}

// planTail adds the playbook's steps, the policy and the buttons (or the
// final state) to an approval message's head.
func planTail(r *Request, cfg *Config, steps []planStep, buttons bool, blocks []slack.Block) []slack.Block {
	if len(steps) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "*Playbook* `%s`\n", notify.SlackEscape(r.Playbook))
		for i, st := range steps {
			mut := ""
			if st.Mutates {
				mut = " — *changes something*"
				if len(st.Hosts) > 0 {
					mut = " — *changes " + notify.SlackEscape(strings.Join(st.Hosts, " or ")) + "*"
				}
			}
			fmt.Fprintf(&b, "%d. `%s` (%s)%s\n", i+1, st.ID, st.Action, mut)
		}
		blocks = append(blocks, slack.NewSectionBlock(md(b.String()), nil, nil))
	}
	if r.SecretLost {
		blocks = append(blocks, slack.NewContextBlock("", md(":warning: "+notify.SlackEscape(r.Detail))))
	}
	if buttons {
		policy := "Any authorized responder may approve."
		if cfg.TwoPerson && !r.DryRun {
			policy = "A live revoke needs approval by an authorized responder *other than the requester*."
		}
		blocks = append(blocks, slack.NewContextBlock("", md(policy)))
		approve := slack.NewButtonBlockElement(ActionApprove, r.ID, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).
			WithStyle(slack.StyleDanger).
			WithConfirm(slack.NewConfirmationBlockObject(
				slack.NewTextBlockObject(slack.PlainTextType, "Revoke this key?", false, false),
				slack.NewTextBlockObject(slack.PlainTextType, confirmText(r), false, false),
				slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false),
				slack.NewTextBlockObject(slack.PlainTextType, "Back", false, false)))
		cancel := slack.NewButtonBlockElement(ActionCancel, r.ID, slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
		blocks = append(blocks, slack.NewActionBlock("keyir_approval", approve, cancel))
	} else {
		blocks = append(blocks, slack.NewContextBlock("", md(stateLine(r))))
	}
	return blocks
}

func confirmText(r *Request) string {
	if r.DryRun {
		return "Dry run for " + plainRef(r) + ": nothing will be changed."
	}
	if r.TokenKind != "" {
		return "The " + r.TokenHuman + " with fingerprint " + r.Fingerprint + " will be revoked. Anything still using it stops working."
	}
	return "Key " + r.KeyID + " will be revoked in SendGrid. Anything still using it stops working."
}

func stateLine(r *Request) string {
	switch r.State {
	case StatePending:
		return "waiting for approval"
	case StateApproved:
		return fmt.Sprintf("*Approved* by <@%s>: run %s — progress in the thread", r.DecidedBy, r.RunID)
	case StateCancelled:
		return fmt.Sprintf("*Cancelled* by <@%s>: nothing was done", r.DecidedBy)
	case StateExpired:
		return "*Expired*: nothing was done (" + notify.SlackEscape(r.Detail) + ")"
	case StateFailed:
		return "*Failed*: " + notify.SlackEscape(r.Detail)
	case StateFinished:
		return fmt.Sprintf("*Finished*: run %s %s", r.RunID, r.RunStatus)
	case StateInterrupted:
		return "*Interrupted*: " + notify.SlackEscape(r.Detail)
	case StateAbandoned:
		return "*Abandoned* (interrupted, not finished): " + notify.SlackEscape(r.Detail)
	}
	return string(r.State)
}

func scopeList(scopes []string) string {
	if len(scopes) == 0 {
		return "none"
	}
	const show = 15
	parts := make([]string, 0, show)
	for i, s := range scopes {
		if i == show {
			break
		}
		parts = append(parts, notify.SlackLiteral(s))
	}
	out := fmt.Sprintf("%d scopes: %s", len(scopes), strings.Join(parts, " "))
	if len(scopes) > show {
		out += fmt.Sprintf(" … and %d more", len(scopes)-show)
	}
	return out
}

func md(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func statusText(r *Request, steps []report.Step) string {
	var b strings.Builder
	if r.TokenKind != "" {
		fmt.Fprintf(&b, "*%s* — %s — %s\n", r.ID, keyRef(r), stateLine(r))
	} else {
		fmt.Fprintf(&b, "*%s* — key `%s` (fingerprint `%s`) — %s\n", r.ID, r.KeyID, r.Fingerprint, stateLine(r))
	}
	if r.RunID != "" {
		fmt.Fprintf(&b, "Run %s%s\n", r.RunID, runSuffix(r))
	}
	for _, st := range steps {
		fmt.Fprintf(&b, "%d. `%s` %s\n", st.Index, st.ID, st.Status)
	}
	return b.String()
}
