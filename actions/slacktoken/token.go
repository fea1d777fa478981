// Package slacktoken is keyir's response to a leaked Slack token (not keyir's
// own bot token, though it says so loudly when it is): identify it by shape,
// ask Slack with the token itself whether it is live (auth.test), record
// what it can do, revoke it with auth.revoke (with the token itself, as
// Slack requires), prove it dead by polling auth.test until Slack refuses
// it, and, with an admin token, read the team's access and integration logs
// (and, with an org token, Enterprise Grid's audit logs) for what its holder
// did in the exposure window. One file per action over one client
// (client.go).
package slacktoken

import "errors"
import "fmt"
import "strings"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"

// The kinds of Slack token keyir responds to, from their real shapes. Slack
// tokens carry no checksum.
var (
	BotToken = &provider.KeyKind{
		Kind: "slack-bot-token", Human: "Slack bot token", Prefix: "xoxb-",
		// xoxb-<team number>-<bot user number>-<secret>
		Pattern:  `xoxb-([0-9]{6,15})-([0-9]{6,15})-([A-Za-z0-9]{20,40})`,
		Revoke:   "Slack: the app's OAuth & Permissions page (reinstall rotates it), or auth.revoke with the token",
		Playbook: "slack-token-compromise",
		Sample:   "xoxb-1000000001-2000000002-keyirSampleBotToken00000",
	}
	UserToken = &provider.KeyKind{
		Kind: "slack-user-token", Human: "Slack user token", Prefix: "xoxp-",
		// xoxp-<team number>-<user number>-<token number>-<32 hex>
		Pattern:  `xoxp-([0-9]{6,15})-([0-9]{6,15})-([0-9]{6,15})-([A-Za-z0-9]{24,64})`,
		Revoke:   "Slack: auth.revoke with the token, or the app's OAuth & Permissions page",
		Playbook: "slack-token-compromise",
		Sample:   "xoxp-1000000001-2000000002-3000000003-6b65796972073616d706c6500000000",
	}
	RotatingToken = &provider.KeyKind{
		Kind: "slack-rotating-token", Human: "Slack rotating access token", Prefix: "xoxe.",
		// xoxe.xoxb-1-… or xoxe.xoxp-1-…: an access token with token
		// rotation on (it expires after 12 hours).
		Pattern:  `xoxe\.(xox[bp])-1-([A-Za-z0-9_-]{30,300})`,
		Revoke:   "Slack: auth.revoke with the token; revoke its refresh token in the app's settings",
		Playbook: "slack-token-compromise",
		Sample:   "xoxe.xoxp-1-keyirSampleRotatingToken0000000000000",
	}
	RefreshToken = &provider.KeyKind{
		Kind: "slack-refresh-token", Human: "Slack refresh token", Prefix: "xoxe-",
		// xoxe-1-…: good only for oauth.v2.access (a new access token).
		Pattern:  `xoxe-1-([A-Za-z0-9_-]{30,300})`,
		Revoke:   "Slack: the app's OAuth & Permissions page (revoke tokens) or uninstall the app; no Web API method accepts a refresh token",
		Playbook: "slack-token-compromise",
		Sample:   "xoxe-1-keyirSampleRefreshToken000000000000000000",
	}
	kinds = []*provider.KeyKind{BotToken, UserToken, RotatingToken, RefreshToken}
)

// TokenInfo is what can be derived from a leaked token without the network.
type TokenInfo struct {
	Kind        *provider.KeyKind
	Fingerprint string
	// Bot: the token acts as a bot user (xoxb-, xoxe.xoxb-).
	Bot bool
	// Refresh: a refresh token, which no Web API method accepts: nothing
	// keyir can send proves it live or dead.
	Refresh bool
}

// ParseToken names a leaked token's kind. Errors describe the value by its
// length and prefix only, never by any of its characters.
func ParseToken(token string) (TokenInfo, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return TokenInfo{}, errors.New("no token given: pass the leaked Slack token")
	}
	for _, k := range kinds {
		if m := k.Match(token); m != nil {
			return TokenInfo{Kind: k, Fingerprint: redact.Fingerprint(token),
				Bot:     k == BotToken || (k == RotatingToken && m[1] == "xoxb"),
				Refresh: k == RefreshToken}, nil
		}
	}
	return TokenInfo{}, fmt.Errorf("not a Slack token keyir responds to (xoxb- bot, xoxp- user, xoxe. rotating, xoxe- refresh): got %s", shape(token))
}

// shape describes a rejected value without revealing any of it: its length,
// its dash-separated parts' lengths, and whether it starts like a known kind.
func shape(s string) string {
	desc := fmt.Sprintf("%d characters", len(s))
	for _, k := range append(kinds, &provider.KeyKind{Prefix: "xapp-", Human: "Slack app-level token"}) {
		if strings.HasPrefix(s, k.Prefix) {
			parts := strings.Split(s, "-")
			lens := make([]string, len(parts))
			for i, p := range parts {
				lens[i] = fmt.Sprint(len(p))
			}
			desc += fmt.Sprintf(" starting like a %s, in %d dash-separated parts of lengths %s", k.Human, len(parts), strings.Join(lens, ", "))
			break
		}
	}
	if strings.ContainsAny(s, " \t\r\n") {
		desc += " including whitespace"
	}
	return desc
}
