package chatops

import "fmt"
import "strings"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"

// A revoke of a token of another kind than SendGrid's (GitHub, Slack …):
// provider.Recognise names the kind, and the request runs the kind's own
// built-in playbook (KeyKind.Playbook, the token as KeyKind.KeyInput()),
// with the same approval, request record, audit and redaction as a
// SendGrid key. Such a token has no public half like a SendGrid key id: it
// is named by its kind and fingerprint, and its slot (one active request
// per key) is kind:fingerprint. Nothing of it but the fingerprint is
// persisted, so a pending request whose token was lost to a restart cannot
// be run (there is no id to revoke by): it expires instead (restoreRefusal).

// recogniseToken recognises a key that is neither a SendGrid key nor a key
// id (the caller has registered it with the redactor). A shape keyir does
// not know, or a wrong checksum, is refused by the one recogniser's words.
func recogniseToken(a *Args, arg string) error {
	r, err := provider.Recognise(arg)
	if err != nil {
		return fmt.Errorf("%w (it is %d characters long)", err, len(arg))
	}
	a.Key, a.Kind = arg, r
	a.Info.Fingerprint = redact.Fingerprint(arg)
	return nil
}

// revokeSlot is the slot of the key a revoke names (Request.slot).
func revokeSlot(a Args) string {
	if a.Kind.KeyKind != nil {
		return tokenSlot(a.Kind.Kind, a.Info.Fingerprint)
	}
	return a.Info.ID
}

func tokenSlot(kind, fingerprint string) string { return kind + ":" + fingerprint }

// newRevokeRequest is the request a revoke records: a SendGrid key by id
// with the configured revoke playbook; another kind by fingerprint with its
// own built-in playbook.
func (s *Server) newRevokeRequest(c Command, a Args, now time.Time) *Request {
	r := &Request{
		ID: newRequestID(), State: StatePending, KeyID: a.Info.ID, Fingerprint: a.Info.Fingerprint, HasSecret: a.Key != "",
		Incident: a.Incident, DryRun: a.DryRun, Playbook: s.cfg.Playbooks[VerbRevoke], Team: c.Team,
		Requester: c.User, Channel: c.Channel, Created: now.UTC(), Expires: now.Add(s.cfg.ApprovalExpiry).UTC(),
		AuditAt: c.auditAt,
	}
	if k := a.Kind.KeyKind; k != nil {
		r.TokenKind, r.TokenHuman, r.TokenInput, r.Playbook = k.Kind, k.Human, k.KeyInput(), k.Playbook
	}
	return r
}

// keyRef names a request's key in a sentence: a SendGrid key by its id,
// another kind by its name and fingerprint (never any part of the token).
func keyRef(r *Request) string {
	if r.TokenKind == "" {
		return "key `" + r.KeyID + "`"
	}
	return notify.SlackEscape(r.TokenHuman) + " `" + r.Fingerprint + "`"
}

// upperFirst starts a sentence with keyRef.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// restoreRefusal says why a pending request cannot be restored at start
// ("" when it can): it expired meanwhile, or it is a token of another kind
// whose token (held in memory only) was lost, and without it there is
// nothing to revoke by.
func restoreRefusal(r *Request, now time.Time) string {
	switch {
	case !now.Before(r.Expires):
		return "expired while keyir serve was stopped"
	case r.TokenKind != "":
		return "keyir serve restarted: the token itself was never written to disk, and a " + r.TokenHuman + " cannot be revoked without it; run /keyir revoke again with the token"
	}
	return ""
}

// tokenPlanHead is the top of the approval message of a token of another
// kind: what it is, its fingerprint, the incident, the mode, who asked and
// until when. Its name and scopes are read by the run, not before approval.
func tokenPlanHead(r *Request, label string) (string, []slack.Block) {
	title := fmt.Sprintf("%skeyir: revoke a leaked %s (fingerprint `%s`)", label, notify.SlackEscape(r.TokenHuman), r.Fingerprint)
	text := fmt.Sprintf("%skeyir: revoke a leaked %s (fingerprint %s) — %s", label, notify.SlackEscape(r.TokenHuman), r.Fingerprint, stateLine(r))
	mode := "*LIVE*: the token will be revoked"
	if r.DryRun {
		mode = "*DRY RUN*: reads only, every write refused and recorded as planned"
	}
	fields := []*slack.TextBlockObject{
		md("*Kind*\n" + notify.SlackEscape(r.TokenHuman)),
		md("*Fingerprint*\n`" + r.Fingerprint + "`"),
		md("*Incident*\n" + incidentField(r)),
		md("*Mode*\n" + mode),
		md("*Requested by*\n<@" + r.Requester + ">"),
		md(fmt.Sprintf("*Expires*\n<!date^%d^{time}|%s>", r.Expires.Unix(), r.Expires.UTC().Format("15:04 UTC"))),
	}
	return text, []slack.Block{
		slack.NewSectionBlock(md("*"+title+"*"), nil, nil),
		slack.NewSectionBlock(nil, fields, nil),
		slack.NewContextBlock("", md("What the token can reach is read by the run itself (the playbook's first steps) and reported in this thread: the token is not used before approval.")),
	}
}

func incidentField(r *Request) string {
	if r.Incident == "" {
		return "—"
	}
	return "`" + r.Incident + "`"
}

// plainRef is keyRef for plain text (a confirmation dialog): no markup.
func plainRef(r *Request) string {
	if r.TokenKind == "" {
		return "key " + r.KeyID
	}
	return r.TokenHuman + " " + r.Fingerprint
}
