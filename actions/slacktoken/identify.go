package slacktoken

import "context"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// identifyTokenInfo declares slack.identify_token; provider.go registers it.
var identifyTokenInfo = actions.Info{
	Name:    "slack.identify_token",
	Summary: "Name a leaked Slack token's kind and fingerprint (no network); say loudly when it is keyir's own bot token",
	Outputs: []actions.Output{
		{Name: "kind", Type: actions.TypeString, Description: "slack-bot-token, slack-user-token, slack-rotating-token or slack-refresh-token"},
		actions.HumanOutput,
		actions.FingerprintOutput,
		{Name: "bot", Type: actions.TypeBool, Description: "the token acts as a bot user"},
		{Name: "refresh", Type: actions.TypeBool, Description: "a refresh token: no Web API method accepts it, so nothing can prove it live or dead"},
		{Name: "keyir_bot", Type: actions.TypeBool, Description: "the token is keyir's own bot token (SLACK_BOT_TOKEN)"},
	},
	New: func() actions.Action { return new(Identify) },
}

// Identify names a leaked token without the network.
type Identify struct {
	Key string `param:"key,secret,required" desc:"the leaked Slack token (xoxb-, xoxp-, xoxe., xoxe-)"`
}

// Validate checks the token's shape before the run starts.
func (a *Identify) Validate() error {
	_, err := ParseToken(a.Key)
	return err
}

// Run derives the outputs.
func (a *Identify) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ti, err := ParseToken(a.Key)
	if err != nil {
		return nil, err
	}
	own := ownBot(env, a.Key)
	if own {
		env.Finding(report.Finding{
			Kind: "token.keyir_bot", Subject: EnvBotToken, Severity: report.Critical,
			Title:  "The leaked token is keyir's own Slack bot token",
			Detail: "The leaked token is the one keyir posts incidents with (SLACK_BOT_TOKEN). keyir revokes it anyway, because a leaked token must be contained; once the revocation takes effect, keyir's own Slack notifications and `keyir serve` stop working until SLACK_BOT_TOKEN is replaced with a new token (reinstall the app).",
		})
		env.Note("WARNING: the leaked token IS keyir's own bot token (SLACK_BOT_TOKEN): revoking it cuts keyir's own Slack channel; replace SLACK_BOT_TOKEN afterwards")
	}
	if ti.Refresh {
		env.Note("a refresh token (xoxe-): no Web API method accepts it, so keyir can neither revoke it nor prove it dead; revoke it in the app's settings (OAuth & Permissions) and rotate the app's credentials")
	}
	return actions.Outputs{"kind": ti.Kind.Kind, "human": ti.Kind.Human, "fingerprint": ti.Fingerprint, "bot": ti.Bot, "refresh": ti.Refresh, "keyir_bot": own}, nil
}

// ownBot reports whether token is keyir's own bot token (SLACK_BOT_TOKEN or
// its _FILE). The identify step says so loudly (a critical finding and a
// note), before anything is revoked; the revoke step says it again.
//
// keyir still revokes it: a leaked token must be contained whoever uses it,
// and refusing would leave it live in an attacker's hands. The price is
// keyir's own channel: once the revocation propagates, every later Slack
// notification of this run (and `keyir serve`) fails until SLACK_BOT_TOKEN
// is replaced. The opening notification goes out before the revoke.
func ownBot(env *actions.Env, token string) bool {
	own, err := env.Credential(EnvBotToken)
	return err == nil && strings.TrimSpace(own) == strings.TrimSpace(token)
}

var (
	_ actions.Action    = (*Identify)(nil)
	_ actions.Validator = (*Identify)(nil)
)
