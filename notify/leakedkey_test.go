package notify_test

import "testing"

import "github.com/keyir/keyir/notify"

// Every channel names the incident's key by the kind the run identified:
// a token without an id by its fingerprint, a run that named no kind as a
// "key", never as another provider's.
func TestLeakedKeyNamesTheKindTheRunIdentified(t *testing.T) {
	for _, c := range []struct {
		ev   notify.Event
		want string
	}{
		{notify.Event{KeyKind: "SendGrid API key", KeyID: "AbC", KeyFingerprint: "3c9a1f0e"}, "leaked SendGrid API key AbC"},
		{notify.Event{KeyKind: "GitHub personal access token (classic)", KeyFingerprint: "77aa01ff"}, "leaked GitHub personal access token (classic) 77aa01ff"},
		{notify.Event{KeyFingerprint: "0011aabb"}, "leaked key 0011aabb"},
		{notify.Event{}, "leaked key"},
	} {
		if got := c.ev.LeakedKey(); got != c.want {
			t.Errorf("LeakedKey() = %q, want %q", got, c.want)
		}
	}
}
