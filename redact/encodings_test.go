package redact

import "bytes"
import "encoding/base64"
import "encoding/hex"
import "fmt"
import "strings"
import "testing"

// A SendGrid-shaped secret (its id segment is public) and a plain one.
const (
	sgID     = "AbCdEfGhIjKlMnOpQrStUv"
	sgSecret = "CANARYleakedSECRETpart0123456789abcdefghijk"
	sgKey    = "SG." + sgID + "." + sgSecret
	plain    = "p4ss-w0rd_with.punct+slash/eq="
)

var b64encs = []struct {
	name string
	enc  *base64.Encoding
}{
	{"std", base64.StdEncoding}, {"raw-std", base64.RawStdEncoding},
	{"url", base64.URLEncoding}, {"raw-url", base64.RawURLEncoding},
}

// assertRedacted checks that form, placed in text, is gone and the secret's
// token is there.
func assertRedacted(t *testing.T, r *Redactor, secret, name, form string) {
	t.Helper()
	for _, text := range []string{form, "before " + form + " after", `{"h":"` + form + `"}`} {
		got := r.String(text)
		if strings.Contains(got, form) {
			t.Errorf("%s: survived in %q -> %q", name, text, got)
			continue
		}
		if !strings.Contains(got, Token(secret)) {
			t.Errorf("%s: token of the secret missing in %q", name, got)
		}
	}
}

func TestRedactsBase64OfSecretBearerAndBasic(t *testing.T) {
	for _, secret := range []string{sgKey, plain} {
		r := New(secret)
		for _, e := range b64encs {
			payloads := map[string]string{"secret": secret, "bearer": "Bearer " + secret, "basic S:": secret + ":", "basic :S": ":" + secret}
			// Every user length mod 3 shifts S to another alignment.
			for _, user := range []string{"u", "us", "use", "apikey", "alice@example.com", "x"} {
				payloads["basic "+user+":S"] = user + ":" + secret
			}
			for name, p := range payloads {
				form := e.enc.EncodeToString([]byte(p))
				assertRedacted(t, r, secret, e.name+" "+name, form)
				assertRedacted(t, r, secret, e.name+" header "+name, "Authorization: Basic "+form)
			}
		}
	}
}

func TestRedactsHexUpperAndLower(t *testing.T) {
	for _, secret := range []string{sgKey, plain} {
		r := New(secret)
		for _, p := range []string{secret, "Bearer " + secret, "user:" + secret} {
			h := hex.EncodeToString([]byte(p))
			assertRedacted(t, r, secret, "hex lower", h)
			assertRedacted(t, r, secret, "hex upper", strings.ToUpper(h))
			assertRedacted(t, r, secret, "hex 0x", "0x"+h)
		}
	}
}

// escapeEvery spells every byte of s with f.
func escapeEvery(s string, f func(byte) string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(f(s[i]))
	}
	return b.String()
}

func TestRedactsHTMLEntities(t *testing.T) {
	named := map[byte]string{'.': "&period;", '_': "&lowbar;", '+': "&plus;", '/': "&sol;", '=': "&equals;", '-': "&#45;"}
	for _, secret := range []string{sgKey, plain} {
		r := New(secret)
		forms := map[string]string{
			"decimal":       escapeEvery(secret, func(c byte) string { return fmt.Sprintf("&#%d;", c) }),
			"hex":           escapeEvery(secret, func(c byte) string { return fmt.Sprintf("&#x%X;", c) }),
			"hex lower":     escapeEvery(secret, func(c byte) string { return fmt.Sprintf("&#x%x;", c) }),
			"no semicolons": escapeEvery(secret, func(c byte) string { return fmt.Sprintf("&#%d", c) }),
			"first only":    fmt.Sprintf("&#%d;", secret[0]) + secret[1:],
			"named punct": escapeEvery(secret, func(c byte) string {
				if n, ok := named[c]; ok {
					return n
				}
				return string(c)
			}),
		}
		for name, f := range forms {
			assertRedacted(t, r, secret, "html "+name, f)
		}
	}
}

