package ghtoken

import "context"
import "errors"
import "fmt"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// confirmRevokedInfo declares github.confirm_revoked; provider.go registers it.
var confirmRevokedInfo = actions.ConfirmOf[Confirm]("github.confirm_revoked",
	"Prove the leaked token is dead: poll GET /user with it until 401 (bounded)", actions.ConfirmPoll)

// witnesses are the steps that see this GitHub accept the token
// (actions.SeenAccepted): the liveness check and the snapshot, both GET
// /user with the token before the revocation, and the revocation of an
// installation token by itself (DELETE /installation/token answered 204).
var witnesses = []actions.Witness{
	{Action: tokenLivenessInfo.Name, Output: "status", Is: actions.StatusLive},
	{Action: snapshotTokenInfo.Name, Output: "live", Is: true},
	{Action: revokeTokenInfo.Name, Output: "revoked", Lists: true},
}

// Confirm polls until the leaked token is refused.
type Confirm struct {
	Token string `param:"key,required,secret" desc:"the leaked token: only its own 401 proves it dead"`
	actions.Poll
}

// Validate checks the token and the bounds.
func (a *Confirm) Validate() error {
	if _, err := parseValid(a.Token); err != nil {
		return err
	}
	if err := a.CheckPoll(); err != nil {
		return err
	}
	return nil
}

// Run polls until the token's own 401 (containment "confirmed", with the
// time from the run's start), or the timeout (not confirmed). A 202 from
// the revocation endpoint proves nothing; only this does. GitHub's 401
// ("Bad credentials") is also its answer to a token another GitHub issued,
// so it confirms only under the rule of such refusals
// (actions.SeenAccepted): once this GitHub, at this API, was seen accepting
// the token in this run. A token refused here and never accepted here is
// not confirmed, and the detail says what was and was not proven.
func (a *Confirm) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	token, t, where, err := leaked(env, a.Token)
	if err != nil {
		return nil, err
	}
	now := env.Clock()
	p := newPacer()
	ask := func() (liveness, error) { return probe(ctx, env, where, p, token, t) }

	if t.refresh() && !env.DryRun() {
		detail := fmt.Sprintf("revocation of the %s was requested at %s, but the API refuses a refresh token whether it lives or not, so nothing can prove it dead: check by hand that it can no longer be exchanged for a token", t.Kind.Human, where)
		env.Recorder.Containment(report.Containment{Status: report.ContainmentRevokedUnproven, At: now(), Detail: detail})
		note(env, "revoked, not proven: "+detail)
		return actions.Outputs{"confirmed": false, "polls": 0, "time_to_containment_ms": 0}, nil
	}
	if env.DryRun() {
		state := "not checked"
		if l, err := ask(); err == nil {
			state = describe(l)
		}
		env.Recorder.Containment(report.Containment{
			Status: report.ContainmentPlanned, At: now(),
			Detail: fmt.Sprintf("DRY RUN: revocation planned, not performed; at %s the token %s", where, state),
		})
		return actions.Outputs{"confirmed": false, "polls": 1, "time_to_containment_ms": 0}, nil
	}

	last := ""
	var lastErr error
	var proven actions.Outputs
	seen, elsewhere := actions.SeenAccepted(env, t.Fingerprint, where.base.String(), witnesses)
	var unproven error
	polls := a.Until(ctx, func(polls int) bool {
		l, err := ask()
		if ctx.Err() != nil {
			return true
		}
		if err != nil {
			lastErr, last = err, "error"
		} else {
			last = describe(l)
		}
		if err == nil && l.Status == actions.StatusLive {
			seen = true
		}
		if err == nil && l.Status == actions.StatusDead && !seen {
			// Waiting will not change this answer; "confirmed" on it would
			// claim the token dead where it lives, which may be elsewhere.
			detail := fmt.Sprintf("%s refuses the leaked %s (401 Bad credentials), and no step of this run saw it accept the token, so keyir did not see its own revocation take effect. %s",
				where, t.Kind.Human, refusedMeans(where))
			if elsewhere != "" {
				detail = fmt.Sprintf("%s refuses the leaked %s (401 Bad credentials), but this run saw the token accepted at %s, another API, and never here: the refusal here says nothing about the token there, so keyir did not see its own revocation take effect. Set %s to %s and resume the run to prove it",
					where, t.Kind.Human, elsewhere, EnvAPIURL, elsewhere)
			}
			env.Recorder.Containment(report.Containment{Status: report.ContainmentNotConfirmed, At: now(), Detail: detail})
			note(env, "containment not confirmed: "+detail)
			proven = actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}
			unproven = errors.New("containment not confirmed: " + detail)
			return true
		}
		if err == nil && l.Status == actions.StatusDead {
			at := now()
			ttc := at.Sub(env.RunStarted)
			if env.RunStarted.IsZero() {
				ttc = 0
			}
			detail := fmt.Sprintf("the leaked %s itself answered 401 on GET /user at %s, which this run had seen accept it, after %s", t.Kind.Human, where, report.Count(polls, "poll", "polls"))
			env.Recorder.Containment(report.Containment{Status: report.ContainmentConfirmed, TimeToContainment: ttc, At: at, Detail: detail})
			note(env, "containment confirmed: "+detail)
			proven = actions.Outputs{"confirmed": true, "polls": polls, "time_to_containment_ms": report.DurationMS(ttc)}
			return true
		}
		// A rate-limited token cannot be asked again before the limit resets.
		var rl *RateLimitedError
		return errors.As(err, &rl)
	}, func(polls int, wait time.Duration) {
		progress(env, fmt.Sprintf("token %s after poll %d; next check in %s (revocation takes a moment to propagate)", last, polls, report.FormatDuration(wait)))
	})
	if proven != nil {
		return proven, unproven
	}
	detail := fmt.Sprintf("the token was not proven dead at %s after %s over %s; last answer: %s", where, report.Count(polls, "poll", "polls"), a.Timeout, last)
	var rl *RateLimitedError
	if errors.As(lastErr, &rl) {
		detail = fmt.Sprintf("the token was not proven dead at %s: GitHub's rate limit for requests without valid credentials is spent until %s, and only the token's own 401 proves it dead; resume the run after that time to prove it", where, rl.Until.UTC().Format(time.RFC3339))
	}
	if ctx.Err() != nil {
		detail = fmt.Sprintf("interrupted after %s; last answer: %s", report.Count(polls, "poll", "polls"), last)
	}
	env.Recorder.Containment(report.Containment{Status: report.ContainmentNotConfirmed, At: now(), Detail: detail})
	err = errors.New("containment not confirmed: " + detail)
	if lastErr != nil {
		err = fmt.Errorf("%w (last error: %v)", err, lastErr)
	}
	return actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}, err
}

// describe says what one liveness read found.
func describe(l liveness) string {
	switch l.Status {
	case actions.StatusDead:
		return "is refused (401)"
	case actions.StatusLive:
		return fmt.Sprintf("still authenticates (%d)", l.HTTP)
	}
	if l.HTTP == 401 {
		return "answered 401 without GitHub's \"Bad credentials\" (not GitHub's word on the token)"
	}
	return fmt.Sprintf("answered %d", l.HTTP)
}

var (
	_ actions.Action    = (*Confirm)(nil)
	_ actions.Validator = (*Confirm)(nil)
)
