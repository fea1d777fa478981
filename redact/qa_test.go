package redact

import "encoding/base64"
import "encoding/hex"
import "encoding/json"
import "fmt"
import "strings"
import "testing"

// Found by the issue-11 check: forms an encoded body takes in real evidence.

// mimeLines breaks s into lines of n characters, as MIME (76) and PEM (64)
// do, with the line break sep.
func mimeLines(s string, n int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		b.WriteString(s[i:min(i+n, len(s))])
		b.WriteString(sep)
	}
	return b.String()
}

// A secret cut by a line break of a base64 body: with 20 characters, a cut
// can leave fewer than Gram on both sides, so neither line alone matches.
func TestRedactsLineBrokenBase64(t *testing.T) {
	for _, secret := range []string{"abcdefghij0123456789", "short-pw9", plain, sgKey} {
		r := New(secret)
		for ul := 0; ul < 80; ul++ {
			p := strings.Repeat("u", ul) + ":" + secret
			enc := base64.StdEncoding.EncodeToString([]byte(p))
			for _, lb := range []struct {
				n   int
				sep string
			}{{76, "\r\n"}, {76, "\n"}, {64, "\n"}, {76, `\r\n`}, {76, `\n`}} {
				form := mimeLines(enc, lb.n, lb.sep)
				for _, text := range []string{form, "Content-Transfer-Encoding: base64\n\n" + form + "--b--", `{"body":"` + form + `"}`} {
					got := r.String(text)
					if !strings.Contains(got, Token(secret)) {
						t.Fatalf("%q user %d lines %d %q: not redacted: %q", secret[:6], ul, lb.n, lb.sep, got)
					}
				}
			}
		}
	}
}

// A MIME part stored as a JSON string (evidence of a mail send): its lines
// are separated by JSON-escaped CRLFs, and the first starts right after one.
func TestRedactsLineBrokenBase64InAJSONString(t *testing.T) {
	for _, secret := range []string{"abcdefghij0123456789", "short-pw9", plain} {
		r := New(secret)
		for ul := 0; ul < 80; ul++ {
			enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("u", ul) + ":" + secret))
			part := "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mimeLines(enc, 76, "\r\n")
			doc, _ := json.Marshal(map[string]string{"content": part})
			if got := r.String(string(doc)); !strings.Contains(got, Token(secret)) {
				t.Fatalf("%s user %d: %s", secret, ul, got)
			}
		}
	}
}

// Encodings of encodings: a client that base64s a token an API already
// returned base64'd, or a log that hex-dumps a header.
func TestRedactsEncodingOfAnEncoding(t *testing.T) {
	for _, secret := range []string{sgKey, plain, "short-pw9"} {
		r := New(secret)
		b64 := base64.StdEncoding.EncodeToString([]byte("user:" + secret))
		for name, form := range map[string]string{
			"b64(b64)":       base64.StdEncoding.EncodeToString([]byte(b64)),
			"hex(b64)":       hex.EncodeToString([]byte(b64)),
			"b64(hex)":       base64.RawURLEncoding.EncodeToString([]byte(hex.EncodeToString([]byte(secret)))),
			"b64(json)":      base64.StdEncoding.EncodeToString([]byte(`{"key":"` + secret + `"}`)),
			"b64(Basic b64)": base64.StdEncoding.EncodeToString([]byte("Authorization: Basic " + b64)),
		} {
			assertRedacted(t, r, secret, name, form)
		}
	}
	// Unregistered shapes too.
	r := New()
	key := "ghp_" + strings.Repeat("Ab1", 12)
	assertRedacted(t, r, key, "b64(b64) of a shape", base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte(key)))))
}

// A key pasted into a field with text around it is registered as the whole
// word (AddShapes); its SG.<id>. part stays public, as for the key itself.
func TestKeyIDStaysVisibleWhenAKeyIsRegisteredWithText(t *testing.T) {
	r := New(sgKey)
	for _, f := range []string{"operator=alice:" + sgKey, "note: key=" + sgKey + ",", "x" + sgKey + sgKey, `{text: "` + sgKey + `"}`} {
		r.AddShapes(f)
	}
	for _, text := range []string{"key id " + sgID, "SG." + sgID + ".", "key SG." + sgID, fmt.Sprintf("[%s]", sgID), `{"id":"SG.` + sgID + `"}`, `text: "SG.` + sgID + `.`} {
		if got := r.String(text); got != text {
			t.Errorf("key id hidden: %q -> %q", text, got)
		}
	}
	// The secret part is still caught, after its id or alone.
	for _, text := range []string{"SG." + sgID + "." + sgSecret[:12], sgSecret[10:22], "alice:" + sgKey} {
		if got := r.String(text); !strings.Contains(got, "[REDACTED:") {
			t.Errorf("not redacted: %q", text)
		}
	}
}

// Ordinary text broken into lines is not joined into one base64 run and
// redacted; hashes stay readable.
func TestLineJoiningLeavesTextAlone(t *testing.T) {
	r := New(sgKey, plain, "abcdefghij0123456789")
	for _, text := range []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nda39a3ee5e6b4b0d3255bfef95601890afd80709\n",
		"abcdefghijklmnop\nqrstuvwxyz012345\n",
		mimeLines(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("ordinary text, no secret. ", 20))), 76, "\r\n"),
	} {
		if got := r.String(text); got != text {
			t.Errorf("changed: %q -> %q", text, got)
		}
	}
}

