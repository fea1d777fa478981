package redact

import "testing"

func TestKindOfNamesTheCredentialWithoutQuotingIt(t *testing.T) {
	cases := map[string]string{
		"ghp_abcdefghijklmnopqrstuvwxyz0123456789":  "a GitHub personal access token",
		"github_pat_11ABCDEFG0123456789_abcdefghij": "a GitHub fine-grained personal access token",
		"xoxb-1234567890-abcdefghij":                "a Slack bot token",
		"SG.abcdefghijklmnopqrstuv.x":               "a SendGrid API key",
		"  ghs_abcdefghijklmnop\n":                  "a GitHub App installation token",
		"hello world":                               "",
		"ghp_":                                      "",
	}
	for in, want := range cases {
		got, revoke := KindOf(in)
		if got != want {
			t.Errorf("KindOf(%q) = %q, want %q", in, got, want)
		}
		if (got == "") != (revoke == "") {
			t.Errorf("KindOf(%q): kind %q but revoke %q", in, got, revoke)
		}
	}
}
