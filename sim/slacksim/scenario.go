// Leak scenarios with their ground truth: a workspace where a token leaked,
// what its holder did in the exposure window, and what a correct response
// finds and how it ends.

package slacksim

import "fmt"
import "io"
import "sort"
import "time"

import "github.com/keyir/keyir/sim/simhttp"

// Expected is one finding a correct run reports: its kind and subject
// (every simulator's ground truth declares it alike).
type Expected = simhttp.Expected

// World is a built scenario: the simulator's options and what the
// responder is given.
type World struct {
	Options Options
	// Leaked is the leaked token; Admin the responder's admin token ("" for
	// none).
	Leaked, Admin string
	// The exposure window the drill responds to.
	WindowStart, WindowEnd time.Time
	// Ground truth: the findings, the containment status and the exit code
	// of a correct run.
	Expected    []Expected
	Containment string
	ExitCode    int
}

// Scenario is a named leak.
type Scenario = simhttp.Named[World]

// Made-up tokens of Slack's real shapes (never valid anywhere).
const (
	LeakedBotToken  = "xoxb-4230001111-5230002222-KeyirDrillLeakedBot00001"
	LeakedUserToken = "xoxp-4230001111-5230003333-5230004444-6b657969726472696c6c6c65616b6564"
	AdminToken      = "xoxp-4230001111-5230009999-5230008888-61646d696e746f6b656e6b6579697231"
	OrgAdminToken   = "xoxp-4230001111-5230009999-5230007777-6f7267746f6b656e6b65796972303031"
)

// The scenario's people and apps.
const (
	AdminUser   = "U0ADMIN01"
	AliceUser   = "U0ALICE01"
	BobUser     = "U0BOB0001"
	LeakedBot   = "B0DEPLOYBOT"
	LeakedBotU  = "U0DEPLOYBT"
	ExfilApp    = "A0EXFILTR8"
	BotsApp     = "A0DEPLOYAPP"
	ScenarioIP  = "203.0.113.66"
	ScenarioUA  = "python-requests/2.31.0"
	AliceIP     = "198.51.100.10"
	AliceUA     = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/126.0"
	exposureLen = 7 * 24 * time.Hour
)

// Scenarios lists the leak scenarios, in the order they tell the story.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "slack-bot-token-leak", Description: "a deploy bot's token (xoxb-) leaked in a public repository; someone else added an app in the window; revocation takes 2s to propagate", Build: botLeak},
		{Name: "slack-user-token-leak", Description: "a user token (xoxp-) leaked: its holder logged in from a new IP address and user agent and added an app that reads channels and files", Build: userLeak},
	}
}

// LookupScenario finds a scenario by name.
func LookupScenario(name string) (Scenario, bool) { return simhttp.Lookup(Scenarios(), name) }

// base is the workspace both scenarios share: an admin with the admin scope,
// Alice's usual logins, and an app the admin added a month ago.
func base(now time.Time) World {
	start := now.Add(-exposureLen)
	return World{
		Admin: AdminToken, WindowStart: start, WindowEnd: now, Containment: "confirmed",
		Options: Options{
			Now: func() time.Time { return time.Now() },
			Tokens: []Token{
				{Value: AdminToken, UserID: AdminUser, UserName: "admin", Scopes: []string{"admin", "identify"}},
				{Value: OrgAdminToken, UserID: AdminUser, UserName: "admin", Scopes: []string{"auditlogs:read"}, Enterprise: true},
			},
			Logins: []Login{
				{UserID: AliceUser, UserName: "alice", IP: AliceIP, UserAgent: AliceUA, ISP: "Example ISP", Country: "DE", Region: "BE",
					First: now.Add(-60 * 24 * time.Hour), Last: now.Add(-3 * time.Hour), Count: 140},
				{UserID: AdminUser, UserName: "admin", IP: "198.51.100.20", UserAgent: AliceUA, First: now.Add(-90 * 24 * time.Hour), Last: now.Add(-time.Hour), Count: 300},
				// Bob travels: a new IP in the window, but not the leaked
				// token's user.
				{UserID: BobUser, UserName: "bob", IP: "192.0.2.44", UserAgent: AliceUA, First: now.Add(-2 * 24 * time.Hour), Last: now.Add(-2 * 24 * time.Hour), Count: 2},
			},
			IntegrationLogs: []IntegrationLog{
				{UserID: AdminUser, UserName: "admin", Date: now.Add(-30 * 24 * time.Hour), ChangeType: "added", AppType: "app", AppID: BotsApp, Scope: "chat:write,channels:history,files:read"},
			},
		},
	}
}