func TestRedactsURLAndJSONEscapes(t *testing.T) {
	for _, secret := range []string{sgKey, plain} {
		r := New(secret)
		forms := map[string]string{
			"percent every byte":  escapeEvery(secret, func(c byte) string { return fmt.Sprintf("%%%02X", c) }),
			"percent lower":       escapeEvery(secret, func(c byte) string { return fmt.Sprintf("%%%02x", c) }),
			"percent twice":       escapeEvery(secret, func(c byte) string { return fmt.Sprintf("%%25%02X", c) }),
			"json \\u every byte": escapeEvery(secret, func(c byte) string { return fmt.Sprintf(`\u%04x`, c) }),
			"json \\u upper":      escapeEvery(secret, func(c byte) string { return fmt.Sprintf(`\u%04X`, c) }),
			"json \\/":            strings.ReplaceAll(secret, "/", `\/`) + "\\/",
			"\\x every byte":      escapeEvery(secret, func(c byte) string { return fmt.Sprintf(`\x%02x`, c) }),
			"base64 then percent": strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(base64.StdEncoding.EncodeToString([]byte("u:" + secret))),
		}
		for name, f := range forms {
			assertRedacted(t, r, secret, name, f)
		}
	}
}

func TestRedactsLongRunsOfALongSecret(t *testing.T) {
	r := New(sgKey, plain)
	for _, c := range []struct{ name, part string }{
		{"prefix of the secret segment", sgSecret[:12]},
		{"suffix", sgSecret[len(sgSecret)-12:]},
		{"middle", sgSecret[10:25]},
		{"key cut short", sgKey[:len(sgKey)-5]},
		{"key without its head", sgKey[8:]},
		{"plain prefix", plain[:12]},
		{"plain suffix", plain[len(plain)-13:]},
	} {
		got := r.String("echo: " + c.part + "!")
		if strings.Contains(got, c.part) || !strings.Contains(got, "[REDACTED:") {
			t.Errorf("%s: %q -> %q", c.name, c.part, got)
		}
		if !strings.HasPrefix(got, "echo: ") || !strings.HasSuffix(got, "!") {
			t.Errorf("%s: redacted too much: %q", c.name, got)
		}
	}
	// Eleven characters are not enough, and a short secret is matched whole only.
	short := "shortpass12345"
	r2 := New(sgKey, short)
	for _, s := range []string{sgSecret[:11], sgSecret[20:31], short[:12], "id " + sgID + " is public"} {
		if got := r2.String(s); got != s {
			t.Errorf("%q redacted to %q", s, got)
		}
	}
	// The partial run is caught in encodings too.
	assertRedacted(t, r, sgKey, "base64 of a suffix", base64.StdEncoding.EncodeToString([]byte("x:"+sgSecret[20:])))
}

func TestUnregisteredShapesOfEveryKindRedacted(t *testing.T) {
	r := New()
	for _, k := range []string{
		"ghp_" + strings.Repeat("A1b2", 9),
		"github_pat_11ABCDEFG0" + strings.Repeat("x", 60),
		"gho_" + strings.Repeat("Z9", 18),
		"xoxe.xoxp-1-" + strings.Repeat("Mi0", 10),
		"xoxp-1234567890-abcdefghij",
		"SG." + strings.Repeat("a", 22) + "." + strings.Repeat("b", 43),
	} {
		for _, form := range []string{k, base64.StdEncoding.EncodeToString([]byte("Bearer " + k)), hex.EncodeToString([]byte(k))} {
			if got := r.String("t=" + form); strings.Contains(got, form) {
				t.Errorf("%.12s…: %q survived", k, got)
			}
		}
	}
}

func TestLooksLikeKey(t *testing.T) {
	yes := []string{
		"SG.abcdefghij", "INC-SG.abcdefghijklmnopqrstuv.xyz", "SG." + strings.Repeat("a", 22) + "." + strings.Repeat("b", 38),
		"ghp_abcdefgh", "github_pat_11AAAA", "gho_abcdefgh", "ghu_abcdefgh", "ghr_abcdefgh", "ghs_abcdefgh",
		"xoxb-1234567", "xoxp-1234567", "xoxe.xoxp-1-abc", "xoxe-1-abcdef", "xapp-1-A111-2222",
	}
	no := []string{"", "INC-42", "SG.1", "sg-team", "ghp_1", "xoxb", "DRILL-spam-burst", "AbCdEfGhIjKlMnOpQrStUv", "github"}
	for _, s := range yes {
		if !LooksLikeKey(s) {
			t.Errorf("LooksLikeKey(%q) = false", s)
		}
	}
	for _, s := range no {
		if LooksLikeKey(s) {
			t.Errorf("LooksLikeKey(%q) = true", s)
		}
	}
}