// A registered value whose every Gram window lies in or before a key id (a
// key cut a few characters after its id, quoted in a message) is matched
// whole: AddShapes of an error message must still hide it.
func TestKeyCutJustAfterItsIDMatchedWhole(t *testing.T) {
	for _, msg := range []string{
		`unknown action "core.nope` + sgKey[:31] + `…"`,
		`--incident ` + sgKey[:30],
		`key ` + sgKey[:27],
	} {
		r := New()
		r.AddShapes(msg)
		if got := r.String(msg); strings.Contains(got, sgKey[:27]) {
			t.Errorf("%q -> %q", msg, got)
		}
	}
}

// BenchmarkRedact10MB: evidence bodies of 10 MB (JSON, the same as a MIME
// base64 body, short lines) must take well under a second each.
func BenchmarkRedact10MB(b *testing.B) {
	r := New(sgKey, plain, "xoxb-1111111111-2222222222-CANARYbotTOKEN", "short-pw9")
	for _, c := range []struct{ name, text string }{
		{"json", evidence(10 << 20)},
		{"mime-base64", mimeLines(base64.StdEncoding.EncodeToString([]byte(evidence(7<<20))), 76, "\r\n")},
		{"short-lines", strings.Repeat("abcdefghijklmnopqrst\n", 10<<20/21)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				r.String(c.text)
			}
		})
	}
}

// A base64 body written through the Writer a line at a time (an encoder's
// line writer): a secret cut by a line break is still caught.
func TestWriterJoinsBase64WrittenLineByLine(t *testing.T) {
	for _, secret := range []string{"abcdefghij0123456789", "short-pw9"} {
		r := New(secret)
		for ul := 0; ul < 60; ul++ {
			enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("u", ul) + ":" + secret))
			var out strings.Builder
			w := NewWriter(r, &out)
			w.Write([]byte("Content-Transfer-Encoding: base64\r\n\r\n"))
			for i := 0; i < len(enc); i += 76 {
				w.Write([]byte(enc[i:min(i+76, len(enc))] + "\r\n"))
			}
			w.Write([]byte("--boundary--\r\n"))
			w.Flush()
			if !strings.Contains(out.String(), Token(secret)) {
				t.Fatalf("%s user %d: %q", secret, ul, out.String())
			}
		}
	}
}

// Every run of Gram characters of a SendGrid key that holds a byte of its
// secret segment is redacted, the runs that straddle the id's dot included;
// the runs inside "SG.<id>." are public.
func TestEveryGramOfAKeyPastItsID(t *testing.T) {
	r := New(sgKey)
	for i := 0; i+Gram <= len(sgKey); i++ {
		run := sgKey[i : i+Gram]
		got := r.String("echo " + run + " end")
		public := i+Gram <= 26
		if public && got != "echo "+run+" end" {
			t.Errorf("public run %q redacted: %q", run, got)
		}
		if !public && strings.Contains(got, run) {
			t.Errorf("run %q at %d not redacted", run, i)
		}
	}
}

// A body whose every character is a JSON \u escape, stored as a JSON string
// (evidence), and that record stored as a JSON string again (a report):
// the escaped backslashes hide the escapes one and two levels down.
func TestRedactsJSONEscapesInsideJSONStrings(t *testing.T) {
	for _, s := range []string{sgKey, plain, "short-pw9"} {
		r := New(s)
		inner := `{"k":"` + escapeEvery(s, func(c byte) string { return fmt.Sprintf("\\u%04x", c) }) + `"}`
		once, _ := json.Marshal(map[string]string{"body": inner})
		twice, _ := json.Marshal(map[string]string{"record": string(once)})
		for _, x := range []string{inner, string(once), string(twice)} {
			if got := r.String(x); !strings.Contains(got, Token(s)) {
				t.Errorf("not redacted: %s -> %s", x, got)
			}
		}
	}
}

// Hex dumps: bytes printed as groups separated by spaces or colons.
func TestRedactsHexDumps(t *testing.T) {
	for _, secret := range []string{sgKey, plain, "short-pw9"} {
		r := New(secret)
		h := hex.EncodeToString([]byte("Authorization: Bearer " + secret))
		var pairs, quads []string
		for i := 0; i < len(h); i += 2 {
			pairs = append(pairs, h[i:i+2])
		}
		for i := 0; i < len(h); i += 4 {
			quads = append(quads, h[i:min(i+4, len(h))])
		}
		for name, form := range map[string]string{
			"spaced":      strings.Join(pairs, " "),
			"colons":      strings.ToUpper(strings.Join(pairs, ":")),
			"xxd groups":  strings.Join(quads, " "),
			"spaced lone": strings.Join(pairs[len(pairs)-len(secret):], " "),
		} {
			assertRedacted(t, r, secret, name, form)
		}
	}
	// Hex broken into lines, as xxd -p prints it (60 digits a line).
	for _, secret := range []string{"abcdefghij0123456789", "short-pw9", sgKey} {
		r := New(secret)
		for pre := 0; pre < 40; pre++ {
			h := hex.EncodeToString([]byte(strings.Repeat("x", pre) + secret))
			if form := mimeLines(h, 60, "\n"); !strings.Contains(r.String(form), Token(secret)) {
				t.Errorf("xxd -p, %d bytes before: %q", pre, form)
			}
		}
	}
	// Ordinary text with short hex-looking words is left alone.
	r := New(sgKey, plain)
	for _, text := range []string{"ab cd ef 12 34 56 78 90 de ad be ef ca fe ba be", "aa:bb:cc:dd:ee:ff 00:11:22:33:44:55", "add a bad bead to cafe 12 ab"} {
		if got := r.String(text); got != text {
			t.Errorf("%q -> %q", text, got)
		}
	}
}