// botLeak: the deploy bot's token leaked. Bot tokens never appear in the
// access logs (they do not log in): a correct run says so rather than "no
// activity". Someone added an app in the window.
func botLeak(now time.Time) World {
	w := base(now)
	w.Leaked = LeakedBotToken
	w.Options.RevokePropagation = 2 * time.Second
	w.Options.Tokens = append(w.Options.Tokens, Token{Value: LeakedBotToken, UserID: LeakedBotU, UserName: "deploy-bot", BotID: LeakedBot,
		Scopes: []string{"chat:write", "channels:history", "channels:read", "files:read", "users:read"}})
	w.Options.IntegrationLogs = append(w.Options.IntegrationLogs, IntegrationLog{UserID: BobUser, UserName: "bob",
		Date: now.Add(-26 * time.Hour), ChangeType: "added", AppType: "app", AppID: ExfilApp, Scope: "channels:history,files:read"})
	w.Expected = []Expected{
		{Kind: "assessment.not_assessable", Subject: "access logs"},
		{Kind: "persistence.integration", Subject: ExfilApp},
	}
	return w
}

// userLeak: Alice's user token leaked; its holder logged in from a new IP
// and user agent and added an app.
func userLeak(now time.Time) World {
	w := base(now)
	w.Leaked = LeakedUserToken
	w.Options.Tokens = append(w.Options.Tokens, Token{Value: LeakedUserToken, UserID: AliceUser, UserName: "alice",
		Scopes: []string{"channels:history", "channels:read", "chat:write", "files:read", "files:write", "users:read"}})
	w.Options.Logins = append(w.Options.Logins, Login{UserID: AliceUser, UserName: "alice", IP: ScenarioIP, UserAgent: ScenarioUA,
		ISP: "Example Hosting", Country: "NL", First: now.Add(-50 * time.Hour), Last: now.Add(-20 * time.Hour), Count: 9})
	w.Options.IntegrationLogs = append(w.Options.IntegrationLogs, IntegrationLog{UserID: AliceUser, UserName: "alice",
		Date: now.Add(-40 * time.Hour), ChangeType: "added", AppType: "app", AppID: ExfilApp, Scope: "channels:history,files:read"})
	w.Options.AuditLogs = []AuditEntry{
		{ID: "ev-0001", Date: now.Add(-50 * time.Hour), Action: "user_login", ActorID: AliceUser, ActorName: "alice", EntityType: "user", EntityID: AliceUser, EntityName: "alice", IP: ScenarioIP, UserAgent: ScenarioUA},
		{ID: "ev-0002", Date: now.Add(-40 * time.Hour), Action: "app_installed", ActorID: AliceUser, ActorName: "alice", EntityType: "app", EntityID: ExfilApp, EntityName: "exfil", IP: ScenarioIP, UserAgent: ScenarioUA},
	}
	w.Expected = []Expected{
		{Kind: "access.new_login", Subject: ScenarioIP},
		{Kind: "persistence.integration", Subject: ExfilApp},
	}
	return w
}

// StandaloneOptions configure `keyir sim slack`.
type StandaloneOptions struct {
	Listen   string
	Scenario string // "" serves the notification channel alone
}

// Standalone serves the simulator on loopback loaded with a scenario and
// writes the lines a responder's shell needs. Printing the made-up tokens is
// the point, so out is not redacted.
func Standalone(o StandaloneOptions, out io.Writer) (*Server, error) {
	var w World
	if o.Scenario != "" {
		sc, ok := LookupScenario(o.Scenario)
		if !ok {
			var names []string
			for _, s := range Scenarios() {
				names = append(names, s.Name)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("unknown Slack scenario %q (known: %v)", o.Scenario, names)
		}
		w = sc.Build(time.Now())
	}
	sim := New(w.Options)
	api, err := sim.Listen(o.Listen)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out, "Slack simulator listening")
	fmt.Fprintf(out, "SLACK_API_URL=%s\n", api)
	fmt.Fprintf(out, "SLACK_BOT_TOKEN=%s\n", sim.BotToken())
	if o.Scenario != "" {
		fmt.Fprintf(out, "SLACK_ADMIN_TOKEN=%s\n", w.Admin)
		fmt.Fprintf(out, "LEAKED_TOKEN=%s\n", w.Leaked)
		// Enterprise Grid's Audit Logs API, on the same server.
		fmt.Fprintf(out, "SLACK_ORG_TOKEN=%s\n", OrgAdminToken)
		fmt.Fprintf(out, "SLACK_AUDIT_API_URL=%s/audit/v1/\n", sim.URL())
		fmt.Fprintf(out, "scenario %s: exposure window %s to %s\n", o.Scenario, w.WindowStart.UTC().Format(time.RFC3339), w.WindowEnd.UTC().Format(time.RFC3339))
		fmt.Fprintln(out, `respond: echo "$LEAKED_TOKEN" | keyir run slack-token-compromise --key -`)
	}
	return sim, nil
}