func TestOrdinaryTextUntouched(t *testing.T) {
	r := New(sgKey, plain, "xoxb-1111111111-2222222222-CANARYbotTOKEN")
	for _, s := range []string{
		`{"result":[{"api_key_id":"` + sgID + `","name":"prod mailer","scopes":["mail.send","alerts.read"]}]}`,
		"GET /v3/api_keys/" + sgID + "?limit=100&offset=0 HTTP/1.1\r\nAuthorization: Bearer [REDACTED:1234abcd]\r\n",
		"Tm90IGEgc2VjcmV0IGF0IGFsbCwganVzdCBiYXNlNjQ=", // base64 of ordinary text
		"deadbeefcafe42f00d1e5ba5eba11c0ffee13371",
		"&amp; &lt;b&gt; %20 \\u0041 \\n",
	} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

func TestWriterCatchesEncodedSecretSplitAcrossWrites(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(New(plain), &out)
	form := base64.StdEncoding.EncodeToString([]byte("user:" + plain))
	for i := 0; i < len(form); i += 5 {
		w.Write([]byte(form[i:min(i+5, len(form))]))
	}
	w.Write([]byte("\n"))
	w.Flush()
	if strings.Contains(out.String(), form) || !strings.Contains(out.String(), Token(plain)) {
		t.Fatalf("got %q", out.String())
	}
}

// evidence is a realistic HTTP exchange record: JSON with escapes, ids,
// base64-looking words and URLs, none of them secret.
func evidence(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"seq":%d,"method":"GET","url":"https://api.sendgrid.com/v3/messages?limit=1000&query=api_key_id%%3D%%22%s%%22","status":200,"headers":{"Content-Type":"application/json","X-Request-Id":"%x"},"body":"{\"messages\":[{\"msg_id\":\"Xk3b9QZ8TtqAbCdEfGhIjK.filterdrecv-%d\",\"subject\":\"Reset your password &amp; more\",\"to_email\":\"victim%d@example.net\"}]}"}`+"\n", i, sgID, i*7919, i, i)
	}
	return b.String()
}

func benchRedact(b *testing.B, r *Redactor) {
	text := evidence(64 << 10)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if r.String(text) != text {
			b.Fatal("ordinary evidence changed")
		}
	}
}

// BenchmarkRedactEvidence is the hot path: 64 KiB of evidence, four secrets.
func BenchmarkRedactEvidence(b *testing.B) {
	benchRedact(b, New(sgKey, plain, "xoxb-1111111111-2222222222-CANARYbotTOKEN", "CANARY-webhook-signing-secret-0123456789"))
}

// BenchmarkRedactNoSecrets is a redactor with nothing registered (shapes only).
func BenchmarkRedactNoSecrets(b *testing.B) { benchRedact(b, New()) }

func TestWriterHoldsBackBoundedAmount(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(New(plain), &out)
	chunk := strings.Repeat("word ", 1000)
	for range 200 { // 1 MB without a newline
		w.Write([]byte(chunk))
	}
	w.Write([]byte(base64.StdEncoding.EncodeToString([]byte("u:" + plain))))
	if len(w.buf) > maxHold {
		t.Fatalf("holding back %d bytes", len(w.buf))
	}
	w.Flush()
	if strings.Contains(out.String(), plain) || !strings.Contains(out.String(), Token(plain)) || out.Len() < 1000000 {
		t.Fatalf("bad output (%d bytes)", out.Len())
	}
}

func TestAddShapesRegistersTheKeyWordOnly(t *testing.T) {
	r := New()
	cut := sgKey[:50]
	r.AddShapes("alice " + cut + " on call")
	if got := r.String("op alice " + cut); got != "op alice "+Token(cut) {
		t.Fatalf("got %q", got)
	}
	// From now on a run of it is redacted wherever it appears.
	if got := r.String("x" + sgSecret[:14]); strings.Contains(got, sgSecret[:14]) {
		t.Fatalf("got %q", got)
	}
}
