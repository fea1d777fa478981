package chatops

import "strings"
import "testing"

import "github.com/keyir/keyir/redact"

// FuzzParseArgs: whatever follows /keyir in Slack, parsing never panics and
// never quotes a token it did not accept (it may be a leaked key).
func FuzzParseArgs(f *testing.F) {
	key := "SG." + strings.Repeat("a", 22) + "." + strings.Repeat("B", 43)
	for _, s := range []string{
		"", "help", "revoke " + key, "revoke " + key + " INC-42", "revoke " + strings.Repeat("a", 22) + " --dry-run",
		"drill spam-burst", "status 0a1b2c", "revoke <!channel> *bold* `code`", "revoke ../../etc/passwd",
		"REVOKE\t" + key, strings.Repeat("x ", 600), "revoke \xff\xfe",
		"revoke ghp_" + strings.Repeat("a", 36) + " INC-1", "revoke github_pat_" + strings.Repeat("b", 22) + "_" + strings.Repeat("c", 59),
		"revoke xoxb-4230001111-5230002222-KeyirDrillLeakedBot00001 --dry-run",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		red := redact.New()
		a, err := ParseArgs(text, red)
		if err == nil {
			// An accepted token of any kind is registered before use.
			if a.Key != "" && !red.Contains(a.Key) {
				t.Fatalf("accepted a key that is not registered with the redactor")
			}
			return
		}
		for _, tok := range strings.Fields(text)[min(1, len(strings.Fields(text))):] {
			if len(tok) >= 12 && strings.Contains(err.Error(), tok) {
				t.Fatalf("error quotes token %q: %v", tok, err)
			}
		}
	})
}

// FuzzParseConfig: any serve configuration file is accepted or refused with
// problems; never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"", "{}", "channels: [C0INCIDENT]\n", "approvers: [U1, U2]\n", "a: &a [*a]\n", "[", "\xff",
		"channels:\n  - id: C0123\n    playbook: sendgrid-key-compromise\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("serve.yaml", data)
		if err == nil && c == nil {
			t.Fatal("no config and no error")
		}
	})
}
