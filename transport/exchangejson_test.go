package transport

import "bytes"
import "encoding/json"
import "math"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// awkward are texts encoding/json escapes or replaces: HTML characters,
// quotes and backslashes, every control byte, DEL, U+2028 and U+2029,
// invalid and truncated UTF-8, surrogate halves encoded in UTF-8, and
// multi-byte runes next to the escapes, at every offset of a word.
var awkward = []string{
	"", "a", "<", ">", "&", `"`, `\`, "\x7f", "\u2028", "\u2029", "\u2027\u202a",
	"\xff", "\xfe\xff", "\xe2\x80", "\xe2\x80\xa8x", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"é<b>ü&\"\\", "日本語\t\n\r\b\f", "0123456<", "01234567<", "012345678<", "abcdefgh\xff",
	"https://api.example.net/v3/messages?query=last_event_time%20BETWEEN%20TIMESTAMP%20%222026%22&limit=1000",
	`{"messages":[{"msg_id":"m1","subject":"s \"q\" \\ <x>"}]}`,
}

func controls() string {
	var b strings.Builder
	for c := 0; c < 0x20; c++ {
		b.WriteString("ab")
		b.WriteByte(byte(c))
	}
	return b.String()
}

func marshalled(t testing.TB, e Exchange) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func appended(t testing.TB, e Exchange) string {
	t.Helper()
	b, err := e.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestExchangeJSONEqualsMarshal: AppendJSON writes json.Marshal's bytes for
// exchanges with every field set and none, texts encoding/json escapes,
// durations in both float forms, times in several zones and precisions,
// header maps of many keys, and a 200 KB body; and for what it hands to
// json.Marshal (a year past 9999, a NaN duration) the same error.
func TestExchangeJSONEqualsMarshal(t *testing.T) {
	tm := time.Date(2026, 12, 2, 5, 6, 7, 123456789, time.UTC)
	big := strings.Repeat(`{"msg_id":"m0000001","to_email":"user000001@example.net","subject":"subject <1> & \"2\"","status":"delivered"},`, 2000) + "\u2028\xff"
	heads := map[string]string{}
	for _, s := range awkward {
		heads["X-"+s] = s
	}
	cases := []Exchange{
		{},
		{Time: tm, Method: "GET", URL: "https://api.sendgrid.example/v3/messages?limit=1000", DurationMS: 12.345},
		{Time: tm.In(time.FixedZone("x", 3600+30*60)), Method: "DELETE", URL: "https://h/x", ReqHeaders: map[string]string{"Authorization": "[REDACTED]", "Accept": "application/json"},
			ReqBody: `{"a":1}`, Status: 204, RespHeads: map[string]string{"Content-Type": "application/json"}, RespBody: "", Truncated: true, DurationMS: 0, Error: "boom <x>", Refused: true},
		{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), RespBody: big, Status: 200, DurationMS: 1e21},
		{Time: time.Date(1, 1, 1, 0, 0, 0, 1000, time.FixedZone("y", -7*3600)), DurationMS: 1e-7, ReqHeaders: heads, RespHeads: heads},
		{Time: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), DurationMS: -3.5e-9, Status: -1},
		{Time: tm, DurationMS: math.Copysign(0, -1), Error: controls(), RespBody: controls()},
		{Time: tm, DurationMS: 123456789.125, Status: 599, ReqHeaders: map[string]string{}, RespHeads: nil},
	}
	for _, s := range awkward {
		cases = append(cases, Exchange{Time: tm, Method: s, URL: s, ReqBody: s, RespBody: s + s, Error: s, DurationMS: 0.001})
	}
	for i, e := range cases {
		if got, want := appended(t, e), marshalled(t, e); got != want {
			t.Errorf("case %d:\n got %q\nwant %q", i, trim(got), trim(want))
		}
	}
	// Appended to what is already there, not over it.
	if b, _ := cases[1].AppendJSON([]byte("x")); string(b) != "x"+marshalled(t, cases[1]) {
		t.Errorf("AppendJSON(x) = %q", b)
	}
	for _, e := range []Exchange{{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, {Time: tm, DurationMS: math.NaN()}, {Time: tm, DurationMS: math.Inf(-1)}} {
		_, werr := json.Marshal(e)
		_, gerr := e.AppendJSON(nil)
		if werr == nil || gerr == nil || gerr.Error() != werr.Error() {
			t.Errorf("%v: error %v, json.Marshal's %v", e.Time, gerr, werr)
		}
	}
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:150] + "…" + s[len(s)-150:]
	}
	return s
}

// TestExchangeRecordBytesUnchanged: the evidence of an exchange (what
// Record gives the evidence writer) is what it was when Record called
// json.Marshal: the encoding, then the surface pass for an exchange the
// guard redacted, the full pass for one it did not; Valid as before.
func TestExchangeRecordBytesUnchanged(t *testing.T) {
	const secret = "record-CANARY-secret-0123456789"
	red := redact.New(secret)
	tm := time.Date(2026, 12, 2, 5, 6, 7, 0, time.UTC)
	for i, e := range []Exchange{
		{Time: tm, Method: "GET", URL: "https://h/v3/messages", RespBody: strings.Repeat(`{"a":"<b>"},`, 5000), Status: 200, DurationMS: 3.25},
		{Time: tm, Method: "GET", URL: "https://h/?k=" + secret, RespBody: secret, Status: 200}, // not redacted by a guard: the full pass
	} {
		tx := newTexts(red)
		if i == 0 {
			e.Method, e.URL, e.RespBody = tx.str(e.Method), tx.str(e.URL), tx.str(e.RespBody)
			e.proof = tx.proof
		}
		got, err := red.Record(e)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := json.Marshal(e)
		want := red.Surface(plain)
		if i == 1 {
			want = red.Bytes(plain)
		}
		if !bytes.Equal(got.Bytes(), want) || got.Valid() != bytes.Equal(want, plain) {
			t.Errorf("case %d: Record %q (valid %v), want %q", i, trim(string(got.Bytes())), got.Valid(), trim(string(want)))
		}
		if strings.Contains(string(got.Bytes()), secret) {
			t.Errorf("case %d: the secret is in the record", i)
		}
	}
}

// FuzzExchangeJSONEqualsMarshal: for any texts, headers, status, duration
// and time, AppendJSON writes json.Marshal's bytes or fails as it fails.
func FuzzExchangeJSONEqualsMarshal(f *testing.F) {
	for _, s := range append(awkward, controls()) {
		f.Add(s, s, "k", s, 200, 1.5, int64(1764651967123456789), 0, true)
	}
	f.Add("GET", "https://h/", "\xff", "", 0, 1e-7, int64(-62135596800), 3600, false)
	f.Add("", "", "", "", -1, 1e21, int64(253402300800), -60, false)
	// Keys that json.Marshal writes alike (invalid UTF-8 and U+FFFD itself):
	// their order is still that of their bytes.
	f.Add("m", "b", "\xff", "\uFFFD", 200, 2.0, int64(0), 0, true)
	f.Add("\uFFFD", "b", "\xff", "\xfe", 200, 2.0, int64(0), 0, true)
	f.Fuzz(func(t *testing.T, method, body, key, value string, status int, dur float64, unixNano int64, zone int, flag bool) {
		tm := time.Unix(unixNano/1e9, unixNano%1e9).In(time.FixedZone("z", zone%(24*3600)))
		e := Exchange{Time: tm, Method: method, URL: value + key, ReqBody: key, Status: status, RespBody: body,
			DurationMS: dur, Error: value, Truncated: flag, Refused: !flag}
		if flag {
			e.ReqHeaders = map[string]string{key: value, value: body, "Accept": method}
			e.RespHeads = map[string]string{body: key, "": value}
		}
		want, werr := json.Marshal(e)
		got, gerr := e.AppendJSON(nil)
		if (werr != nil) != (gerr != nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("error %v, json.Marshal's %v", gerr, werr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("\n got %q\nwant %q", got, want)
		}
	})
}

// TestWordTestsMatchTheByteRules: for every byte at every place of a word
// (among plain bytes, and next to each other special byte), rare marks a
// word exactly when a byte needs an escape other than a backslash before
// it, and exactZero marks exactly the quotes and backslashes.
func TestWordTestsMatchTheByteRules(t *testing.T) {
	isRare := func(c byte) bool { return c >= 0x80 || c < 0x20 || c == '<' || c == '>' || c == '&' }
	for fill := range 256 {
		for c := range 256 {
			for p := range 8 {
				var w [8]byte
				for k := range w {
					w[k] = byte(fill)
				}
				w[p] = byte(c)
				x := word(string(w[:]), 0)
				want := false
				var quotes uint64
				for k, b := range w {
					want = want || isRare(b)
					if b == '"' || b == '\\' {
						quotes |= 0x80 << (8 * k)
					}
				}
				if got := rare(x) != 0; got != want {
					t.Fatalf("rare(%q) = %v", w, got)
				}
				if got := exactZero(x^'"'*ones) | exactZero(x^'\\'*ones); got != quotes {
					t.Fatalf("quotes of %q: %x, want %x", w, got, quotes)
				}
			}
		}
	}
}
