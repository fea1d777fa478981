package sendgrid

import "context"
import "net/url"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/sim/sendgridsim"

// FuzzParseKey: whatever is pasted as the leaked key or its id, ParseKey
// never panics, accepts only SendGrid-shaped input, and never quotes the
// input in its error (a mistyped key is still a live secret).
func FuzzParseKey(f *testing.F) {
	good := "SG." + strings.Repeat("a", 22) + "." + strings.Repeat("B", 43)
	for _, s := range [][2]string{
		{good, ""}, {"", strings.Repeat("x", 22)}, {good, strings.Repeat("a", 22)}, {good, strings.Repeat("z", 22)},
		{"SG.short.secret", ""}, {"", good}, {" " + good + "\n", ""}, {"", "../../etc/passwd"},
		{"SG." + strings.Repeat("a", 22) + "." + strings.Repeat("\xff", 43), ""}, {"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, keyID string) {
		ki, err := ParseKey(key, keyID)
		if err != nil {
			for _, in := range []string{strings.TrimSpace(key), strings.TrimSpace(keyID)} {
				if len(in) >= 8 && strings.Contains(err.Error(), in) {
					t.Fatalf("error quotes the input: %v", err)
				}
			}
			return
		}
		if !keyIDRE.MatchString(ki.ID) || ki.Fingerprint == "" {
			t.Fatalf("accepted %q/%q as id %q fingerprint %q", key, keyID, ki.ID, ki.Fingerprint)
		}
		if ki.HasSecret && APIKey.Match(strings.TrimSpace(key)) == nil && APIKey.Match(strings.TrimSpace(keyID)) == nil {
			t.Fatalf("HasSecret without a key: %q %q", key, keyID)
		}
	})
}

// FuzzActivityQuery: every Email Activity query the activity action builds
// (any key id the revoke would accept, any window) is one the simulator's
// parser of the query language accepts, selects exactly that key's messages
// inside the window, and survives the URL encoding of the endpoint.
func FuzzActivityQuery(f *testing.F) {
	f.Add(strings.Repeat("a", 22), int64(1700000000), int64(1700086400), int64(1700000001))
	f.Add("Ab-_09Ab-_09Ab-_09Ab-_", int64(0), int64(1), int64(0))
	f.Add(strings.Repeat("-", 22), int64(-62135596800), int64(253402300799), int64(1))
	f.Add(`aaaaaaaaaaaaaaaaaaaa"`, int64(1), int64(2), int64(1))
	f.Fuzz(func(t *testing.T, keyID string, start, end, at int64) {
		if !keyIDRE.MatchString(keyID) {
			return // the action refuses it before building a query
		}
		clamp := func(v int64) time.Time {
			const lo, hi = -62135596800, 253402300799 // years 1 to 9999: RFC 3339
			return time.Unix(min(max(v, lo), hi), 0).UTC()
		}
		s, e, m := clamp(start), clamp(end), clamp(at)
		if !s.Before(e) {
			// Run refuses such a window (found by this target: a
			// window_start after the default end, now, built a query the
			// API rejects; TestActivityRefusesAFutureWindowStart).
			return
		}
		q := activityQuery(keyID, s, e)
		parsed, err := sendgridsim.ParseQuery(q)
		if err != nil {
			t.Fatalf("built query %q does not parse: %v", q, err)
		}
		inWindow := !m.Before(s) && !m.After(e)
		if got := parsed.Match(sendgridsim.Message{APIKeyID: keyID, LastEventTime: m}); got != inWindow {
			t.Fatalf("query %q matches a message at %s: %v, want %v", q, m, got, inWindow)
		}
		if parsed.Match(sendgridsim.Message{APIKeyID: keyID + "x", LastEventTime: s}) {
			t.Fatalf("query %q matches another key", q)
		}
		ep := messagesEndpoint(q, 1000)
		u, err := url.Parse(ep)
		if err != nil {
			t.Fatalf("endpoint %q: %v", ep, err)
		}
		if got := u.Query().Get("query"); got != q {
			t.Fatalf("endpoint round trip: %q, want %q", got, q)
		}
	})
}

func TestActivityRefusesAFutureWindowStart(t *testing.T) {
	a := &Activity{KeyID: strings.Repeat("a", 22), WindowStart: time.Now().Add(48 * time.Hour), Region: "global"}
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate: %v (the end defaults to now only at run time)", err)
	}
	env := actions.StandaloneEnv("activity", func(k string) string {
		return map[string]string{EnvAPIKey: "SG." + strings.Repeat("r", 22) + "." + strings.Repeat("s", 43), EnvAPIURL: "http://127.0.0.1:1"}[k]
	}, nil, nil, nil)
	_, err := a.Run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "window_start") {
		t.Fatalf("a window_start after now: %v, want a window_start error", err)
	}
}
