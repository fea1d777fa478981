package chatops

import "context"
import "errors"
import "fmt"
import "path/filepath"
import "strings"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/slacknotify"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// Eradication from the thread. A live run that leaves footholds (its sealed
// eradication-plan.json has items) ends its thread with the plan and a
// "Remove N footholds" button. A click does not remove anything: it creates
// a Request of KindEradicate, which is decided by the same state machine as
// a revoke (approval.go: the requester cannot approve it when two_person is
// on, authorized users only, expiry, audit, one decision), with its own
// approval message in the thread. Approved, it runs in-process what
// `keyir eradicate DIR --yes` runs: the parent is verified against its
// MANIFEST again and must still have the head shown for approval, and the
// removal is a new run beside it that names it. A dry run's thread shows its
// plan without a button: nothing from a dry run removes anything.

// KindEradicate is Request.Kind of a removal of footholds.
const KindEradicate = "eradicate"

// ActionEradicate is the "Remove N footholds" button; its value is the id of
// the request whose run left them.
const ActionEradicate = "keyir_eradicate"

// VerbEradicate is the verb authorized (and audited) for the click.
const VerbEradicate = "eradicate"

// AuditEradicationRequested: a click created an eradication request.
const AuditEradicationRequested = "eradication_requested"

// maxPlanLines bounds the plan shown in Slack; the rest is counted.
const maxPlanLines = 10

// slot is the key of byKey a request holds while active: a revoke holds its
// key id, an eradication its parent request (one at a time per parent run).
func (r *Request) slot() string {
	if r.Kind == KindEradicate {
		return "eradicate:" + r.ParentRequest
	}
	if r.TokenKind != "" {
		return tokenSlot(r.TokenKind, r.Fingerprint)
	}
	return r.KeyID
}

// threadOf is the thread a request's messages go to.
func threadOf(r *Request) string {
	if r.ThreadTS != "" {
		return r.ThreadTS
	}
	return r.MessageTS
}

// planLines is the compact plan of the items keyir removes: kind, where,
// subject, one line each, plain text (escaped when rendered), at most
// maxPlanLines.
func planLines(items []provider.PlanItem) []string {
	var out []string
	for i, it := range items {
		if i == maxPlanLines {
			break
		}
		acct := it.Where
		subj := it.Subject
		if r := []rune(subj); len(r) > 120 {
			subj = string(r[:119]) + "…"
		}
		out = append(out, it.Kind+"\x00"+acct+"\x00"+subj)
	}
	return out
}

func renderPlan(lines []string, total int) string {
	var b strings.Builder
	for _, l := range lines {
		f := strings.SplitN(l, "\x00", 3)
		for len(f) < 3 {
			f = append(f, "")
		}
		fmt.Fprintf(&b, "• `%s` %s: %s\n", notify.SlackEscape(f[0]), notify.SlackEscape(f[1]), notify.SlackLiteral(f[2]))
	}
	if total > len(lines) {
		fmt.Fprintf(&b, "… and %d more\n", total-len(lines))
	}
	return b.String()
}

// offerEradication ends the thread of a finished run whose plan has items
// with the plan and, for a live run, the button.
func (s *Server) offerEradication(ctx context.Context, r *Request) {
	if r.RunDir == "" {
		return
	}
	p, err := eradicate.Prepare(r.RunDir, nil)
	if err != nil {
		s.logf("run %s: no eradication offered: %v", r.RunID, err)
		return
	}
	if len(p.Removable()) == 0 {
		// Nothing keyir can remove: the run's own message says to remove
		// them by hand, and a button would only refuse.
		return
	}
	text, blocks := footholdsMessage(r, p.Removable(), len(p.ByHand()))
	err = s.retry(ctx, func() error {
		_, ts, err := s.api.PostMessageContext(ctx, r.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionTS(threadOf(r)), slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
		return slacknotify.Posted(ts, err)
	})
	if err != nil {
		s.logf("posting the footholds of %s: %v", r.RunID, err)
	}
}

func footholdsMessage(r *Request, items []provider.PlanItem, byHand int) (string, []slack.Block) {
	label := ""
	if r.DryRun {
		label = "[DRY RUN] "
	}
	n := len(items)
	head := fmt.Sprintf("%sRun %s left %d foothold(s) open", label, r.RunID, n+byHand)
	plan := renderPlan(planLines(items), n)
	if byHand > 0 {
		plan += fmt.Sprintf("%d more keyir cannot remove: remove them by hand, as the run's plan says.\n", byHand)
	}
	blocks := []slack.Block{slack.NewSectionBlock(md("*"+head+"*\n"+plan), nil, nil)}
	if r.DryRun {
		blocks = append(blocks, slack.NewContextBlock("", md(fmt.Sprintf(
			"A dry run removes nothing, so it offers no removal: revoke live, or review the plan with `keyir eradicate %s --dry-run` on the keyir server.",
			notify.SlackEscape(r.RunDir)))))
		return head, blocks
	}
	blocks = append(blocks, slack.NewContextBlock("", md("Removing them takes the same approval as a revoke: a click asks, another authorized responder approves.")))
	btn := slack.NewButtonBlockElement(ActionEradicate, r.ID, slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf("Remove %d footholds", n), false, false)).
		WithStyle(slack.StyleDanger)
	blocks = append(blocks, slack.NewActionBlock("keyir_eradicate", btn))
	return head, blocks
}

