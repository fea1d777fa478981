package redact

import "strings"

// kinds name the credentials keyir recognises by prefix, most specific
// first, with where such a credential is revoked. They follow the shapes in
// keyShape, and are the floor under the kinds providers register
// (RegisterShape).
var kinds = []struct{ prefix, name, revoke string }{
	{"SG.", "a SendGrid API key", "SendGrid: Settings → API Keys"},
	{"xoxb-", "a Slack bot token", "Slack: the app's OAuth & Permissions page (reinstall rotates it)"},
	{"xoxp-", "a Slack user token", "Slack: the app's OAuth & Permissions page"},
	{"xoxa-", "a Slack app token", "Slack: the app's settings"},
	{"xoxo-", "a Slack OAuth token", "Slack: the app's settings"},
	{"xoxs-", "a Slack session token", "Slack: sign the user out of all sessions"},
	{"xoxr-", "a Slack refresh token", "Slack: the app's settings"},
	{"xoxe.", "a Slack rotating token", "Slack: the app's settings"},
	{"xoxe-", "a Slack refresh token", "Slack: the app's settings"},
	{"xapp-", "a Slack app-level token", "Slack: the app's Basic Information page"},
	{"github_pat_", "a GitHub fine-grained personal access token", "GitHub: Settings → Developer settings → Personal access tokens"},
	{"ghp_", "a GitHub personal access token", "GitHub: Settings → Developer settings → Personal access tokens"},
	{"gho_", "a GitHub OAuth token", "GitHub: Settings → Applications"},
	{"ghu_", "a GitHub App user token", "GitHub: Settings → Applications"},
	{"ghs_", "a GitHub App installation token", "it expires within an hour; suspend the app installation to cut it now"},
	{"ghr_", "a GitHub refresh token", "GitHub: Settings → Applications"},
}

// KindOf names the kind of credential s is shaped like ("a GitHub personal
// access token"), with where such a credential is revoked, or "", "" when s
// is not shaped like one keyir knows. It never returns any part of s, so a
// message may use it for a value it must not quote.
func KindOf(s string) (kind, revoke string) {
	s = strings.TrimSpace(s)
	if !LooksLikeKey(s) {
		return "", ""
	}
	// A registered kind names its keys (a provider knows them best) unless
	// a built-in kind has a longer, more specific prefix.
	reg, ok := registeredKind(s)
	for _, k := range kinds {
		if strings.HasPrefix(s, k.prefix) {
			if ok && len(reg.prefix) >= len(k.prefix) {
				return reg.name, reg.revoke
			}
			return k.name, k.revoke
		}
	}
	return reg.name, reg.revoke
}
