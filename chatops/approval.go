package chatops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/actions/sendgrid"
	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/redact"
)

// The approval lifecycle: the plan posted with its buttons, the click that
// decides it, and expiry.

// postPlan reads the key's name and scopes with the responder key and posts
// the plan with Approve and Cancel buttons.
func (s *Server) postPlan(r *Request, responseURL string) {
	ctx, cancel := context.WithTimeout(s.runCtx, 30*time.Second)
	defer cancel()
	kd, derr := s.describeKey(ctx, r.KeyID)
	s.mu.Lock()
	cur := s.reqs[r.ID]
	if derr == nil {
		cur.KeyName, cur.KeyScopes, cur.KeyType, cur.KeyFound = kd.Name, kd.Scopes, kd.Type, kd.Found
	} else {
		cur.Detail = "could not read the key's name and scopes: " + s.red.String(derr.Error())
	}
	// Persisted with the message ts below: one write per plan, not two.
	snap := cur.clone()
	s.mu.Unlock()

	text, blocks := planMessage(snap, s.cfg, s.steps4(snap), true)
	var ts string
	err := s.retry(ctx, func() (err error) {
		_, ts, err = s.api.PostMessageContext(ctx, r.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
		return err
	})
	s.mu.Lock()
	cur = s.reqs[r.ID]
	if err != nil {
		s.logf("posting the plan of %s: %v", r.ID, err)
		cur.State, cur.Detail = StateFailed, "the plan could not be posted: "+s.red.String(err.Error())
		s.releaseLocked(cur)
		s.saveLocked(cur)
		s.unlockAndFlush()
		s.respond(responseURL, "keyir could not post the plan in this channel (is the bot a member?). Nothing was started.")
		return
	}
	cur.MessageTS = ts
	s.saveLocked(cur)
	snap = cur.clone()
	state := cur.State
	s.unlockAndFlush()
	s.auditf(AuditEvent{Event: AuditPlanPosted, Request: r.ID, User: r.Requester, Channel: r.Channel, KeyID: r.KeyID, Fingerprint: r.Fingerprint, DryRun: r.DryRun})
	if state != StatePending { // expired or cancelled while posting
		s.updatePlan(ctx, snap)
	}
}

func (s *Server) describeKey(ctx context.Context, keyID string) (sendgrid.KeyDetails, error) {
	red := redact.New()
	env := actions.StandaloneEnv("approval", s.o.Getenv, s.o.ReadFile, red, s.o.HTTPClient.Transport)
	kd, err := sendgrid.DescribeKey(ctx, env, keyID, "", s.cfg.Region)
	if err != nil {
		return kd, errors.New(red.String(err.Error()))
	}
	return kd, nil
}

// steps4 lists the playbook's steps for the plan, from the run's plan
// (playbook.Plan): whether a step changes something is decided from the
// step itself (a core.http POST does, a GET does not), as in the dry run
// and the journal. The inputs known before approval (region, key id) are
// given, so a host or method taken from them shows.
func (s *Server) steps4(r *Request) []planStep {
	pb, err := playbook.Resolve(r.Playbook)
	if err != nil {
		return nil
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
	return out
}

// HandleAction handles an Approve or Cancel click. The answer to the
// requester (refusals) goes as an ephemeral message; the approval message
// is updated in place.
func (s *Server) HandleAction(ctx context.Context, a Action) error {
	if err := s.checkOrigin(a.Transport, a.Team, a.APIAppID, a.User, a.Channel); err != nil {
		return err
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
	if !requestIDRE.MatchString(a.Value) {
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
	switch {
	case r == nil:
		return refuse("unknown request", "keyir has no such request.")
	case r.Channel != a.Channel:
		return refuse("wrong channel", "That request belongs to another channel.")
	case r.State == StatePending && !now.Before(r.Expires):
		s.expireLocked(r, "approval arrived after expiry")
		snap := r.clone()
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.updatePlan(s.runCtx, snap) }()
		return refuse("expired", "This request has expired; nothing was done. Run /keyir revoke again if the key still needs revoking.")
	case r.State != StatePending:
		by := ""
		if r.DecidedBy != "" {
			by = " by <@" + r.DecidedBy + ">"
		}
		return refuse("already "+string(r.State), fmt.Sprintf("This request is already %s%s; nothing more was done.", r.State, by))
	case verb == "approve" && s.cfg.TwoPerson && !r.DryRun && a.User == r.Requester:
		return refuse("self-approval", "A live revoke needs a second person: someone other than the requester must approve it.")
	}
	prev := *r
	r.DecidedBy, r.DecidedAt = a.User, now.UTC()
	if verb == "approve" {
		r.State = StateApproved
		r.RunID = playbook.NewRunID()
	} else {
		r.State = StateCancelled
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
			s.byKey[r.KeyID] = r.ID
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

// tell answers the clicker privately.
func (s *Server) tell(a Action, text string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.retry(ctx, func() error {
			_, err := s.api.PostEphemeralContext(ctx, a.Channel, a.User, slack.MsgOptionText(text, false))
			return err
		})
	}()
}

// respond posts an ephemeral message to a response_url.
func (s *Server) respond(url, text string) {
	if url == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := slack.PostWebhookCustomHTTPContext(ctx, url, s.o.HTTPClient, &slack.WebhookMessage{Text: text, ResponseType: "ephemeral"}); err != nil {
		s.logf("response_url: %v", err)
	}
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
		if r.State == StatePending && !now.Before(r.Expires) {
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

func (s *Server) expireLocked(r *Request, why string) {
	r.State, r.Detail = StateExpired, why
	s.releaseLocked(r)
	delete(s.secrets, r.ID)
	s.saveLocked(r)
	s.auditLocked(AuditEvent{Event: AuditExpiry, Request: r.ID, User: r.Requester, Channel: r.Channel, KeyID: r.KeyID, Fingerprint: r.Fingerprint, Reason: why})
}
