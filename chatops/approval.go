package chatops

import "context"
import "fmt"
import "slices"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/playbook"

// The approval state machine: a request is pending until a click decides
// it (approved, cancelled) or it expires. decide, decideRequest and due are
// the rules, pure functions of the request, the click and the time: no
// Slack, disk, lock or clock, so they are tested alone. HandleAction and
// ExpireNow apply them under the lock and persist; the Slack side (the plan
// message, private answers) is in slackio.go.

// click is what an Approve or Cancel click asks of a request.
type click struct {
	verb          string // "approve" or "cancel"
	user, channel string
	messageTS     string // the message whose button it was
	now           time.Time
}

// verdict is the state machine's answer to a click.
type verdict struct {
	// refuse is the audit reason of a refusal; "" when the click decides
	// the request.
	refuse string
	// msg is what the clicker is told when refused.
	msg string
	// expire: the request was pending past its expiry, so it expires now.
	expire bool
}

// decide says whether a click may decide request r (nil: unknown).
func decide(r *Request, c click, twoPerson bool) verdict {
	switch {
	case r == nil:
		return verdict{refuse: "unknown request", msg: "keyir has no such request."}
	case r.Channel != c.channel:
		return verdict{refuse: "wrong channel", msg: "That request belongs to another channel."}
	case r.MessageTS == "" || c.messageTS != r.MessageTS:
		// The button's value names the request, the message shows its
		// plan: a click decides only the request whose plan it was under
		// (Slack never sends another pair; a forged payload does).
		return verdict{refuse: "not its approval message", msg: "That button is not on this request's approval message; nothing was done."}
	case due(r, c.now):
		msg := "This request has expired; nothing was done. Run /keyir revoke again if the key still needs revoking."
		if r.Kind == KindEradicate {
			msg = "This request has expired; nothing was removed. Click Remove again if the footholds still need removing."
		}
		return verdict{refuse: "expired", msg: msg, expire: true}
	case r.State != StatePending:
		by := ""
		if r.DecidedBy != "" {
			by = " by <@" + r.DecidedBy + ">"
		}
		return verdict{refuse: "already " + string(r.State), msg: fmt.Sprintf("This request is already %s%s; nothing more was done.", r.State, by)}
	case c.verb == "approve" && twoPerson && !r.DryRun && c.user == r.Requester:
		msg := "A live revoke needs a second person: someone other than the requester must approve it."
		if r.Kind == KindEradicate {
			msg = "Removing footholds needs a second person: someone other than the requester must approve it."
		}
		return verdict{refuse: "self-approval", msg: msg}
	}
	return verdict{}
}

// decideRequest records a click decide accepted: approved, with the id of
// the run it starts, or cancelled.
func decideRequest(r *Request, c click) {
	r.DecidedBy, r.DecidedAt = c.user, c.now.UTC()
	if c.verb == "approve" {
		r.State = StateApproved
		r.RunID = playbook.NewRunID()
	} else {
		r.State = StateCancelled
	}
}

// due reports whether r is pending past its expiry.
func due(r *Request, now time.Time) bool {
	return r.State == StatePending && !now.Before(r.Expires)
}

// steps4 lists the playbook's steps for the plan, from the run's plan
// (playbook.Plan): whether a step changes something is decided from the
// step itself (a core.http POST does, a GET does not), as in the dry run
// and the journal. The inputs known before approval (region, key id) are
// given, so a host or method taken from them shows.
func (s *Server) steps4(r *Request) []planStep {
	steps, _ := s.planOf(r)
	return steps
}

// planOf is steps4 with the sha256 of the playbook they were read from
// ("" if it could not be read): the plan posted for approval records it,
// and the run refuses a playbook that is not that one (run.go).
func (s *Server) planOf(r *Request) ([]planStep, string) {
	builtin := slices.Contains(playbook.BuiltinNames(), strings.TrimPrefix(r.Playbook, playbook.BuiltinPrefix))
	if v, ok := builtinPlans.Load(r.Playbook); ok && builtin {
		p := v.(cachedPlan)
		return slices.Clone(p.steps), p.sha
	}
	pb, err := playbook.Resolve(r.Playbook)
	if err != nil {
		return nil, ""
	}
	given := map[string]string{}
	for _, in := range pb.Inputs {
		switch in.Name {
		case "region":
			given[in.Name] = s.cfg.Region
		case "key_id":
			given[in.Name] = r.KeyID
		}
	}
	inputs, err := pb.ResolveInputs(given)
	if err != nil {
		inputs = nil // a parameter read from an input then counts as unknown
	}
	plan := playbook.NewPlan(pb, inputs)
	out := make([]planStep, len(plan.Steps))
	for i, st := range plan.Steps {
		out[i] = planStep{ID: st.ID, Action: st.Action, Mutates: st.Mutates, Hosts: st.Hosts}
	}
	if builtin {
		builtinPlans.Store(r.Playbook, cachedPlan{steps: slices.Clone(out), sha: pb.SHA256})
	}
	return out, pb.SHA256
}

// builtinPlans caches the steps of built-in playbooks (a cachedPlan), which
// cannot change while the process runs: parsing one for every plan posted
// cost more CPU than answering the command (a burst of commands waited on
// it).
var builtinPlans sync.Map

type cachedPlan struct {
	steps []planStep
	sha   string
}

