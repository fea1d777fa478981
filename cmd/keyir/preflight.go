package main

import "context"
import "errors"
import "fmt"
import "io/fs"
import "net/http"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "syscall"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/credentials"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// preflight is what a run checks before its run directory exists. A problem
// that would stop containment is fatal: the run does not start (exit 2),
// nothing is written, and the operator is told what to fix. A problem that
// would only blind an assessment step or a notification is a warning,
// printed up front, and the run goes on: containment is never delayed by a
// missing nicety.
type preflight struct {
	fatal, warnings []string
}

func (p *preflight) add(fatal bool, msg string) {
	if fatal {
		p.fatal = append(p.fatal, msg)
	} else {
		p.warnings = append(p.warnings, msg)
	}
}

// errPreflight ends a run that did not start; what to fix is printed.
var errPreflight = errors.New("preflight failed: nothing was run")

// preflightRun checks the reports directory (every run), and for a live run
// the responder key and each notification channel. A dry run changes
// nothing, so it is not held up by what a live run would need: its remote
// checks are the run's own reads.
func (a *app) preflightRun(ctx context.Context, pb *playbook.Playbook, given map[string]string, o runOptions) error {
	var p preflight
	if msg := reportsRootProblem(o.reports); msg != "" {
		p.add(true, msg)
	}
	if !o.dryRun {
		a.checkResponder(ctx, &p, pb, given["region"])
		a.checkNotifyChannels(ctx, &p, o.notify, false)
	}
	if ctx.Err() != nil {
		// A signal during the checks: nothing started, nothing to resume.
		fmt.Fprintln(a.errOut, "keyir: interrupted before the run started; no run directory was created")
		return &exitError{code: report.ExitCouldNotRun, err: errInterrupted, reported: true}
	}
	return a.endPreflight(p)
}

func (a *app) endPreflight(p preflight) error {
	for _, w := range p.warnings {
		fmt.Fprintf(a.errOut, "keyir: warning: %s\n", w)
	}
	if len(p.fatal) == 0 {
		return nil
	}
	for _, f := range p.fatal {
		fmt.Fprintf(a.errOut, "keyir: cannot start: %s\n", f)
	}
	fmt.Fprintln(a.errOut, "keyir: nothing was run and no run directory was created; fix the above and run again (keyir doctor checks the same)")
	return &exitError{code: report.ExitUsage, err: errPreflight, reported: true}
}

// reportsRootProblem says why no run directory could be created under
// root, or "". A root that does not exist yet is fine when its nearest
// existing parent is a directory keyir may write in (the run creates it).
func reportsRootProblem(root string) string {
	if root == "" {
		root = "."
	}
	dir := filepath.Clean(root)
	for {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && !fi.IsDir():
			if dir == filepath.Clean(root) {
				return fmt.Sprintf("the reports directory --reports %s is a file, not a directory; choose another --reports", root)
			}
			return fmt.Sprintf("the reports directory --reports %s cannot be created: %s is a file, not a directory", root, dir)
		case err == nil:
			// access(2) answers for this process, a read-only file system
			// included, without creating anything.
			if err := syscall.Access(dir, 0x2|0x1); err != nil { // W_OK|X_OK
				if dir == filepath.Clean(root) {
					return fmt.Sprintf("the reports directory --reports %s is not writable (%v); choose another --reports or fix its permissions", root, err)
				}
				return fmt.Sprintf("the reports directory --reports %s cannot be created: %s is not writable (%v)", root, dir, err)
			}
			return ""
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			parent := filepath.Dir(dir)
			if parent == dir {
				return ""
			}
			dir = parent
		default:
			return fmt.Sprintf("the reports directory --reports %s: %v", root, err)
		}
	}
}

// scopeNeeds splits the scopes the responder key needs for pb into those
// of its critical steps (on_error: stop: containment) and all of them.
func scopeNeeds(pb *playbook.Playbook) (critical, all []string) {
	var crit, every []string
	for _, s := range pb.Steps {
		every = append(every, s.Action)
		if s.OnError != playbook.Continue {
			crit = append(crit, s.Action)
		}
	}
	return sendgrid.RequiredScopes(crit), sendgrid.RequiredScopes(every)
}

// responderEnv is a standalone environment for checks with the responder
// key, in the run's region when the run names one.
func (a *app) responderEnv(region string) *actions.Env {
	getenv := a.getenv
	if region != "" {
		getenv = func(k string) string {
			if k == sendgrid.EnvRegion {
				return region
			}
			return a.getenv(k)
		}
	}
	return actions.StandaloneEnv("preflight", getenv, a.readFile, a.red, http.DefaultTransport)
}

// checkResponder checks keyir's own SendGrid key (SENDGRID_API_KEY): there,
// accepted, holding the scopes pb needs. Messages name it as the responder
// key: a 401 for the leaked key is the proof it is dead, for this one it is
// a reason not to start.
func (a *app) checkResponder(ctx context.Context, p *preflight, pb *playbook.Playbook, region string) {
	critical, all := scopeNeeds(pb)
	if len(all) == 0 {
		return
	}
	fatal := len(critical) > 0
	env := a.responderEnv(region)
	if _, err := env.Credential(sendgrid.EnvAPIKey); err != nil {
		p.add(fatal, fmt.Sprintf("the responder key is missing: set SENDGRID_API_KEY (or SENDGRID_API_KEY_FILE) to keyir's own SendGrid key, not the leaked one (%v)", err))
		return
	}
	missing, _, err := sendgrid.Doctor(ctx, env, all)
	if err != nil {
		p.add(fatal, responderRefusal(err))
		return
	}
	var crit, other []string
	for _, s := range missing {
		if slices.Contains(critical, s) {
			crit = append(crit, s)
		} else {
			other = append(other, s)
		}
	}
	if len(crit) > 0 {
		p.add(true, fmt.Sprintf("the responder key (SENDGRID_API_KEY) lacks %s containment needs: %s; add %s to the key (keyir doctor lists every scope)",
			report.Count(len(crit), "scope", "scopes"), strings.Join(crit, ", "), itThem(len(crit))))
	}
	if len(other) > 0 {
		p.add(false, fmt.Sprintf("the responder key (SENDGRID_API_KEY) lacks %s an assessment step needs: %s; those steps will report what they could not assess (the run goes on)",
			report.Count(len(other), "scope", "scopes"), strings.Join(other, ", ")))
	}
}

