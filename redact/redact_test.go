package redact

import "bytes"
import "encoding/json"
import "net/url"
import "strings"
import "testing"

const canary = "CANARY-s3cr3t-value+/="

func TestRedactsEveryForm(t *testing.T) {
	r := New(canary)
	tok := Token(canary)
	jsonForm, _ := json.Marshal(map[string]string{"k": canary})
	cases := []string{
		"plain " + canary + " text",
		"https://api.example/x?key=" + url.QueryEscape(canary),
		"/v3/" + url.PathEscape(canary),
		string(jsonForm),
	}
	for _, c := range cases {
		got := r.String(c)
		if strings.Contains(got, canary) || strings.Contains(got, url.QueryEscape(canary)) {
			t.Errorf("secret survived in %q -> %q", c, got)
		}
		if !strings.Contains(got, tok) {
			t.Errorf("token missing in %q", got)
		}
	}
}

func TestTokenFormat(t *testing.T) {
	tok := Token("abcdefgh")
	if !strings.HasPrefix(tok, "[REDACTED:") || len(tok) != len("[REDACTED:]")+8 {
		t.Fatalf("bad token %q", tok)
	}
	if Token("abcdefgh") != tok || Token("abcdefgi") == tok {
		t.Fatal("token must be stable per secret and differ between secrets")
	}
}

func TestShortValuesIgnored(t *testing.T) {
	r := New("ab", "")
	if got := r.String("ab cd"); got != "ab cd" {
		t.Fatalf("short value redacted: %q", got)
	}
}

func TestUnregisteredKeyShapesRedacted(t *testing.T) {
	r := New()
	key := "SG." + strings.Repeat("a", 22) + "." + strings.Repeat("b", 43)
	slackTok := "xoxb-1234567890-abcdefghij"
	got := r.String("k=" + key + " t=" + slackTok)
	if strings.Contains(got, key) || strings.Contains(got, slackTok) {
		t.Fatalf("credential shape survived: %q", got)
	}
	// The key id alone is not secret and must stay readable.
	if got := r.String(strings.Repeat("a", 22)); got != strings.Repeat("a", 22) {
		t.Fatalf("key id was redacted: %q", got)
	}
}

func TestLongestSecretWins(t *testing.T) {
	r := New("secret-part", "secret-part-and-more")
	got := r.String("x secret-part-and-more y")
	if got != "x "+Token("secret-part-and-more")+" y" {
		t.Fatalf("got %q", got)
	}
}

func TestWriterCatchesSplitSecret(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(New(canary), &out)
	half := len(canary) / 2
	w.Write([]byte("start " + canary[:half]))
	w.Write([]byte(canary[half:] + " end\n"))
	w.Write([]byte("tail " + canary))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), canary) {
		t.Fatalf("secret leaked: %q", out.String())
	}
	if !strings.Contains(out.String(), "start "+Token(canary)+" end\n") {
		t.Fatalf("unexpected output %q", out.String())
	}
}
