package redact

import "encoding/base64"
import "encoding/json"
import "strings"
import "testing"

// cleanPair is a Clean value as the transport builds one: each text
// redacted alone, the proof kept.
type cleanPair struct {
	A, B  string
	proof Proof
}

func (c cleanPair) RedactedBy() Proof { return c.proof }

func redactPair(r *Redactor, a, b string) cleanPair {
	ra, pa := r.Redact(a)
	rb, pb := r.Redact(b)
	return cleanPair{A: ra, B: rb, proof: pa.And(pb)}
}

// The surface pass still catches a secret the encoding itself spells:
// two texts, clean alone, joined by the quotes and the field name.
func TestJSONOfCleanValueCatchesWhatTheEncodingAdds(t *testing.T) {
	secret := `x1y2z3","B":"q9w8`
	r := New(secret)
	v := redactPair(r, "x1y2z3", "q9w8v7")
	if v.A != "x1y2z3" || v.B != "q9w8v7" {
		t.Fatalf("the texts alone hold no secret, got %+v", v)
	}
	got, err := r.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), secret) || !strings.Contains(string(got), Token(secret)) {
		t.Fatalf("secret spelt by the encoding survived: %s", got)
	}
}

// A secret registered after the texts were redacted is caught in every
// form: the proof no longer holds, so the full pass runs.
func TestJSONOfCleanValueRedactsInFullAfterANewSecret(t *testing.T) {
	r := New("first-secret-value")
	late := "late-registered-secret-42"
	enc := base64.StdEncoding.EncodeToString([]byte("Bearer " + late))
	v := redactPair(r, "header "+enc, "body")
	if !v.RedactedBy().holds(r) {
		t.Fatal("fresh proof does not hold")
	}
	r.Add(late)
	if v.RedactedBy().holds(r) {
		t.Fatal("proof still holds after a new secret")
	}
	got, err := r.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), enc) || !strings.Contains(string(got), Token(late)) {
		t.Fatalf("base64 of a late secret survived: %s", got)
	}
}

// A proof from another redactor, or texts from two, proves nothing.
func TestProofOfAnotherRedactorProvesNothing(t *testing.T) {
	secret := "the-only-secret-here-0"
	enc := base64.StdEncoding.EncodeToString([]byte(secret))
	r, other := New(secret), New("something-else-entirely")
	a, pa := other.Redact(enc)
	v := cleanPair{A: a, B: "b", proof: pa}
	got, err := r.JSON(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), enc) {
		t.Fatalf("base64 of the secret survived under another redactor's proof: %s", got)
	}
	_, pb := r.Redact("x")
	if (pa.And(pb) != Proof{}) || (Proof{}.And(pb) != Proof{}) {
		t.Fatal("proofs of two redactors combined")
	}
}

// For texts holding the secret in every form the redactor knows, the
// surface pass over the clean value's encoding gives exactly what the full
// pass gives.
func TestJSONOfCleanValueEqualsTheFullPass(t *testing.T) {
	r := New(sgKey, plain)
	var forms []string
	for _, s := range []string{sgKey, plain} {
		for _, e := range b64encs {
			forms = append(forms, e.enc.EncodeToString([]byte("apikey:"+s)))
		}
		forms = append(forms, s, s[:len(s)-3], escapeEvery(s, func(c byte) string {
			return "%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15]))
		}))
		j, _ := json.Marshal(map[string]string{"k": s})
		forms = append(forms, string(j), `<a href="x?k=`+s+`">`)
	}
	for _, f := range forms {
		v := redactPair(r, "before "+f+" after", `{"nested":"`+f+`"}`)
		fast, err := r.JSON(v)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(v)
		if full := r.Bytes(raw); string(fast) != string(full) {
			t.Errorf("form %q: surface pass\n%s\nfull pass\n%s", f, fast, full)
		}
		if r.Contains(string(fast)) {
			t.Errorf("form %q: the result still holds a secret: %s", f, fast)
		}
	}
}

// BenchmarkEvidenceJSON: an Email Activity answer's size of exchange
// record, redacted in full, redacted on the surface as a proven-clean
// value, and the floor: json.Marshal alone.
func BenchmarkEvidenceJSON(b *testing.B) {
	r := New(sgKey, plain)
	body := evidence(75 << 10) // an Email Activity answer's size
	v := redactPair(r, "https://api.example.com/v3/messages?limit=1000", body)
	b.Run("full", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for range b.N {
			raw, _ := json.Marshal(v)
			r.Bytes(raw)
		}
	})
	b.Run("proven", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for range b.N {
			r.JSON(v)
		}
	})
	b.Run("floor-marshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for range b.N {
			json.Marshal(v)
		}
	})
}

// FuzzJSONOfCleanValue: whatever the two texts and the secret (quotes,
// backslashes, escapes that JSON adds), the surface pass over a clean
// value's encoding leaves no registered secret in clear.
func FuzzJSONOfCleanValue(f *testing.F) {
	f.Add(`x1y2z3","B":"q9w8`, "x1y2z3", "q9w8v7")
	f.Add(`ab\"cdef`, `ab"cdef`, "")
	f.Add(`u003cdefghi`, "<defghi", "x")
	f.Add(plain, "before "+plain, `{"k":"`+plain+`"}`)
	f.Fuzz(func(t *testing.T, secret, a, b string) {
		r := New(secret)
		got, err := r.JSON(redactPair(r, a, b))
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.TrimSpace(secret); len(s) >= MinLength && strings.Contains(string(got), s) {
			t.Fatalf("secret %q in clear: %s", s, got)
		}
	})
}

// RecordAppend gives Record's text, validity and error, whatever dst
// holds, and leaves dst's own bytes as they were.
func TestRecordAppendIsRecordInDst(t *testing.T) {
	secret := "SG.recordAppendSecret0123456789abcdef"
	r := New(secret)
	for _, v := range []any{
		map[string]string{"a": "nothing here"},
		map[string]string{"a": "key " + secret},         // rewritten by the full pass
		redactPair(r, "x", "y"),                         // the surface pass
		redactPair(r, "x"+secret[:20], secret[20:]+"y"), // the surface pass rewrites it
		func() {}, // json.Marshal refuses it
	} {
		want, werr := r.Record(v)
		for _, dst := range [][]byte{nil, make([]byte, 0, 4), []byte("prefix"), make([]byte, 3, 1<<12)} {
			pre := string(dst)
			got, err := r.RecordAppend(dst, v)
			if (err == nil) != (werr == nil) || string(got.Bytes()) != string(want.Bytes()) || got.Valid() != want.Valid() {
				t.Errorf("RecordAppend(%q, %T) = %q, %v, %v; Record = %q, %v, %v", pre, v, got.Bytes(), got.Valid(), err, want.Bytes(), want.Valid(), werr)
			}
			if string(dst) != pre {
				t.Errorf("RecordAppend changed dst's bytes %q to %q", pre, dst)
			}
		}
	}
}
