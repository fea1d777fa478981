package ghtoken

import (
	"strings"
	"testing"
)

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
