package ghtoken

import "context"
import "fmt"
import "regexp"
import "sort"
import "strings"
import "sync"
import "time"

import "github.com/google/go-github/v84/github"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// activityInfo declares github.activity; provider.go registers it.
var activityInfo = actions.Info{
	Name:    "github.activity",
	Summary: "Find what the leaked token did: the organization audit log by hashed_token in the exposure window (needs GITHUB_TOKEN with read:audit_log)",
	Outputs: []actions.Output{
		actions.AssessedOutput,
		{Name: "events", Type: actions.TypeInt, Description: "audit log events by the token in the window"},
		{Name: "actions", Type: actions.TypeMap, Description: "events per audit action"},
	},
	New: func() actions.Action { return new(Activity) },
}

// maxAuditPages bounds one search (100 events a page).
const maxAuditPages = 50

// Activity searches an organization's audit log for the token's events.
type Activity struct {
	HashedToken string `param:"hashed_token,required" desc:"base64(SHA-256(token)), from github.identify_token"`
	Org         string `param:"org" desc:"the organization whose audit log is searched (GitHub Enterprise Cloud)"`
	actions.Window
}

var (
	orgRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`) })
	hashedRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9+/]{43}=$`) })
)

// Validate checks the org name (it reaches a URL path), the hash (it
// reaches a search phrase) and the window.
func (a *Activity) Validate() error {
	if !hashedRE().MatchString(a.HashedToken) {
		return &actions.ParamError{Param: "hashed_token", Msg: "not a base64 SHA-256 (44 characters)"}
	}
	return checkOrgWindow(a.Org, a.Window)
}

func checkOrgWindow(org string, w actions.Window) error {
	if org != "" && !orgRE().MatchString(org) {
		return &actions.ParamError{Param: "org", Msg: fmt.Sprintf("not a GitHub organization name (%d characters)", len(org))}
	}
	return w.CheckWindow()
}

// notAssessable records that a surface could not be assessed, and why: a
// finding, never "nothing found".
func notAssessable(env *actions.Env, subject, why string) {
	env.Finding(report.Finding{
		Kind: "assessment.not_assessable", Subject: subject, Severity: report.Medium,
		Title:  "Could not assess " + subject,
		Detail: why + ". Nothing is known about it: check by hand.",
	})
}

// responderFor is the responder's client for an org assessment, or records
// why the surface is not assessable.
func responderFor(env *actions.Env, org, subject string) (*github.Client, api, bool) {
	where, err := apiOf(env)
	if err != nil {
		notAssessable(env, subject, err.Error())
		return nil, where, false
	}
	if org == "" {
		notAssessable(env, subject, "no organization was given (--org): GitHub keeps audit logs, hooks, keys and invitations per organization")
		return nil, where, false
	}
	c, err := where.responder(env, newPacer())
	if err != nil {
		notAssessable(env, subject, "no responder token: "+err.Error())
		return nil, where, false
	}
	return c, where, true
}

// Run searches the log and records one finding for the token's events.
func (a *Activity) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	out := actions.Outputs{"assessed": false, "events": 0, "actions": map[string]string{}}
	start, end := a.Bounds(env)
	c, where, ok := responderFor(env, a.Org, "activity")
	if !ok {
		return out, nil
	}
	phrase := fmt.Sprintf(`hashed_token:"%s" created:%s..%s`, a.HashedToken, start.Format(time.RFC3339), end.Format(time.RFC3339))
	// Git events (clones, pushes) too: what the token read matters.
	include := "all"
	opts := &github.GetAuditLogOptions{Phrase: &phrase, Include: &include, ListCursorOptions: github.ListCursorOptions{PerPage: 100}}
	var events []*github.AuditEntry
	// cut says why the search was not read to its end ("" when it was).
	cut := ""
	for page := 0; ; page++ {
		list, resp, err := c.Organizations.GetAuditLog(ctx, a.Org, opts)
		if err != nil {
			st := statusOf(resp, err)
			if st == 403 || st == 404 {
				notAssessable(env, "activity", fmt.Sprintf("%s: the responder token needs read:audit_log and an organization on GitHub Enterprise Cloud (%s)", callErr("GET /orgs/"+a.Org+"/audit-log", resp, err), where))
				return out, nil
			}
			return out, callErr("GET /orgs/"+a.Org+"/audit-log", resp, err)
		}
		if list == nil {
			// A 200 without the list (null) is no answer about the token.
			return out, fmt.Errorf("GitHub GET /orgs/%s/audit-log: the answer holds no list of events", a.Org)
		}
		events = append(events, list...)
		switch {
		case resp.After == "" && (resp.NextPage != 0 || resp.NextPageToken != "" || resp.Cursor != ""):
			cut = "its next page is not named by an after cursor, which is how GitHub pages the audit log"
		case resp.After == "":
		case resp.After == opts.After:
			cut = "its next cursor names the page just read"
		case page+1 >= maxAuditPages:
			cut = fmt.Sprintf("more than %d pages", maxAuditPages)
		default:
			opts.After = resp.After
			continue
		}
		break
	}
	// Only events that carry this token's hash, inside the window, count:
	// a search that ignored part of the phrase claims nothing.
	counts := map[string]int{}
	n := 0
	for _, e := range events {
		at := e.GetCreatedAt().Time
		if at.IsZero() {
			at = e.GetTimestamp().Time
		}
		if e.GetHashedToken() != a.HashedToken || at.Before(start) || at.After(end) {
			continue
		}
		n++
		counts[e.GetAction()]++
	}
	acts := map[string]string{}
	var names []string
	for k, v := range counts {
		acts[k] = fmt.Sprint(v)
		names = append(names, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(names)
	out["assessed"], out["events"], out["actions"] = true, n, acts
	ref := evidence(env, "audit_log", map[string]any{"org": a.Org, "window_start": start, "window_end": end, "events": n, "actions": counts, "not_read": cut})
	if cut != "" {
		// What was read stands; what was not is not "no event".
		notAssessable(env, "activity", fmt.Sprintf("the audit log search of %s was not read to its end (%s): events by the token beyond the %s read are unknown", a.Org, cut, report.Count(len(events), "event", "events")))
		out["assessed"] = false
	}
	if n == 0 && cut != "" {
		return out, nil
	}
	if n == 0 {
		note(env, fmt.Sprintf("the audit log of %s shows no event by the token between %s and %s (git events appear only when the organization streams them)", a.Org, start.Format(time.RFC3339), end.Format(time.RFC3339)))
		return out, nil
	}
	env.Finding(report.Finding{
		Kind: "github_activity", Subject: a.Org, Severity: report.High,
		Title:    fmt.Sprintf("The token was used: %s in %s's audit log", report.Count(n, "event", "events"), a.Org),
		Detail:   fmt.Sprintf("Between %s and %s: %s.", start.Format(time.RFC3339), end.Format(time.RFC3339), strings.Join(names, ", ")),
		Evidence: ref,
	})
	return out, nil
}

var (
	_ actions.Action    = (*Activity)(nil)
	_ actions.Validator = (*Activity)(nil)
)
