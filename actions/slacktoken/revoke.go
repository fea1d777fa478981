package slacktoken

import "context"
import "errors"
import "fmt"
import "strings"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// revokeTokenInfo declares slack.revoke_token; provider.go registers it.
var revokeTokenInfo = actions.RevokeInfo("slack.revoke_token",
	"Revoke the leaked Slack token with auth.revoke, sent with the token itself; idempotent",
	func() actions.Action { return new(Revoke) },
	[]actions.Output{
		{Name: "revoked", Type: actions.TypeBool, Description: "Slack answered revoked:true to this run"},
		{Name: "already_revoked", Type: actions.TypeBool, Description: "Slack already refused the token (the confirm step settles whether it is dead)"},
		{Name: "refusal", Type: actions.TypeString, Description: "Slack's refusal when already_revoked"},
		actions.PlannedOutput,
		actions.FingerprintOutput,
		actions.APIURLOutput,
	})

// Revoke sends auth.revoke with the leaked token: Slack revokes the token a
// request carries, and no other.
//
// In a dry run the POST is refused by the transport and recorded as the
// planned change; Slack's own test=1 is not sent. test=1 would only tell
// that auth.revoke accepts the token, which the liveness read already shows,
// and letting one POST through would break the dry run's rule that nothing
// but GET and HEAD leaves the machine (a mistake in building that request
// would revoke the token for real).
type Revoke struct {
	Key string `param:"key,secret,required" desc:"the leaked Slack token"`
}

// Validate checks the token's shape.
func (a *Revoke) Validate() error {
	_, err := ParseToken(a.Key)
	return err
}

// Run revokes.
func (a *Revoke) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ti, err := ParseToken(a.Key)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(a.Key)
	out := actions.Outputs{"revoked": false, "already_revoked": false, "refusal": "", "planned": false, "fingerprint": ti.Fingerprint, "api_url": apiURL(env)}
	if ti.Refresh {
		return out, errors.New("a refresh token (xoxe-) cannot be revoked through the Web API: no method accepts it. Revoke it in the app's settings (OAuth & Permissions: revoke tokens) or uninstall the app, and rotate the app's client secret; keyir cannot prove it dead")
	}
	if ownBot(env, token) {
		env.Note("WARNING: revoking keyir's own bot token (SLACK_BOT_TOKEN): Slack notifications after this step will fail")
	}
	c, err := newClient(env)
	if err != nil {
		return nil, err
	}
	resp, err := c.revoke(ctx, token)
	for attempt := 0; err != nil && attempt < maxRateRetries; attempt++ {
		// Throttled (Tier 3): wait as Slack asks, within bounds, and send
		// again; auth.revoke is idempotent.
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter > maxRateWait {
			break
		}
		env.Progress(fmt.Sprintf("auth.revoke: rate limited by Slack, waiting %s", rl.RetryAfter))
		if serr := actions.Sleep(ctx, max(rl.RetryAfter, time.Second)); serr != nil {
			return out, serr
		}
		resp, err = c.revoke(ctx, token)
	}
	code := codeOf(err)
	switch {
	case err == nil && resp != nil && resp.Revoked:
		out["revoked"] = true
		return out, nil
	case err == nil:
		// ok:true without revoked:true is what test=1 answers: nothing
		// was revoked.
		return out, errors.New("auth.revoke answered ok without revoked:true: the token was not revoked")
	case errors.Is(err, transport.ErrDryRun):
		out["planned"] = true
		env.Note("DRY RUN: auth.revoke with the leaked token planned, not sent")
		return out, nil
	case deathCodes[code]:
		out["already_revoked"], out["refusal"] = true, code
		f := report.Finding{
			Kind: "token.already_revoked", Subject: ti.Fingerprint, Severity: report.Info,
			Title:  "Slack already refuses the leaked token",
			Detail: fmt.Sprintf("auth.revoke with the token answered %s: there is nothing left to revoke with it. Whether it is dead is settled by the confirm step.", code),
		}
		if code == "invalid_auth" {
			// Not Slack saying the token was revoked: the same answer goes
			// to a token this Slack never issued (another workspace's, an
			// Enterprise Grid's URL) and to one refused from this IP
			// address by an allow list.
			f.Kind, f.Title = actions.KindRefusedBeforeRevoke, "Slack refused the leaked token before keyir revoked it"
			f.Detail = fmt.Sprintf("auth.revoke with the token answered invalid_auth at %s: Slack's answer for a token revoked there, and also for one it never issued or one refused from this IP address by an allow list, so this is not proof it was revoked. Whether it is dead is settled by the confirm step, which counts invalid_auth only where this run saw Slack accept the token.", apiURL(env))
		}
		env.Finding(f)
		return out, nil
	}
	return out, fmt.Errorf("auth.revoke: %w", err)
}

var (
	_ actions.Action    = (*Revoke)(nil)
	_ actions.Validator = (*Revoke)(nil)
)