// HandleAction handles an Approve or Cancel click. The answer to the
// requester (refusals) goes as an ephemeral message; the approval message
// is updated in place.
func (s *Server) HandleAction(ctx context.Context, a Action) error {
	if err := s.checkOrigin(a.Transport, a.Team, a.APIAppID, a.User, a.Channel); err != nil {
		return err
	}
	if a.ActionID == ActionEradicate {
		return s.requestEradication(ctx, a)
	}
	verb := map[string]string{ActionApprove: "approve", ActionCancel: "cancel"}[a.ActionID]
	if verb == "" {
		s.auditf(AuditEvent{Event: AuditApprovalRefused, Transport: a.Transport, User: a.User, Channel: a.Channel, Reason: "unknown action"})
		return nil
	}
	if ok, why := s.authorize(ctx, a.Transport, verb, a.User, a.Channel); !ok {
		s.tell(a, refusal(why).Text)
		return nil
	}
	if !s.Ready() {
		s.tell(a, "keyir is restarting; nothing was done. Click again in a minute: the request is kept.")
		return nil
	}
	if !requestIDRE().MatchString(a.Value) {
		s.auditf(AuditEvent{Event: AuditApprovalRefused, Transport: a.Transport, User: a.User, Channel: a.Channel, Reason: "malformed request id"})
		s.tell(a, "That button does not belong to a keyir request.")
		return nil
	}
	now := s.o.Now()
	s.mu.Lock()
	r := s.reqs[a.Value]
	refuse := func(reason, msg string) error {
		ev := AuditEvent{Event: AuditApprovalRefused, Transport: a.Transport, User: a.User, Channel: a.Channel, Verb: verb, Reason: reason}
		if r != nil {
			ev.Request, ev.KeyID, ev.Fingerprint = r.ID, r.KeyID, r.Fingerprint
		}
		s.unlockAndFlush()
		s.auditf(ev)
		s.tell(a, msg)
		return nil
	}
	c := click{verb: verb, user: a.User, channel: a.Channel, messageTS: a.MessageTS, now: now}
	v := decide(r, c, s.cfg.TwoPerson)
	if v.expire {
		s.expireLocked(r, "approval arrived after expiry")
		snap := r.clone()
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.updatePlan(s.runCtx, snap) }()
	}
	if v.refuse != "" {
		return refuse(v.refuse, v.msg)
	}
	prev := *r
	decideRequest(r, c)
	if r.State == StateCancelled {
		s.releaseLocked(r)
	}
	s.saveLocked(r)
	snap := r.clone()
	secret := s.secrets[r.ID]
	if err := s.unlockAndFlush(); err != nil {
		// Not on disk: undo, so a retry can decide again.
		s.mu.Lock()
		if r.Version == snap.Version {
			prev.Version = r.Version + 1
			*r = prev
			s.byKey[r.slot()] = r.ID
			s.saveLocked(r)
		}
		return refuse("could not persist", "keyir could not record the decision; nothing was done. Try again.")
	}
	s.mu.Lock()
	if verb == "cancel" {
		delete(s.secrets, r.ID)
	}
	s.wg.Add(1)
	s.mu.Unlock()
	if verb == "cancel" {
		s.auditf(AuditEvent{Event: AuditCancellation, Transport: a.Transport, User: a.User, Channel: a.Channel, Request: r.ID, KeyID: snap.KeyID, Fingerprint: snap.Fingerprint})
		go func() { defer s.wg.Done(); s.updatePlan(s.runCtx, snap) }()
		return nil
	}
	s.auditf(AuditEvent{Event: AuditApproval, Transport: a.Transport, User: a.User, Channel: a.Channel, Request: r.ID, KeyID: snap.KeyID, Fingerprint: snap.Fingerprint, DryRun: snap.DryRun, RunID: snap.RunID})
	go func() { defer s.wg.Done(); s.run(snap, secret) }()
	return nil
}

func (s *Server) expiryLoop() {
	defer close(s.tickDone)
	t := time.NewTicker(s.o.ExpiryTick)
	defer t.Stop()
	for {
		select {
		case <-s.stopTick:
			return
		case <-t.C:
			s.ExpireNow()
		}
	}
}

// ExpireNow expires every pending request past its expiry and updates its
// message. The expiry loop calls it every tick.
func (s *Server) ExpireNow() {
	now := s.o.Now()
	s.mu.Lock()
	var exp []*Request
	for _, r := range s.reqs {
		if due(r, now) {
			s.expireLocked(r, "no approval within "+s.cfg.ApprovalExpiry.String())
			exp = append(exp, r.clone())
		}
	}
	s.wg.Add(len(exp))
	s.unlockAndFlush()
	for _, r := range exp {
		go func() { defer s.wg.Done(); s.updatePlan(s.runCtx, r) }()
	}
}

func (s *Server) expireLocked(r *Request, why string) { s.endLocked(r, StateExpired, AuditExpiry, why) }

// endLocked ends a request that never ran: state, its key released, the
// secret forgotten, saved and audited (event) with why.
func (s *Server) endLocked(r *Request, state State, event, why string) {
	r.State, r.Detail = state, why
	s.releaseLocked(r)
	delete(s.secrets, r.ID)
	s.saveLocked(r)
	s.auditLocked(AuditEvent{Event: event, Request: r.ID, User: r.Requester, Channel: r.Channel, KeyID: r.KeyID, Fingerprint: r.Fingerprint, Reason: why})
}