// requestEradication handles a click on "Remove N footholds": it creates a
// pending eradication request and posts its approval message in the thread.
func (s *Server) requestEradication(ctx context.Context, a Action) error {
	if ok, why := s.authorize(ctx, a.Transport, VerbEradicate, a.User, a.Channel); !ok {
		s.tell(a, refusal(why).Text)
		return nil
	}
	if !s.Ready() {
		s.tell(a, "keyir is restarting; nothing was done. Click again in a minute.")
		return nil
	}
	refuse := func(reason, msg string) error {
		s.auditf(AuditEvent{Event: AuditApprovalRefused, Transport: a.Transport, User: a.User, Channel: a.Channel, Verb: VerbEradicate, Request: a.Value, Reason: reason})
		s.tell(a, msg)
		return nil
	}
	if !requestIDRE().MatchString(a.Value) {
		a.Value = ""
		return refuse("malformed request id", "That button does not belong to a keyir request.")
	}
	now := s.o.Now()
	s.mu.Lock()
	parent := s.reqs[a.Value]
	var reason, msg string
	switch {
	case parent == nil:
		reason, msg = "unknown request", "keyir has no such request."
	case parent.Channel != a.Channel:
		reason, msg = "wrong channel", "That request belongs to another channel."
	case parent.State != StateFinished || parent.RunDir == "":
		reason, msg = "run not finished", "That run has not finished; nothing was done."
	case parent.DryRun:
		reason, msg = "dry run", "A dry run removes nothing; nothing was done."
	}
	if reason == "" {
		if id, busy := s.byKey["eradicate:"+parent.ID]; busy {
			other := s.reqs[id]
			reason, msg = "already requested", fmt.Sprintf("These footholds already have a request %s: %s. Nothing new was started.", describeState(other), other.ID)
		}
	}
	if reason != "" {
		s.mu.Unlock()
		return refuse(reason, msg)
	}
	r := &Request{
		ID: newRequestID(), Kind: KindEradicate, State: StatePending, KeyID: parent.KeyID, Fingerprint: parent.Fingerprint,
		Incident: parent.Incident, Team: a.Team, Requester: a.User, Channel: a.Channel,
		ParentRequest: parent.ID, Parent: parent.RunDir, ThreadTS: threadOf(parent),
		Created: now.UTC(), Expires: now.Add(s.cfg.ApprovalExpiry).UTC(),
	}
	s.saveLocked(r)
	s.reqs[r.ID] = r
	s.byKey[r.slot()] = r.ID
	snap := r.clone()
	if err := s.unlockAndFlush(); err != nil {
		s.mu.Lock()
		r.State, r.Detail = StateFailed, "could not be recorded"
		s.releaseLocked(r)
		s.mu.Unlock()
		s.tell(a, "keyir could not record the request; nothing was started.")
		return nil
	}
	s.auditf(AuditEvent{Event: AuditEradicationRequested, Transport: a.Transport, User: a.User, Channel: a.Channel, Verb: VerbEradicate,
		Request: r.ID, KeyID: r.KeyID, Fingerprint: r.Fingerprint, RunID: parent.RunID, RunDir: parent.RunDir})
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.postPlan(snap, a.ResponseURL) }()
	return nil
}

