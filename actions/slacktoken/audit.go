package slacktoken

import "context"
import "fmt"
import "net/url"
import "slices"
import "sort"
import "strconv"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// auditLogsInfo declares slack.audit_logs; provider.go registers it.
var auditLogsInfo = actions.Info{
	Name:    "slack.audit_logs",
	Summary: "With an Enterprise Grid org token (SLACK_ORG_TOKEN, auditlogs:read), list what the token's user did in the exposure window (Audit Logs API)",
	Outputs: []actions.Output{
		actions.AssessedOutput,
		{Name: "entries", Type: actions.TypeInt, Description: "entries of the token's user in the window"},
		{Name: "actions", Type: actions.TypeList, Description: "the distinct actions they record"},
	},
	New: func() actions.Action { return &AuditLogs{MaxPages: 50} },
}

// AuditLogs reads Enterprise Grid's Audit Logs API.
type AuditLogs struct {
	logParams
	MaxPages int `param:"max_pages" default:"50" desc:"pages of 1000 entries to read at most"`
}

// auditEntry is one entry of the Audit Logs API.
type auditEntry struct {
	ID         string `json:"id"`
	DateCreate int64  `json:"date_create"`
	Action     string `json:"action"`
	Actor      struct {
		User struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
	} `json:"actor"`
	Entity  map[string]any `json:"entity"`
	Context struct {
		IP string `json:"ip_address"`
		UA string `json:"ua"`
	} `json:"context"`
}

// Run lists the token's user's entries in the window. Without an org token
// it only notes why: the API exists on Enterprise Grid alone, so most
// workspaces have nothing to read.
func (a *AuditLogs) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	const subject = "audit logs"
	out := actions.Outputs{"assessed": false, "entries": 0, "actions": []string{}}
	w, user, _, err := a.start(env)
	if err != nil {
		return nil, err
	}
	token, err := env.Credential(EnvOrgToken)
	if err != nil {
		env.Note(fmt.Sprintf("audit logs not read: no org token (%s or %s_FILE); the Audit Logs API is Enterprise Grid's and needs an org-level token with auditlogs:read", EnvOrgToken, EnvOrgToken))
		return out, nil
	}
	if user == "" {
		notAssessable(env, subject, "the token's user is unknown (auth.test did not answer for it before the revoke), so its entries cannot be told from others'")
		return out, nil
	}
	c, err := newClientAt(env, EnvAuditURL, DefaultAuditURL)
	if err != nil {
		return nil, err
	}
	q := url.Values{"oldest": {strconv.FormatInt(w.Start.Unix(), 10)}, "latest": {strconv.FormatInt(w.End.Unix(), 10)},
		"actor": {user}, "limit": {"1000"}}
	var entries []auditEntry
	cut := "" // why the window was not read to its end
	for pg := 1; ; pg++ {
		var page struct {
			Entries []auditEntry `json:"entries"`
			Meta    struct {
				Next string `json:"next_cursor"`
			} `json:"response_metadata"`
		}
		if _, err := c.get(ctx, c.base+"logs", "audit.logs", token, q, &page); err != nil {
			return out, refused(env, subject, EnvOrgToken, err)
		}
		if page.Entries == nil {
			// Never read an answer without the list as an empty log.
			return out, fmt.Errorf("audit.logs: the answer holds no list of entries (not Slack's answer)")
		}
		entries = append(entries, page.Entries...)
		if page.Meta.Next == "" {
			break
		}
		if page.Meta.Next == q.Get("cursor") {
			// A cursor that names the page just read would repeat it.
			cut = fmt.Sprintf("reading stopped after %s: the next cursor names the page just read", report.Count(pg, "page", "pages"))
			break
		}
		if pg >= max(1, a.MaxPages) {
			cut = fmt.Sprintf("reading stopped after %s (max_pages): later pages of the window were not read", report.Count(pg, "page", "pages"))
			break
		}
		q.Set("cursor", page.Meta.Next)
	}
	ref := ""
	if env.Recorder != nil {
		ref, _ = env.Recorder.Evidence("slack_audit_logs", map[string]any{"user_id": user, "window": w.String(), "entries": entries})
	}
	by := map[string][]auditEntry{}
	for _, e := range entries {
		if e.Actor.User.ID == user && w.has(time.Unix(e.DateCreate, 0)) {
			by[e.Action] = append(by[e.Action], e)
		}
	}
	names := make([]string, 0, len(by))
	for k := range by {
		names = append(names, k)
	}
	sort.Strings(names)
	n := 0
	for _, action := range names {
		es := by[action]
		n += len(es)
		var from []string
		for _, e := range es {
			if s := e.Context.IP + " (" + e.Context.UA + ")"; !slices.Contains(from, s) {
				from = append(from, s)
			}
		}
		env.Finding(report.Finding{Kind: "audit.action", Subject: action, Severity: report.Medium,
			Title:    fmt.Sprintf("The token's user did %s in the exposure window", action),
			Detail:   fmt.Sprintf("%s by %s in the window, from %s.", report.Count(len(es), "entry", "entries"), user, strings.Join(from, ", ")),
			Evidence: cite(ref)})
	}
	out["entries"], out["actions"] = n, names
	if cut != "" {
		// What was read stands; the rest of the window is not "no entry".
		notAssessable(env, subject, cut)
		return out, nil
	}
	out["assessed"] = true
	return out, nil
}

var _ actions.Action = (*AuditLogs)(nil)
