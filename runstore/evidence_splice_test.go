package runstore

import "encoding/json"
import "math"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// oldLine is how Write encoded every record before the splice: the
// redacted encoding as a json.RawMessage, validated and re-encoded by
// json.Marshal.
func oldLine(t *testing.T, rec evidenceRecord, raw []byte) string {
	t.Helper()
	rec.Data = json.RawMessage(raw)
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// The spliced line of a redact.JSONText is byte for byte what json.Marshal
// made of it as a json.RawMessage, for texts encoding/json escapes (HTML
// characters, U+2028, invalid UTF-8, control bytes, quotes, backslashes),
// numbers, nesting, a kind that needs escaping and a large body; and a
// JSONText a redaction changed (not Valid) takes the old path.
func TestEvidenceSpliceEqualsMarshal(t *testing.T) {
	const secret = "splice-CANARY-secret-0123456789"
	red := redact.New(secret)
	big := strings.Repeat(`{"msg_id":"m1","to_email":"a<b>&c@example.net","subject":"s \"q\" \\ \u2028"},`, 3000)
	values := []any{
		map[string]any{"url": "https://x/v3/messages?q=a%20b", "status": 200, "body": big},
		map[string]any{"bad": "\xff\xfe ok \x00 \t \u2029", "n": 1.5e300, "neg": math.Copysign(0, -1), "nested": []any{nil, true, map[string]any{"": ""}}},
		[]string{"<script>", "&amp;", "</tag>"},
		"just a string",
		42,
		nil,
		map[string]any{"echo": secret}, // redacted: not Valid
	}
	tm := time.Date(2026, 12, 2, 5, 6, 7, 123456789, time.FixedZone("x", 3600))
	for i, v := range values {
		text, err := red.Record(v)
		if err != nil {
			t.Fatal(err)
		}
		if wantValid := i != len(values)-1; text.Valid() != wantValid {
			t.Fatalf("value %d: Valid %v, want %v", i, text.Valid(), wantValid)
		}
		for _, kind := range []string{"http", `k<"\>&`} {
			rec := evidenceRecord{N: i + 1, Time: tm, Kind: kind, Data: text}
			got, err := encodeRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			if want := oldLine(t, rec, text.Bytes()); string(got) != want {
				t.Fatalf("value %d kind %q:\n got %.300q\nwant %.300q", i, kind, got, want)
			}
			if !json.Valid(got) {
				t.Fatalf("value %d: line is not JSON: %.300q", i, got)
			}
			if strings.Contains(string(got), secret) {
				t.Fatalf("value %d: the secret reached the line", i)
			}
		}
	}
}

// A redaction that cuts through the JSON syntax (a secret spelt across a
// quote and a comma) still fails the record, as json.Marshal of the
// RawMessage did: never a line that is not JSON.
func TestEvidenceRedactionThroughSyntaxStillRefused(t *testing.T) {
	const secret = `abcdefgh","b`
	red := redact.New(secret)
	text, err := red.Record(map[string]string{"a": "abcdefgh", "b": "ijk"})
	if err != nil {
		t.Fatal(err)
	}
	if text.Valid() || strings.Contains(string(text.Bytes()), secret) {
		t.Fatalf("Valid %v bytes %s", text.Valid(), text.Bytes())
	}
	s := newStore(t, testRun("live"))
	w, err := s.EvidenceFile(1, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if ref, err := w.Write("http", text); err == nil {
		t.Fatalf("a record that is not JSON was written: %s", ref)
	}
	if ref, err := w.Write("http", redact.JSONText{}); err != nil || ref != w.Name()+"#1" {
		t.Fatalf("zero JSONText: %q %v", ref, err)
	}
}