// postEradicationPlan verifies the parent run, records its head and plan in
// the request and posts the approval message in the thread.
func (s *Server) postEradicationPlan(r *Request, responseURL string) {
	ctx, cancel := context.WithTimeout(s.runCtx, 30*time.Second)
	defer cancel()
	p, perr := eradicate.Prepare(r.Parent, nil)
	if perr == nil && len(p.Removable()) == 0 {
		perr = errors.New("its plan has nothing keyir can remove")
	}
	if perr == nil && len(p.Providers()) > 1 {
		perr = errors.New("its plan holds several providers' items: run keyir eradicate on the server")
	}
	why := "the run's plan could not be used: "
	if perr == nil {
		// What the run would refuse with the server's credentials (another
		// account's key, another GitHub, none) is refused before the
		// Approve button exists: nobody approves a removal that cannot run.
		o := playbook.Options{Redactor: s.red, Getenv: s.o.Getenv, ReadFile: s.o.ReadFile}
		if s.o.RunOptions != nil {
			s.o.RunOptions(&o) // the transport a run would use (tests)
		}
		if err := p.Check(ctx, o); err != nil {
			why, perr = "keyir would refuse this removal with the credentials keyir serve holds: ", err
		}
	}
	s.mu.Lock()
	cur := s.reqs[r.ID]
	if perr != nil {
		cur.State, cur.Detail = StateFailed, why+s.red.String(perr.Error())
		s.releaseLocked(cur)
		s.saveLocked(cur)
		snap := cur.clone()
		s.unlockAndFlush()
		s.post(ctx, r.Channel, r.ThreadTS, "Nothing will be removed: "+notify.SlackEscape(snap.Detail))
		return
	}
	cur.ParentHead, cur.Items, cur.PlanLines, cur.Playbook = p.Head, len(p.Removable()), planLines(p.Removable()), p.Playbook()
	snap := cur.clone()
	s.mu.Unlock()

	text, blocks := eradicationMessage(snap, s.cfg, true)
	s.publishPlan(ctx, snap, text, blocks, r.ThreadTS, VerbEradicate, responseURL,
		"keyir could not post the plan in this channel. Nothing was started.")
}

// runEradication carries out an approved eradication as a new run, then
// posts its outcome (and, when items stay open, offers them again).
func (s *Server) runEradication(r *Request) {
	ctx := s.runCtx
	parentName := filepath.Base(r.Parent)
	s.post(ctx, r.Channel, r.ThreadTS, fmt.Sprintf("Approved by <@%s>. Eradication run %s is starting: removing %d foothold(s) found by `%s`.",
		r.DecidedBy, r.RunID, r.Items, notify.SlackEscape(parentName)))
	s.updatePlan(ctx, r)
	red := redact.New(s.o.BotToken)
	fail := func(err error) {
		s.startFailed(r, red, r.ThreadTS, "the eradication could not start: ", "The eradication could not start; nothing was removed: ", err)
	}
	// Verified again: the directory may have changed since the plan was
	// shown, and what was approved is that plan.
	p, err := eradicate.Prepare(r.Parent, nil)
	if err == nil && p.Head != r.ParentHead {
		err = fmt.Errorf("%s changed since its plan was approved (MANIFEST head %.16s, approved %.16s)", parentName, p.Head, r.ParentHead)
	}
	if err != nil {
		fail(err)
		return
	}
	opts := playbook.Options{
		Operator: "slack:" + r.Requester + " approved by slack:" + r.DecidedBy,
		Redactor: red,
		Getenv:   s.o.Getenv,
		ReadFile: s.o.ReadFile,
		RunID:    r.RunID,
		Version:  s.o.Version,
		Observer: &tracker{s: s, id: r.ID},
	}
	if s.o.RunOptions != nil {
		s.o.RunOptions(&opts)
	}
	s.auditf(AuditEvent{Event: AuditRunStarted, Request: r.ID, RunID: r.RunID, User: r.DecidedBy, Channel: r.Channel, Verb: VerbEradicate, KeyID: r.KeyID, Fingerprint: r.Fingerprint})
	res, err := eradicate.Run(ctx, p, false, opts)
	if err != nil {
		s.runFailed(r, red.String(err.Error()), fail)
		return
	}
	snap := s.finishRequest(r, res, VerbEradicate, "the eradication")
	pctx, pcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer pcancel()
	s.updatePlan(pctx, snap)
	s.post(pctx, r.Channel, r.ThreadTS, eradicationOutcome(snap, res))
	if snap.State == StateFinished {
		s.offerEradication(pctx, snap)
	}
}

