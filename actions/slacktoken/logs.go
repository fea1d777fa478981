package slacktoken

import "context"
import "fmt"
import "net/url"
import "sort"
import "strconv"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// logsPagesOutput is what both team log steps return alike besides
// actions.AssessedOutput.
var logsPagesOutput = actions.Output{Name: "pages", Type: actions.TypeInt, Description: "pages read"}

// accessLogsInfo declares slack.access_logs; provider.go registers it.
var accessLogsInfo = actions.Info{
	Name:    "slack.access_logs",
	Summary: "With an admin token (SLACK_ADMIN_TOKEN), find logins of the token's user from IP addresses or user agents first seen in the exposure window (team.accessLogs)",
	Outputs: []actions.Output{
		actions.AssessedOutput,
		{Name: "logins_in_window", Type: actions.TypeInt, Description: "login rows of the token's user first seen in the window"},
		{Name: "new_ips", Type: actions.TypeList, Description: "IP addresses first seen in the window"},
		logsPagesOutput,
	},
	New: func() actions.Action { return &AccessLogs{MaxPages: logPageLimit} },
}

// integrationLogsInfo declares slack.integration_logs; provider.go registers it.
var integrationLogsInfo = actions.Info{
	Name:    "slack.integration_logs",
	Summary: "With an admin token (SLACK_ADMIN_TOKEN), list apps and integrations added or changed in the exposure window (team.integrationLogs): persistence",
	Outputs: []actions.Output{
		actions.AssessedOutput,
		{Name: "changes", Type: actions.TypeInt, Description: "changes in the window"},
		{Name: "apps", Type: actions.TypeList, Description: "the apps or integrations changed in the window"},
		logsPagesOutput,
	},
	New: func() actions.Action { return &IntegrationLogs{MaxPages: logPageLimit} },
}

// Slack's paging of the team logs: up to 1000 rows a page, 100 pages.
const (
	logPageSize  = 1000
	logPageLimit = 100
)

// AccessLogs reads team.accessLogs.
type AccessLogs struct {
	logParams
	Bot      bool `param:"bot" desc:"the token is a bot's (bots do not log in: their API calls are not in the access logs)"`
	MaxPages int  `param:"max_pages" default:"100" desc:"pages to read at most (Slack stops at 100)"`
}

