package slacktoken

import "context"
import "errors"
import "fmt"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// confirmRevokedInfo declares slack.confirm_revoked; provider.go registers it.
// Slack's confirm polls within bounds of its own, tighter than
// actions.ConfirmPoll (see actions.Poll: the intervals differ by provider).
var confirmRevokedInfo = actions.ConfirmOf[Confirm]("slack.confirm_revoked",
	"Prove the leaked Slack token is dead: poll auth.test with it until Slack refuses it (bounded)",
	actions.Poll{Timeout: 5 * time.Minute, Interval: 2 * time.Second, MaxInterval: 15 * time.Second},
	actions.Output{Name: "refusal", Type: actions.TypeString, Description: "Slack's refusal that proved it"})

// witnesses are the steps that see this Slack accept the token
// (actions.SeenAccepted): auth.test answering ok in the liveness check or
// the snapshot, and auth.revoke answering revoked:true.
var witnesses = []actions.Witness{
	{Action: tokenLivenessInfo.Name, Output: "status", Is: actions.StatusLive},
	{Action: snapshotTokenInfo.Name, Output: "status", Is: actions.StatusLive},
	{Action: revokeTokenInfo.Name, Output: "revoked", Is: true},
}

// Confirm polls auth.test with the leaked token until Slack refuses it.
type Confirm struct {
	Key string `param:"key,secret,required" desc:"the leaked Slack token (only its own refusal is proof)"`
	actions.Poll
}

// Validate checks the token and the bounds.
func (a *Confirm) Validate() error {
	if _, err := ParseToken(a.Key); err != nil {
		return err
	}
	if err := a.CheckPoll(); err != nil {
		return err
	}
	return nil
}

// Run polls until the proof or the timeout. Proof is the token's own
// refusal: token_revoked or account_inactive at once; invalid_auth only once
// this Slack, at this API URL, is known to have accepted the token (earlier
// in the run, actions.SeenAccepted, or a poll of this step), because
// invalid_auth is also the answer for a token Slack does not know at this
// URL and for one used from an IP address its allow list refuses.
func (a *Confirm) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ti, err := ParseToken(a.Key)
	if err != nil {
		return nil, err
	}
	now := env.Clock()
	out := actions.Outputs{"confirmed": false, "refusal": "", "polls": 0, "time_to_containment_ms": 0}
	if ti.Refresh {
		detail := "a refresh token (xoxe-) cannot call auth.test: Slack refuses it whether or not it is live, so nothing keyir can send proves it dead. Revoke it in the app's settings and rotate the app's client secret"
		env.Recorder.Containment(report.Containment{Status: report.ContainmentNotConfirmed, At: now(), Detail: detail})
		return out, errors.New("containment not confirmed: " + detail)
	}
	token := strings.TrimSpace(a.Key)
	live, elsewhere := actions.SeenAccepted(env, ti.Fingerprint, envURL(env), witnesses)

	if env.DryRun() {
		l, err := checkLiveness(ctx, env, ti, token)
		state := "not checked"
		if err == nil {
			state = l.Status
			if l.Death != "" {
				state += " (" + l.Death + ")"
			}
		}
		out["polls"] = 1
		env.Recorder.Containment(report.Containment{Status: report.ContainmentPlanned, At: now(),
			Detail: "DRY RUN: auth.revoke planned, not sent; the token is " + state})
		return out, nil
	}

	last := ""
	var lastErr, settled error
	done := false
	polls := a.Until(ctx, func(polls int) bool {
		l, err := checkLiveness(ctx, env, ti, token)
		if ctx.Err() != nil {
			return true
		}
		switch {
		case err != nil:
			lastErr, last = err, "error: "+err.Error()
		case l.Status == actions.StatusLive:
			live, last = true, "still accepted (auth.test ok)"
		case l.Death == "invalid_auth" && !live:
			// Waiting will not change this answer; saying "confirmed" on
			// it would claim more than was proven.
			detail := fmt.Sprintf("Slack answers invalid_auth for the token, and it was never accepted by this Slack in this run: invalid_auth also means a token Slack does not know at %s, or one refused from this IP address by an allow list. Not proof it is dead: check where it was issued, or revoke it in the app's settings", envURL(env))
			if elsewhere != "" {
				detail = fmt.Sprintf("Slack at %s answers invalid_auth for the token, but this run saw it accepted at %s, another API URL, and never here: invalid_auth here is also the answer for a token this Slack does not know, so it says nothing about the token there. Not proof it is dead: resume the run against %s (%s) to prove it", envURL(env), elsewhere, elsewhere, EnvTokenAPIURL+" or "+EnvAPIURL)
			}
			env.Recorder.Containment(report.Containment{Status: report.ContainmentNotConfirmed, At: now(), Detail: detail})
			out["polls"] = polls
			done, settled = true, errors.New("containment not confirmed: "+detail)
			return true
		default:
			at := now()
			ttc := at.Sub(env.RunStarted)
			if env.RunStarted.IsZero() {
				ttc = 0
			}
			detail := fmt.Sprintf("the leaked token itself was refused by auth.test (%s, HTTP 200: death is in the body) after %s", l.Death, report.Count(polls, "poll", "polls"))
			env.Recorder.Containment(report.Containment{Status: report.ContainmentConfirmed, TimeToContainment: ttc, At: at, Detail: detail})
			env.Note("containment confirmed: " + detail)
			out["confirmed"], out["refusal"], out["polls"], out["time_to_containment_ms"] = true, l.Death, polls, report.DurationMS(ttc)
			done = true
			return true
		}
		return false
	}, func(polls int, wait time.Duration) {
		env.Progress(fmt.Sprintf("token %s after poll %d; next check in %s (revocation takes a moment to propagate)", last, polls, report.FormatDuration(wait)))
	})
	if done {
		return out, settled
	}
	detail := fmt.Sprintf("the token was not proven dead after %s over %s; last answer: %s", report.Count(polls, "poll", "polls"), a.Timeout, last)
	if ctx.Err() != nil {
		detail = fmt.Sprintf("interrupted after %s; last answer: %s", report.Count(polls, "poll", "polls"), last)
	}
	env.Recorder.Containment(report.Containment{Status: report.ContainmentNotConfirmed, At: now(), Detail: detail})
	out["polls"] = polls
	err = errors.New("containment not confirmed: " + detail)
	if lastErr != nil {
		err = fmt.Errorf("%w (last error: %v)", err, lastErr)
	}
	return out, err
}

// envURL names the Slack the client talks to, for messages.
func envURL(env *actions.Env) string {
	if c, err := newClient(env); err == nil {
		return c.base
	}
	return DefaultAPIURL
}

var (
	_ actions.Action    = (*Confirm)(nil)
	_ actions.Validator = (*Confirm)(nil)
)
