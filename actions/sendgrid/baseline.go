package sendgrid

import "context"
import "errors"
import "fmt"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// BaselineVersion is the inventory format SaveInventory writes: version 2
// records the account the baseline was taken of.
const BaselineVersion = 2

// BaselineAccount is the identity of the account a baseline was taken of,
// as the API names it to the responder key (GET /v3/user/username), and the
// region of the host it was read on. Unread says why the identity could
// not be read (the responder key lacks user.username.read, …); such a
// baseline cannot be checked against a run's account.
type BaselineAccount struct {
	UserID   int64  `json:"user_id,omitempty"`
	Username string `json:"username,omitempty"`
	Region   string `json:"region"`
	Unread   string `json:"unread,omitempty"`
}

func (a BaselineAccount) known() bool { return a.UserID != 0 || a.Username != "" }

func (a BaselineAccount) String() string {
	if !a.known() {
		return "an account keyir could not identify"
	}
	return fmt.Sprintf("account %s (user id %d, %s)", a.Username, a.UserID, normRegion(a.Region))
}

// readAccountIdentity asks the API whose account the responder key belongs
// to. A failure is recorded in Unread, never fatal: the baseline is still
// worth having.
func readAccountIdentity(ctx context.Context, c *Client) BaselineAccount {
	a := BaselineAccount{Region: normRegion(c.region)}
	var who struct {
		Username string `json:"username"`
		UserID   int64  `json:"user_id"`
	}
	if _, err := c.parentOnly().get(ctx, "/v3/user/username", &who); err != nil {
		a.Unread = "GET /v3/user/username: " + shortErrText(err)
		if statusOf(err) == 403 {
			a.Unread += " (grant the responder key user.username.read)"
		}
		return a
	}
	a.UserID, a.Username = who.UserID, who.Username
	return a
}

// AccountIdentity is the account of the responder key in env, as a
// baseline records it.
func AccountIdentity(ctx context.Context, env *actions.Env) (BaselineAccount, error) {
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return BaselineAccount{}, err
	}
	return readAccountIdentity(ctx, c), nil
}

// ErrBaselineAccount is a baseline of another account than the run's.
var ErrBaselineAccount = errors.New("the baseline was taken of another account")

// CheckBaselineAccount compares the account a baseline records with the
// run's (now). It fails only on a proven difference: a baseline without an
// identity, or a run whose identity cannot be read, cannot be checked, and
// checked reports which.
func CheckBaselineAccount(b *Baseline, now BaselineAccount) (checked bool, err error) {
	if b == nil || b.Account == nil || !b.Account.known() || !now.known() {
		return false, nil
	}
	then := *b.Account
	if !sameAccount(then, now) {
		return true, fmt.Errorf("%w: it was taken of %s on %s, but SENDGRID_API_KEY belongs to %s; take a baseline of this account with `keyir inventory save FILE`", ErrBaselineAccount, then, b.TakenAt.UTC().Format(time.RFC3339), now)
	}
	return true, nil
}

// sameAccount reports whether two identities are one account: the user
// id and username, or the username alone when either has no user id.
func sameAccount(then, now BaselineAccount) bool {
	if then.UserID == 0 || now.UserID == 0 {
		return then.Username == now.Username
	}
	return then.UserID == now.UserID && then.Username == now.Username
}

// checkRunBaseline is what an assessment step does with a baseline before
// trusting it: a baseline of another account is an error (the step fails;
// the CLI refuses it before a run starts); when withFindings, a baseline
// that cannot be checked, or that was taken inside the exposure window,
// raises a finding. tainted reports the latter: the baseline may already
// hold the attacker's changes, so items created inside the window are
// reported even when the baseline lists them.
func checkRunBaseline(ctx context.Context, env *actions.Env, c *Client, b *Baseline, start, end time.Time, withFindings bool) (tainted bool, err error) {
	if b == nil {
		return false, nil
	}
	return checkRunBaselineOf(env, readAccountIdentity(ctx, c), b, start, end, withFindings)
}

// checkRunBaselineOf is checkRunBaseline with the run's account (now)
// already read.
func checkRunBaselineOf(env *actions.Env, now BaselineAccount, b *Baseline, start, end time.Time, withFindings bool) (tainted bool, err error) {
	if b == nil {
		return false, nil
	}
	checked, err := CheckBaselineAccount(b, now)
	if err != nil {
		return false, err
	}
	tainted = !start.IsZero() && !b.TakenAt.Before(start) && (end.IsZero() || !b.TakenAt.After(end))
	if !withFindings {
		return tainted, nil
	}
	if !checked {
		why := "it records no account (taken by an older keyir)"
		switch {
		case b.Account != nil && b.Account.Unread != "":
			why = "the account could not be read when it was taken (" + b.Account.Unread + ")"
		case b.Account != nil && !now.known():
			why = "this run could not read its own account (" + now.Unread + ")"
		}
		env.Finding(report.Finding{
			Kind: "baseline.account_unchecked", Severity: report.Medium,
			Title:  "The baseline cannot be checked against this account",
			Detail: "The baseline of " + b.TakenAt.UTC().Format(time.RFC3339) + " was used, but " + why + ", so keyir cannot tell whether it belongs to the account assessed. Take a new baseline with `keyir inventory save FILE` (the responder key needs user.username.read).",
		})
	}
	if tainted {
		env.Finding(report.Finding{
			Kind: "baseline.inside_window", Severity: report.High,
			Title: "The baseline may already contain the attacker's changes",
			Detail: fmt.Sprintf("The baseline was taken %s, inside the exposure window (%s to %s). Anything the attacker added before then is in it, so being in the baseline vouches for nothing: items created inside the window are reported anyway, and items without a creation time (teammates, webhooks, forwarding, API keys) that the baseline lists were not. Review those by hand, and take baselines ahead of time (README: on-call).",
				b.TakenAt.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339)),
		})
	}
	return tainted, nil
}
