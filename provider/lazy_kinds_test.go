package provider_test

import "reflect"
import "regexp"
import "testing"

// Every built-in kind, not only SendGrid's (provider_test.go links it).
import _ "github.com/keyir/keyir/actions/ghtoken"
import _ "github.com/keyir/keyir/actions/slacktoken"
import "github.com/keyir/keyir/provider"

// A kind's whole-key expression is compiled on its first match now, not at
// registration: every registered kind (the built-in ones included) still
// matches exactly what the anchored expression `^(?:P)$` matches, groups
// included, on its sample and on cuts, extensions and shifts of it, and
// its sample is still a valid key of it. A malformed built-in pattern or
// sample fails here (and its registration panics), not in an incident.
func TestRegisteredKindsMatchAfterLazyCompile(t *testing.T) {
	kinds := provider.Kinds()
	seen := map[string]bool{}
	for _, k := range kinds {
		seen[k.Kind] = true
	}
	for _, want := range []string{"sendgrid-api-key", "github_classic_pat", "slack-bot-token"} {
		if !seen[want] {
			t.Logf("kinds: %v", seen)
			t.Fatalf("kind %s not registered", want)
		}
	}
	for _, k := range kinds {
		anchored := regexp.MustCompile(`^(?:` + k.Pattern + `)$`)
		s := k.Sample
		for _, in := range []string{s, s[:len(s)-1], s + "x", "x" + s, s + " ", " " + s, s + s, s[1:], s[:len(s)/2], k.Prefix, ""} {
			got, want := k.Match(in), anchored.FindStringSubmatch(in)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: Match(%q) = %q, the anchored expression %q", k.Kind, in, got, want)
			}
		}
		if !k.Valid(s) {
			t.Errorf("%s: its sample is not valid", k.Kind)
		}
		if r, ok := provider.Identify(s); !ok || r.Kind != k.Kind {
			t.Errorf("%s: Identify(sample) = %s, %v", k.Kind, r.Kind, ok)
		}
	}
}
