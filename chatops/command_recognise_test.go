package chatops

import "strings"
import "testing"

import "github.com/keyir/keyir/redact"

// TestRevokeOfAnUnknownShapeGetsTheHelpfulRefusal: a token of no shape
// keyir knows is registered, refused with the kinds keyir knows and the
// generic way out, and never echoed.
func TestRevokeOfAnUnknownShapeGetsTheHelpfulRefusal(t *testing.T) {
	tok := "qq_live_7fJ2kP9xL4mN8vB3cR6tY1wZ5"
	red := redact.New()
	_, err := ParseArgs("revoke "+tok+" INC-1", red)
	if err == nil {
		t.Fatal("an unknown shape was accepted")
	}
	for _, want := range []string{"no shape keyir knows", "SendGrid API key (SG.…)", "keyir run generic-key-revoke", "33 characters long"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal lacks %q: %s", want, err)
		}
	}
	if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), tok[3:15]) {
		t.Error("the refusal echoes the token")
	}
	if !red.Contains(tok) {
		t.Error("the token is not registered with the redactor")
	}
}
