package audit

import "slices"
import "testing"

// The expressions and the page template are compiled on the first audit,
// not at start-up: a malformed one fails here.
func TestLazyExpressionsCompile(t *testing.T) {
	if !adminScope().MatchString("api_keys.create") || adminScope().MatchString("mail.send") {
		t.Error("adminScope")
	}
	if got := nameWords("Mail-Sender 2"); !slices.Equal(got, []string{"mail", "sender", "2"}) {
		t.Errorf("nameWords = %q", got)
	}
	matched := 0
	for _, p := range purposes() {
		for _, w := range []string{"mailer", "metrics", "webhooks"} {
			if p.word.MatchString(w) {
				matched++
			}
		}
	}
	if matched != 3 {
		t.Errorf("purposes matched %d of 3 words", matched)
	}
	if page().Name() != "audit" {
		t.Error("the audit page template")
	}
}