// login is one row of team.accessLogs.
type login struct {
	UserID    string `json:"user_id"`
	Username  string `json:"username"`
	DateFirst int64  `json:"date_first"`
	DateLast  int64  `json:"date_last"`
	Count     int    `json:"count"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	ISP       string `json:"isp"`
	Country   string `json:"country"`
	Region    string `json:"region"`
}

type paging struct {
	Page  int `json:"page"`
	Pages int `json:"pages"`
	Total int `json:"total"`
}

// readPages reads count/page-paged rows of a team log until the last page,
// max pages, or stop says the rest is older than needed. It returns the
// pages read and whether rows were left unread.
func readPages[T any](ctx context.Context, c *client, method, token string, params url.Values, maxPages int, field func(*pageOf[T]) []T, stop func(T) bool) ([]T, int, bool, error) {
	var rows []T
	for pg := 1; ; pg++ {
		if pg > maxPages {
			return rows, pg - 1, true, nil
		}
		q := url.Values{}
		for k, v := range params {
			q[k] = v
		}
		q.Set("count", strconv.Itoa(logPageSize))
		q.Set("page", strconv.Itoa(pg))
		var p pageOf[T]
		if _, err := c.read(ctx, method, token, q, &p); err != nil {
			return rows, pg - 1, true, err
		}
		got := field(&p)
		if got == nil {
			// A 200 ok:true without the list (a proxy's, a changed API's)
			// says nothing of the log: never read it as an empty one.
			return rows, pg - 1, true, fmt.Errorf("%s: the answer holds no list of rows (not Slack's answer)", method)
		}
		for _, r := range got {
			if stop != nil && stop(r) {
				return rows, pg, false, nil
			}
			rows = append(rows, r)
		}
		// Without paging, only a page short of the count is the last.
		if len(got) == 0 || (p.Paging.Pages > 0 && pg >= p.Paging.Pages) || (p.Paging.Pages <= 0 && len(got) < logPageSize) {
			return rows, pg, false, nil
		}
		c.env.Progress(fmt.Sprintf("%s: page %d of %d", method, pg, p.Paging.Pages))
	}
}

// pageOf is one page of either log.
type pageOf[T any] struct {
	Logins []T    `json:"logins"`
	Logs   []T    `json:"logs"`
	Paging paging `json:"paging"`
}

// Run reads the access logs up to the window's end and compares the
// token's user's logins in the window with those before it.
func (a *AccessLogs) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	const subject = "access logs"
	out := actions.Outputs{"assessed": false, "logins_in_window": 0, "new_ips": []string{}, "pages": 0}
	w, user, bot, err := a.start(env)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Bot || bot:
		notAssessable(env, subject, "the leaked token is a bot's: bots do not log in, and the access logs do not record a token's API calls")
		return out, nil
	case user == "":
		notAssessable(env, subject, "the token's user is unknown (auth.test did not answer for it before the revoke), so its logins cannot be told from others'")
		return out, nil
	}
	c, token, err := adminClient(env, subject)
	if c == nil || err != nil {
		return out, err
	}
	rows, pages, partial, err := readPages(ctx, c, "team.accessLogs", token,
		url.Values{"before": {strconv.FormatInt(w.End.Unix(), 10)}}, max(1, min(a.MaxPages, logPageLimit)),
		func(p *pageOf[login]) []login { return p.Logins }, nil)
	out["pages"] = pages
	if err != nil {
		return out, refused(env, subject, EnvAdminToken, err)
	}
	known := map[string]bool{}
	var inWindow []login
	for _, l := range rows {
		if l.UserID != user {
			continue
		}
		if time.Unix(l.DateFirst, 0).Before(w.Start) {
			known["ip:"+l.IP], known["ua:"+l.UserAgent] = true, true
		} else if w.has(time.Unix(l.DateFirst, 0)) {
			inWindow = append(inWindow, l)
		}
	}
	ref := ""
	if env.Recorder != nil {
		ref, _ = env.Recorder.Evidence("slack_access_logs", map[string]any{"user_id": user, "window": w.String(), "in_window": inWindow, "pages": pages, "partial": partial})
	}
	newIPs := []string{}
	for _, l := range inWindow {
		where := strings.Trim(strings.Join([]string{l.ISP, l.Country, l.Region}, ", "), ", ")
		detail := fmt.Sprintf("User %s (%s) logged in %s from %s with user agent %q, first %s, last %s (%s)",
			l.Username, l.UserID, report.Count(l.Count, "time", "times"), l.IP, l.UserAgent,
			time.Unix(l.DateFirst, 0).UTC().Format(time.RFC3339), time.Unix(l.DateLast, 0).UTC().Format(time.RFC3339), where)
		switch {
		case !known["ip:"+l.IP]:
			newIPs = append(newIPs, l.IP)
			env.Finding(report.Finding{Kind: "access.new_login", Subject: l.IP, Severity: report.High,
				Title: "The token's user logged in from a new IP address in the exposure window", Detail: detail + ": an IP address not seen before the window.", Evidence: cite(ref)})
		case !known["ua:"+l.UserAgent]:
			env.Finding(report.Finding{Kind: "access.new_user_agent", Subject: l.UserAgent, Severity: report.Medium,
				Title: "The token's user logged in with a new user agent in the exposure window", Detail: detail + ": a user agent not seen before the window.", Evidence: cite(ref)})
		}
	}
	if partial {
		env.Note(fmt.Sprintf("access logs: stopped after %d pages (Slack pages no further); logins before them were not compared, so an address counted new may be older", pages))
	}
	sort.Strings(newIPs)
	out["assessed"], out["logins_in_window"], out["new_ips"] = true, len(inWindow), newIPs
	env.Note(fmt.Sprintf("access logs: %s of user %s first seen in the window, %s from new IP addresses", report.Count(len(inWindow), "login row", "login rows"), user, report.Count(len(newIPs), "row", "rows")))
	return out, nil
}

// IntegrationLogs reads team.integrationLogs.
type IntegrationLogs struct {
	logParams
	MaxPages int `param:"max_pages" default:"100" desc:"pages to read at most (Slack stops at 100)"`
}

// change is one row of team.integrationLogs.
type change struct {
	UserID      string `json:"user_id"`
	UserName    string `json:"user_name"`
	Date        string `json:"date"`
	ChangeType  string `json:"change_type"`
	AppType     string `json:"app_type"`
	AppID       string `json:"app_id"`
	ServiceID   string `json:"service_id"`
	ServiceType string `json:"service_type"`
	Scope       string `json:"scope"`
	Channel     string `json:"channel"`
}

func (c change) when() time.Time {
	n, _ := strconv.ParseInt(c.Date, 10, 64)
	return time.Unix(n, 0).UTC()
}

// Run lists every change in the window. Slack lists the newest first, so
// reading stops at the first change older than the window.
func (a *IntegrationLogs) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	const subject = "integration logs"
	out := actions.Outputs{"assessed": false, "changes": 0, "apps": []string{}, "pages": 0}
	w, user, _, err := a.start(env)
	if err != nil {
		return nil, err
	}
	c, token, err := adminClient(env, subject)
	if c == nil || err != nil {
		return out, err
	}
	rows, pages, partial, err := readPages(ctx, c, "team.integrationLogs", token, nil, max(1, min(a.MaxPages, logPageLimit)),
		func(p *pageOf[change]) []change { return p.Logs }, func(x change) bool { return x.when().Before(w.Start) })
	out["pages"] = pages
	if err != nil {
		return out, refused(env, subject, EnvAdminToken, err)
	}
	var inWindow []change
	for _, x := range rows {
		if w.has(x.when()) {
			inWindow = append(inWindow, x)
		}
	}
	ref := ""
	if env.Recorder != nil {
		ref, _ = env.Recorder.Evidence("slack_integration_logs", map[string]any{"window": w.String(), "in_window": inWindow, "pages": pages, "partial": partial})
	}
	apps := []string{}
	for _, x := range inWindow {
		what := x.AppID
		if what == "" {
			what = x.ServiceID
		}
		sev, by := report.Medium, "by "+x.UserName+" ("+x.UserID+")"
		if user != "" && x.UserID == user {
			sev, by = report.High, "by the leaked token's user "+x.UserName+" ("+x.UserID+")"
		}
		apps = append(apps, what)
		env.Finding(report.Finding{Kind: "persistence.integration", Subject: what, Severity: sev,
			Title:    fmt.Sprintf("App or integration %s %s in the exposure window", what, x.ChangeType),
			Detail:   fmt.Sprintf("%s %s %s at %s (type %s, scopes %q): an app can keep access after the token is revoked; check it and remove it if nobody expected it.", what, x.ChangeType, by, x.when().Format(time.RFC3339), x.AppType+x.ServiceType, x.Scope),
			Evidence: cite(ref)})
	}
	out["changes"], out["apps"] = len(inWindow), apps
	if partial {
		// What was read stands; the rest of the window is not "no change".
		notAssessable(env, subject, fmt.Sprintf("reading stopped after %s (max_pages) before reaching the window's start: older changes in the window were not read", report.Count(pages, "page", "pages")))
		return out, nil
	}
	out["assessed"] = true
	env.Note(fmt.Sprintf("integration logs: %s in the window", report.Count(len(inWindow), "change", "changes")))
	return out, nil
}

// cite is the evidence a finding cites: the reference, when one was
// recorded.
func cite(ref string) []string {
	if ref == "" {
		return nil
	}
	return []string{ref}
}

var (
	_ actions.Action = (*AccessLogs)(nil)
	_ actions.Action = (*IntegrationLogs)(nil)
)
