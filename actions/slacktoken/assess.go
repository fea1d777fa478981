package slacktoken

import "errors"
import "fmt"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// window is an exposure window with actions.Window's defaults (it ends now,
// and starts seven days before its end).
type window struct{ Start, End time.Time }

// windowOf refuses a window that does not start before it ends, also when
// its end is the default (a window_start in the future).
func windowOf(env *actions.Env, w actions.Window) (window, error) {
	start, end := w.Bounds(env)
	if !start.Before(end) {
		return window{}, &actions.ParamError{Param: "window_start", Msg: "the window must start before it ends"}
	}
	return window{Start: start, End: end}, nil
}

func (w window) has(t time.Time) bool { return !t.Before(w.Start) && !t.After(w.End) }

func (w window) String() string {
	return w.Start.Format(time.RFC3339) + " to " + w.End.Format(time.RFC3339)
}

// notAssessable records that something could not be assessed, and why: a
// finding, never "no activity", and never a failed step.
func notAssessable(env *actions.Env, subject, why string) {
	env.Finding(report.Finding{
		Kind: "assessment.not_assessable", Subject: subject, Severity: report.Medium,
		Title:  "Could not assess the " + subject,
		Detail: why + ". This is not a finding of no activity: check by hand, or give keyir what it needs and run again.",
	})
}

// adminClient reads the responder's admin token and builds the client that
// sends it; without the token it records why the subject cannot be
// assessed and returns no client (and no error: the step did what it could).
func adminClient(env *actions.Env, subject string) (*client, string, error) {
	tok, err := env.Credential(EnvAdminToken)
	if err != nil {
		notAssessable(env, subject, fmt.Sprintf("no admin token: set %s (or %s_FILE) to a user token with the admin scope on a paid plan (%v)", EnvAdminToken, EnvAdminToken, err))
		return nil, "", nil
	}
	c, err := newClient(env)
	return c, tok, err
}

// refusedWhy says why Slack refused the admin token a log, for a not
// assessable finding; "" for an error that is not a refusal (a network
// failure fails the step instead).
func refusedWhy(err error, tokenVar string) string {
	var se *SlackError
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Code {
	case "paid_only":
		return "Slack keeps these logs only on paid plans (paid_only)"
	case "missing_scope":
		return fmt.Sprintf("the token in %s lacks the scope Slack needs (missing_scope: needs %s, has %q)", tokenVar, se.Needed, se.Provided)
	case "no_permission", "not_allowed_token_type", "user_is_bot", "org_login_required", "feature_not_enabled":
		return fmt.Sprintf("Slack refused the token in %s (%s)", tokenVar, se.Code)
	case "invalid_auth", "token_revoked", "account_inactive", "not_authed":
		return fmt.Sprintf("Slack refuses the token in %s itself (%s)", tokenVar, se.Code)
	}
	return fmt.Sprintf("Slack answered %s", se.Code)
}

// refused settles a failed log read: Slack's refusal of the token is a not
// assessable finding (nil: the step did what it could); anything else (the
// network, a 5xx) is the step's error.
func refused(env *actions.Env, subject, tokenVar string, err error) error {
	if why := refusedWhy(err, tokenVar); why != "" {
		notAssessable(env, subject, why)
		return nil
	}
	return err
}

// tokenUser is the leaked token's user, and whether it is a bot's: the
// user_id given, else what an earlier step of the run recorded for the
// token's fingerprint (snapshot_token, token_liveness). A step that failed
// leaves nothing in the templates' scope, but what it learnt is journaled.
func tokenUser(env *actions.Env, userID, fingerprint string) (string, bool) {
	if userID = strings.TrimSpace(userID); userID != "" || fingerprint == "" || env.Report == nil {
		return userID, false
	}
	rep, err := env.Report()
	if err != nil || rep == nil {
		return "", false
	}
	bot := false
	for _, s := range rep.Steps {
		if fp, _ := s.Outputs["fingerprint"].(string); fp != fingerprint {
			continue
		}
		if u, _ := s.Outputs["user_id"].(string); u != "" {
			userID = u
			b, _ := s.Outputs["bot_id"].(string)
			bot = b != ""
		}
	}
	return userID, bot
}

// logParams are the parameters every log step takes (embedded in each).
type logParams struct {
	UserID      string `param:"user_id" desc:"the leaked token's user; default: the one an earlier step recorded for fingerprint"`
	Fingerprint string `param:"fingerprint" desc:"the leaked token's fingerprint (identify_token's), to find its user in the run's journal"`
	actions.Window
}

// start resolves what every log step needs first: the window and the
// token's user (and whether it is a bot's).
func (p logParams) start(env *actions.Env) (w window, user string, bot bool, err error) {
	if w, err = windowOf(env, p.Window); err != nil {
		return window{}, "", false, err
	}
	user, bot = tokenUser(env, p.UserID, p.Fingerprint)
	return w, user, bot, nil
}