// responderRefusal words an error of the responder key's check.
func responderRefusal(err error) string {
	var ae *sendgrid.APIError
	var uh *sendgrid.UnknownHostError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		return fmt.Sprintf("SendGrid refused the responder key (SENDGRID_API_KEY, keyir's own key, not the leaked one): %d %s; replace it with a valid key", ae.Status, strings.Join(ae.Messages, "; "))
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		return fmt.Sprintf("SendGrid forbade the responder key (SENDGRID_API_KEY, keyir's own key, not the leaked one) to read its scopes: %d %s", ae.Status, strings.Join(ae.Messages, "; "))
	case errors.As(err, &ae):
		return fmt.Sprintf("checking the responder key (SENDGRID_API_KEY): SendGrid answered %d %s", ae.Status, strings.Join(ae.Messages, "; "))
	case errors.As(err, &uh):
		return uh.Error()
	default:
		return fmt.Sprintf("checking the responder key (SENDGRID_API_KEY): SendGrid unreachable: %v", err)
	}
}

// checkNotifyChannels checks each configured channel the way it will be
// used. Every problem is a warning: a notification never holds up
// containment. The webhook's URL form and the email sender's address form
// were checked when the hub was built; a webhook is not called here (a call
// would be a notification), and the sender's verification needs a scope the
// notify key should not hold.
func (a *app) checkNotifyChannels(ctx context.Context, p *preflight, o notifyOptions, dry bool) {
	if o.slackChannel != "" {
		target := o.slackChannel
		if dry && o.slackDrillChannel != "" {
			target = o.slackDrillChannel
		}
		if msg := a.slackProblems(ctx, []string{target}); msg != "" {
			p.add(false, msg+"; Slack notifications will not arrive (the run goes on)")
		}
	}
	if len(o.emailTo) > 0 {
		if msg := a.notifyKeyProblem(ctx); msg != "" {
			p.add(false, msg+"; email notifications will not arrive (the run goes on)")
		}
	}
}

// slackProblems checks SLACK_BOT_TOKEN and channels; "" when all is well.
func (a *app) slackProblems(ctx context.Context, channels []string) string {
	token, err := credentials.Read("SLACK_BOT_TOKEN", a.getenv, a.readFile, a.red)
	if err != nil {
		return fmt.Sprintf("the Slack bot token is missing: %v", err)
	}
	res := checkSlack(ctx, a.slackAPIURL(), token, channels)
	if res.TokenErr != nil {
		return res.TokenErr.Error()
	}
	var probs []string
	for _, ch := range channels {
		if msg := res.Channels[ch]; msg != "" {
			probs = append(probs, msg)
		}
	}
	return strings.Join(probs, "; ")
}

func (a *app) slackAPIURL() string {
	u := a.getenv("SLACK_API_URL")
	if u != "" && !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// notifyKeyProblem checks SENDGRID_NOTIFY_API_KEY is accepted and holds
// mail.send; "" when it does.
func (a *app) notifyKeyProblem(ctx context.Context) string {
	key, err := credentials.Read("SENDGRID_NOTIFY_API_KEY", a.getenv, a.readFile, a.red)
	if err != nil {
		return fmt.Sprintf("the notify key is missing: %v", err)
	}
	getenv := func(k string) string {
		if k == sendgrid.EnvAPIKey {
			return key
		}
		if k == sendgrid.EnvAPIKey+"_FILE" {
			return ""
		}
		return a.getenv(k)
	}
	env := actions.StandaloneEnv("preflight", getenv, a.readFile, a.red, http.DefaultTransport)
	missing, _, err := sendgrid.Doctor(ctx, env, []string{"mail.send"})
	var ae *sendgrid.APIError
	switch {
	case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
		return fmt.Sprintf("SendGrid refused the notify key (SENDGRID_NOTIFY_API_KEY): %d %s", ae.Status, strings.Join(ae.Messages, "; "))
	case err != nil:
		return fmt.Sprintf("checking the notify key (SENDGRID_NOTIFY_API_KEY): %v", err)
	case len(missing) > 0:
		return "the notify key (SENDGRID_NOTIFY_API_KEY) lacks the mail.send scope"
	}
	return ""
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// resumeHint tells how to continue a run that did not finish, only when
// the directory can be resumed (a sealed run cannot). secrets is what the
// command needs to give the run's secrets again (they are never stored).
func (a *app) resumeHint(dir, secrets string) {
	if dir == "" {
		return
	}
	if chk, err := runstore.CheckResume(dir); err != nil || chk.UnfinishedSeal > 0 {
		return
	}
	cmd := "keyir resume " + shellQuote(dir) + secrets
	fmt.Fprintf(a.errOut, "keyir: the run did not finish; to retry from its first unfinished step: %s\n", cmd)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
