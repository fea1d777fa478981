package slacktoken

import "context"
import "fmt"
import "slices"
import "sort"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

var identityOutputs = []actions.Output{
	actions.StatusOutput,
	{Name: "death", Type: actions.TypeString, Description: "Slack's refusal when dead: invalid_auth, token_revoked or account_inactive"},
	actions.FingerprintOutput,
	{Name: "team_id", Type: actions.TypeString, Description: "the workspace the token belongs to"},
	{Name: "user_id", Type: actions.TypeString, Description: "the user it acts as (a bot's bot user)"},
	{Name: "bot_id", Type: actions.TypeString, Description: "the bot, for a bot token"},
	{Name: "scopes", Type: actions.TypeList, Description: "its scopes (X-OAuth-Scopes)"},
	actions.APIURLOutput,
}

// tokenLivenessInfo declares slack.token_liveness; provider.go registers it.
var tokenLivenessInfo = actions.Info{
	Name:    "slack.token_liveness",
	Summary: "Ask Slack, with the leaked token itself, whether it is live (auth.test: team, user, bot, scopes)",
	Outputs: identityOutputs,
	New:     func() actions.Action { return new(Liveness) },
}

// snapshotTokenInfo declares slack.snapshot_token; provider.go registers it.
var snapshotTokenInfo = actions.Info{
	Name:    "slack.snapshot_token",
	Summary: "Record the leaked token's workspace, user, bot and scopes before it is revoked, and rate its blast radius",
	Outputs: actions.OutputList(identityOutputs, []actions.Output{
		{Name: "bot", Type: actions.TypeBool, Description: "it acts as a bot user (bots do not appear in access logs)"},
		{Name: "risk", Type: actions.TypeString, Description: "critical, high, medium or low (empty when the token is not live)"},
	}),
	New: func() actions.Action { return new(Snapshot) },
}

// Liveness asks auth.test with the leaked token.
type Liveness struct {
	Key string `param:"key,secret,required" desc:"the leaked Slack token"`
}

// Validate checks the token's shape.
func (a *Liveness) Validate() error {
	_, err := ParseToken(a.Key)
	return err
}

// liveness is one auth.test with the leaked token.
type liveness struct {
	Status, Death string
	ID            identity
}

// checkLiveness asks once. A refresh token is never sent: Slack refuses it
// with invalid_auth whether or not it is live, so its answer proves nothing.
func checkLiveness(ctx context.Context, env *actions.Env, ti TokenInfo, token string) (liveness, error) {
	if ti.Refresh {
		return liveness{Status: actions.StatusUnknown}, nil
	}
	c, err := newClient(env)
	if err != nil {
		return liveness{Status: actions.StatusUnknown}, err
	}
	id, err := c.authTest(ctx, token)
	switch code := codeOf(err); {
	case err == nil:
		sort.Strings(id.Scopes)
		return liveness{Status: actions.StatusLive, ID: id}, nil
	case deathCodes[code]:
		return liveness{Status: actions.StatusDead, Death: code}, nil
	default:
		return liveness{Status: actions.StatusUnknown}, err
	}
}

func (l liveness) outputs(env *actions.Env, ti TokenInfo) actions.Outputs {
	scopes := l.ID.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return actions.Outputs{"status": l.Status, "death": l.Death, "fingerprint": ti.Fingerprint,
		"team_id": l.ID.TeamID, "user_id": l.ID.UserID, "bot_id": l.ID.BotID, "scopes": scopes, "api_url": apiURL(env)}
}

// describe says what the answer means, for a note.
func (l liveness) describe(ti TokenInfo) string {
	switch l.Status {
	case actions.StatusLive:
		who := "user " + l.ID.UserID
		if l.ID.BotID != "" {
			who = "bot " + l.ID.BotID + " (user " + l.ID.UserID + ")"
		}
		return fmt.Sprintf("the leaked %s is LIVE: workspace %s, %s, %d scopes", ti.Kind.Human, l.ID.TeamID, who, len(l.ID.Scopes))
	case actions.StatusDead:
		return fmt.Sprintf("Slack refuses the leaked %s (%s)", ti.Kind.Human, l.Death)
	}
	if ti.Refresh {
		return "liveness not assessable: a refresh token cannot call auth.test (Slack refuses it whether or not it is live)"
	}
	return "liveness unknown"
}

// Run asks.
func (a *Liveness) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ti, err := ParseToken(a.Key)
	if err != nil {
		return nil, err
	}
	l, err := checkLiveness(ctx, env, ti, strings.TrimSpace(a.Key))
	if err != nil {
		return nil, fmt.Errorf("liveness of the leaked token: %w", err)
	}
	env.Note(l.describe(ti))
	return l.outputs(env, ti), nil
}

// Snapshot records the token's identity and blast radius before the revoke.
type Snapshot struct {
	Key string `param:"key,secret,required" desc:"the leaked Slack token"`
}

// Validate checks the token's shape.
func (a *Snapshot) Validate() error {
	_, err := ParseToken(a.Key)
	return err
}

// Run reads auth.test once and records what the token is and can do.
func (a *Snapshot) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ti, err := ParseToken(a.Key)
	if err != nil {
		return nil, err
	}
	l, err := checkLiveness(ctx, env, ti, strings.TrimSpace(a.Key))
	out := l.outputs(env, ti)
	out["bot"], out["risk"] = ti.Bot || l.ID.BotID != "", ""
	if err != nil {
		// Every output is still there, so the later steps' templates render
		// (the assessment then says what it cannot tell).
		return out, fmt.Errorf("snapshot of the leaked token: %w", err)
	}
	env.Note(l.describe(ti))
	if l.Status == actions.StatusLive {
		risk := Risk(ti, l.ID.Scopes)
		out["risk"] = string(risk)
		if env.Recorder != nil {
			env.Recorder.Evidence("slack_token_snapshot", map[string]any{
				"kind": ti.Kind.Kind, "fingerprint": ti.Fingerprint, "team_id": l.ID.TeamID, "team": l.ID.Team,
				"url": l.ID.URL, "user_id": l.ID.UserID, "user": l.ID.User, "bot_id": l.ID.BotID,
				"enterprise_install": l.ID.Enterprise, "scopes": l.ID.Scopes, "risk": risk,
			})
		}
	}
	return out, nil
}

// Risk rates what a token with these scopes can do: critical for admin
// scopes (and legacy full access), high for reading messages and files,
// writing as someone or a user token's reach, medium for other reads, low
// otherwise.
func Risk(ti TokenInfo, scopes []string) report.Severity {
	risk := report.Low
	raise := func(s report.Severity) {
		// report.Severities runs from the most severe down.
		if slices.Index(report.Severities, s) < slices.Index(report.Severities, risk) {
			risk = s
		}
	}
	for _, s := range scopes {
		switch {
		case s == "admin" || strings.HasPrefix(s, "admin.") || s == "client" || s == "auditlogs:read":
			raise(report.Critical)
		case strings.HasSuffix(s, ":history") || strings.HasPrefix(s, "files:") || strings.HasPrefix(s, "chat:write") ||
			s == "search:read" || s == "users:read.email" || strings.HasPrefix(s, "remote_files:") || strings.HasSuffix(s, ":write"):
			raise(report.High)
		case strings.HasSuffix(s, ":read"):
			raise(report.Medium)
		}
	}
	return risk
}

var (
	_ actions.Action    = (*Liveness)(nil)
	_ actions.Validator = (*Liveness)(nil)
	_ actions.Action    = (*Snapshot)(nil)
	_ actions.Validator = (*Snapshot)(nil)
)
