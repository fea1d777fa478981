package chatops

import "context"
import "errors"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/slacknotify"
import "github.com/keyir/keyir/redact"

// serve's Slack side: waiting out Slack's rate limit, threaded posts, the
// approval message (posted, then updated as the state machine in
// approval.go moves), and private answers.

// slackRetry bounds serve's Slack calls: a person is waiting on each one.
var slackRetry = notify.Policy{MaxAttempts: 4, Max: 10 * time.Second}

// retry calls fn under slacknotify's policy: what Slack says may succeed
// later (its rate limit, a 5xx, a dropped connection) is retried, waiting
// as long as Slack asks.
func (s *Server) retry(ctx context.Context, fn func() error) error {
	return slacknotify.Call(ctx, slackRetry, func(context.Context) error { return fn() })
}

func (s *Server) post(ctx context.Context, channel, thread, text string) {
	err := s.retry(ctx, func() error {
		opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl()}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		_, ts, err := s.api.PostMessageContext(ctx, channel, opts...)
		return slacknotify.Posted(ts, err)
	})
	if err != nil {
		s.logf("posting to %s: %v", channel, err)
	}
}

// postPlan reads the key's name and scopes with the responder key and posts
// the plan with Approve and Cancel buttons.
func (s *Server) postPlan(r *Request, responseURL string) {
	if r.Kind == KindEradicate {
		s.postEradicationPlan(r, responseURL)
		return
	}
	ctx, cancel := context.WithTimeout(s.runCtx, 30*time.Second)
	defer cancel()
	var kd sendgrid.KeyDetails
	var derr error
	if r.TokenKind == "" { // another kind's run reads its token itself, after approval
		kd, derr = s.describeKey(ctx, r.KeyID)
	}
	steps, sha := s.planOf(r)
	s.mu.Lock()
	cur := s.reqs[r.ID]
	cur.PlaybookSHA = sha // what the approver is shown is what may run
	switch {
	case r.TokenKind != "": // nothing read before approval
	case derr == nil:
		cur.KeyName, cur.KeyScopes, cur.KeyType, cur.KeyFound = kd.Name, kd.Scopes, kd.Type, kd.Found
	default:
		// Its own field: Detail is the state's, and the next state's
		// detail would turn this into "not found" (a 404 never seen).
		cur.KeyReadError = "could not read the key's name and scopes: " + s.red.String(derr.Error())
	}
	// Persisted with the message ts below: one write per plan, not two.
	snap := cur.clone()
	s.mu.Unlock()

	text, blocks := planMessage(snap, s.cfg, steps, true)
	s.publishPlan(ctx, snap, text, blocks, "", "", responseURL,
		"keyir could not post the plan in this channel (is the bot a member?). Nothing was started.")
}

// publishPlan posts a request's approval message (in thread, when given),
// records its ts, or fails the request and tells the requester; one path
// for a revoke's plan and an eradication's. A request that expired or was
// cancelled while the message was posted gets its final state shown.
func (s *Server) publishPlan(ctx context.Context, snap *Request, text string, blocks []slack.Block, thread, verb, responseURL, failReply string) {
	r := snap
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl()}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	var ts string
	err := s.retry(ctx, func() (err error) {
		_, ts, err = s.api.PostMessageContext(ctx, r.Channel, opts...)
		return slacknotify.Posted(ts, err)
	})
	s.mu.Lock()
	cur := s.reqs[r.ID]
	if err != nil {
		s.logf("posting the plan of %s: %v", r.ID, err)
		cur.State, cur.Detail = StateFailed, "the plan could not be posted: "+s.red.String(err.Error())
		s.releaseLocked(cur)
		s.saveLocked(cur)
		s.unlockAndFlush()
		s.respond(responseURL, failReply)
		return
	}
	cur.MessageTS = ts
	s.saveLocked(cur)
	snap = cur.clone()
	s.unlockAndFlush()
	s.auditf(AuditEvent{Event: AuditPlanPosted, Request: r.ID, User: r.Requester, Channel: r.Channel, Verb: verb, KeyID: r.KeyID, Fingerprint: r.Fingerprint, DryRun: r.DryRun})
	if snap.State != StatePending { // expired or cancelled while posting
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

// updatePlan rewrites the approval message for the request's state:
// buttons only while pending.
func (s *Server) updatePlan(ctx context.Context, r *Request) {
	if r.MessageTS == "" {
		return
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
	}
	var text string
	var blocks []slack.Block
	if r.Kind == KindEradicate {
		text, blocks = eradicationMessage(r, s.cfg, r.State == StatePending)
	} else {
		text, blocks = planMessage(r, s.cfg, s.steps4(r), r.State == StatePending)
	}
	err := s.retry(ctx, func() error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, r.Channel, r.MessageTS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		s.logf("updating the plan of %s: %v", r.ID, err)
	}
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
