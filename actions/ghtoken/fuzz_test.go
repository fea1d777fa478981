package ghtoken

import "encoding/json"
import "slices"
import "strings"
import "testing"

// FuzzParseToken: whatever is pasted as a token, ParseToken never panics,
// never quotes it in an error, and accepts only what one kind's pattern
// matches whole.
func FuzzParseToken(f *testing.F) {
	for _, k := range Kinds {
		f.Add(k.Sample)
		f.Add(k.Sample[:len(k.Sample)-1])
		f.Add(" " + k.Sample + "\n")
	}
	f.Add("ghp_")
	f.Add("github_pat_abc_def")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			// What the message says of the input follows "got ".
			_, said, _ := strings.Cut(err.Error(), "; got ")
			// The prefix may be named; nothing after it.
			body := strings.TrimSpace(s)
			for _, k := range Kinds {
				body = strings.TrimPrefix(body, k.Prefix)
			}
			if len(body) >= 6 && strings.Contains(said, body) {
				t.Fatalf("the error quotes the input: %v", err)
			}
			return
		}
		if tok.Kind == nil || tok.Kind.Match(strings.TrimSpace(s)) == nil || tok.Hashed != HashedToken(s) {
			t.Fatalf("accepted %q as %+v", s, tok)
		}
		if _, err := parseValid(s); (err == nil) != tok.ChecksumOK {
			t.Fatalf("parseValid disagrees with ChecksumOK for %q", s)
		}
	})
}

// FuzzPlanItems: whatever a plan file's GitHub items hold, reading them
// never panics, and an item accepted has exactly the request rebuilt from
// its kind and ids, with a path that stays under the API (no "..", no
// query, no scheme).
func FuzzPlanItems(f *testing.F) {
	for _, it := range validItems(f) {
		b, _ := json.Marshal(it)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"fh-01","kind":"github_deploy_key_added","repo":"a/b","resource_id":"1","remove":{"method":"DELETE","path":"/repos/a/b/keys/1"}}`))
	f.Add([]byte(`{"kind":"github_webhook_added","org":"..","resource_id":"1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := planItems([]json.RawMessage{b})
		if err != nil {
			return
		}
		for _, pi := range got {
			if pi.ByHand != "" {
				if pi.Request != "" {
					t.Fatalf("by hand with a request: %+v", pi)
				}
				continue
			}
			_, path, _ := strings.Cut(pi.Request, " ")
			path, _, _ = strings.Cut(path, " ")
			segs := strings.Split(path, "/")
			if segs[0] != "" || slices.ContainsFunc(segs[1:], func(s string) bool { return s == "" || s == "." || s == ".." }) || strings.ContainsAny(path, "?#%\\ \t\n") {
				t.Fatalf("accepted %q with request %q", b, pi.Request)
			}
		}
	})
}
