package credentials

import "strings"
import "testing"

// TestNormalizeHost: a credential's host is a host (and port), nothing
// that could be read two ways.
func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"api.example.com":     "api.example.com",
		" API.Example.com. ":  "api.example.com",
		"127.0.0.1:8443":      "127.0.0.1:8443",
		"[::1]:8080":          "[::1]:8080",
		"::1":                 "[::1]",
		"[::1]":               "[::1]",
		"xn--bcher-kva.ch":    "xn--bcher-kva.ch",
		"api.example.com:443": "api.example.com:443",
	} {
		got, err := NormalizeHost(in)
		if err != nil || got != want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":                         "got nothing",
		"https://api.example.com":  "no scheme",
		"api.example.com/v3":       "no scheme, path",
		"user@api.example.com":     "no scheme, path or user",
		"api.example.com?x":        "no scheme",
		"api.example.com:0":        "port from 1 to 65535",
		"api.example.com:99999":    "port from 1 to 65535",
		"api.example.com:https":    "port from 1 to 65535",
		"*.example.com":            "host name or IP",
		"exa_mple.com":             "host name or IP",
		"-api.example.com":         "host name or IP",
		"api.example.com:80:80":    "host name or IP",
		"api..example.com":         "host name or IP",
		"api.example.com\\evil.io": "no scheme",
	} {
		if got, err := NormalizeHost(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeHost(%q) = %q, %v; want an error containing %q", in, got, err, want)
		}
	}
}

// TestOwnCredentials: every variable keyir reads a credential from is
// refused, in any case, with or without _FILE; a provider's is not.
func TestOwnCredentials(t *testing.T) {
	for _, name := range []string{"SENDGRID_API_KEY", "SENDGRID_API_KEY_FILE", "SENDGRID_NOTIFY_API_KEY", "SLACK_BOT_TOKEN",
		"SLACK_SIGNING_SECRET_FILE", "SLACK_APP_TOKEN", "KEYIR_WEBHOOK_SECRET", "keyir_webhook_secret", "Slack_Bot_Token"} {
		if !IsOwn(name) {
			t.Errorf("%s is keyir's own", name)
		}
	}
	for _, name := range []string{"REVOKE_TOKEN", "EXAMPLE_ADMIN_TOKEN", "GITHUB_TOKEN", "MY_SENDGRID_KEY"} {
		if IsOwn(name) {
			t.Errorf("%s is not keyir's own", name)
		}
	}
}