// eradicationOutcome is the thread's account of an eradication run: the
// counts, each item still open with the reason, and where the evidence is.
func eradicationOutcome(r *Request, res *playbook.Result) string {
	if r.State == StateInterrupted {
		return fmt.Sprintf("Eradication run %s was interrupted: keyir serve is stopping. Finish it on the server with `keyir resume %s`.", r.RunID, res.Dir)
	}
	sum := eradicate.Summarize(res.Report)
	var b strings.Builder
	fmt.Fprintf(&b, "Eradication run %s finished: %s, exit %d (%s).\n", r.RunID, res.Report.Run.Status, res.ExitCode, report.ExitMeaning(res.ExitCode))
	b.WriteString(notify.SlackEscape(sum.Line()) + "\n")
	if len(sum.Open) > 0 {
		if p, err := eradicate.Prepare(res.Dir, nil); err == nil {
			for i, it := range p.Items {
				if i == maxPlanLines {
					fmt.Fprintf(&b, "… and %d more\n", len(p.Items)-i)
					break
				}
				why := ""
				if n := len(it.Why); n > 0 {
					why = strings.TrimPrefix(it.Why[n-1], "not removed by the eradication: ")
				}
				fmt.Fprintf(&b, "• still open: `%s` %s %s: %s\n", notify.SlackEscape(it.ID), notify.SlackEscape(it.Kind), notify.SlackLiteral(it.Subject), notify.SlackEscape(why))
			}
		}
	}
	fmt.Fprintf(&b, "Evidence on the keyir server: `%s` (MANIFEST head `%.16s`; parent `%s`, head `%.16s`; check with `keyir report verify`).",
		res.Dir, res.Head, filepath.Base(r.Parent), r.ParentHead)
	return b.String()
}

// eradicationMessage is the approval message of an eradication request.
func eradicationMessage(r *Request, cfg *Config, buttons bool) (string, []slack.Block) {
	parent := filepath.Base(r.Parent)
	title := fmt.Sprintf("keyir: remove %d foothold(s) found by run `%s`", r.Items, notify.SlackEscape(parent))
	text := fmt.Sprintf("keyir: remove %d foothold(s) found by run %s — %s", r.Items, notify.SlackEscape(parent), stateLine(r))
	incident := "—"
	if r.Incident != "" {
		incident = "`" + r.Incident + "`"
	}
	fields := []*slack.TextBlockObject{
		md("*Parent run*\n`" + notify.SlackEscape(parent) + "`"),
		md(fmt.Sprintf("*Parent MANIFEST head*\n`%.16s`", r.ParentHead)),
		md("*Incident*\n" + incident),
		md("*Mode*\n*LIVE*: each item is removed and read back"),
		md("*Requested by*\n<@" + r.Requester + ">"),
		md(fmt.Sprintf("*Expires*\n<!date^%d^{time}|%s>", r.Expires.Unix(), r.Expires.UTC().Format("15:04 UTC"))),
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(md("*"+title+"*"), nil, nil),
		slack.NewSectionBlock(nil, fields, nil),
		slack.NewSectionBlock(md("*Plan* (`"+notify.SlackEscape(r.Playbook)+"`)\n"+renderPlan(r.PlanLines, r.Items)), nil, nil),
	}
	if !buttons {
		return text, append(blocks, slack.NewContextBlock("", md(stateLine(r))))
	}
	policy := "Any authorized responder may approve."
	if cfg.TwoPerson {
		policy = "Removing footholds needs approval by an authorized responder *other than the requester*."
	}
	blocks = append(blocks, slack.NewContextBlock("", md(policy)))
	approve := slack.NewButtonBlockElement(ActionApprove, r.ID, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).
		WithStyle(slack.StyleDanger).
		WithConfirm(slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, fmt.Sprintf("Remove %d footholds?", r.Items), false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Each item of the plan is removed and read back. The parent run is verified first.", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Back", false, false)))
	cancel := slack.NewButtonBlockElement(ActionCancel, r.ID, slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
	return text, append(blocks, slack.NewActionBlock("keyir_approval", approve, cancel))
}
