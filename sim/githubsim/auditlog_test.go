package githubsim

import "strings"
import "testing"
import "time"

func TestParsePhrase(t *testing.T) {
	terms, err := ParsePhrase(`hashed_token:"a+b/c=" -action:git created:2026-11-13..2026-11-20 actor:devon`)
	if err != nil {
		t.Fatal(err)
	}
	if len(terms) != 4 || terms[0].Value != "a+b/c=" || !terms[1].Negate || terms[1].Key != "action" {
		t.Fatalf("%+v", terms)
	}
	c := terms[2]
	if !c.From.Equal(time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)) || !c.To.Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("range %v..%v", c.From, c.To)
	}
	e := AuditEvent{Action: "hook.create", Actor: "devon", HashedToken: "a+b/c=", At: time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC)}
	if !matches(e, terms) {
		t.Fatal("entry inside the range and of the token does not match")
	}
	e.Action = "git.clone"
	if matches(e, terms) {
		t.Fatal("-action:git does not exclude git.clone")
	}
	e.Action, e.At = "hook.create", time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	if matches(e, terms) {
		t.Fatal("the range's last day is inclusive, the next day is not")
	}
	ins, _ := ParsePhrase(`created:>2026-11-20T10:00:00Z created:<=2026-11-20T11:00:05+01:00`)
	for at, want := range map[string]bool{"2026-11-20T10:00:00Z": false, "2026-11-20T10:00:01Z": true, "2026-11-20T10:00:00.5Z": false} {
		tm, _ := time.Parse(time.RFC3339Nano, at)
		if got := matches(AuditEvent{At: tm}, ins); got != want {
			t.Errorf("%s: %v", at, got)
		}
	}
	if ts, _ := ParsePhrase(`operation:create`); matches(AuditEvent{Action: "x"}, ts) {
		t.Fatal("an unknown qualifier matched")
	}
	for _, bad := range []string{`hashed_token:"x`, `word`, `:x`, `created:`, `created:>=nope`, `a:"b"c`, strings.Repeat("a:b ", 300)} {
		if _, err := ParsePhrase(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzPhrase(f *testing.F) {
	for _, s := range []string{`hashed_token:"a+b/c=" created:>=2026-01-01`, `-action:git created:*..2026-01-01T00:00:00Z`,
		`created:2026-01-01..*`, `actor:"x y"`, `a:"`, `"`, `-`, `created:<=2026-13-01`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		terms, err := ParsePhrase(s)
		if err != nil {
			return
		}
		for _, tm := range terms {
			if tm.Key == "" || tm.Value == "" || strings.ContainsAny(tm.Key, ` :`) {
				t.Fatalf("term %+v from %q", tm, s)
			}
			if tm.Key == "created" && !tm.From.IsZero() && !tm.To.IsZero() && tm.To.Before(tm.From) {
				t.Fatalf("empty-inverted range %+v from %q", tm, s)
			}
		}
		_ = matches(AuditEvent{At: time.Unix(0, 0)}, terms)
	})
}

func FuzzCursor(f *testing.F) {
	f.Add(cursor(AuditEvent{At: time.Unix(1700000000, 0), DocumentID: "abc"}))
	f.Add("")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		ms, id, err := parseCursor(s)
		if err == nil && (id == "" || cursor(AuditEvent{At: time.UnixMilli(ms), DocumentID: id}) == "") {
			t.Fatalf("cursor %q → %d %q", s, ms, id)
		}
	})
}

// Each comparison qualifier bounds the search where its day starts or ends.
func TestCreatedComparisonBounds(t *testing.T) {
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	next := day.AddDate(0, 0, 1)
	for phrase, want := range map[string][2]time.Time{
		"created:>=2026-11-20": {day, {}},
		"created:>2026-11-20":  {next, {}},
		"created:<=2026-11-20": {{}, next},
		"created:<2026-11-20":  {{}, day},
		"created:2026-11-20":   {day, next},
	} {
		terms, err := ParsePhrase(phrase)
		if err != nil || len(terms) != 1 {
			t.Fatalf("%s: %v %v", phrase, terms, err)
		}
		if got := terms[0]; !got.From.Equal(want[0]) || !got.To.Equal(want[1]) {
			t.Errorf("%s: %v..%v, want %v..%v", phrase, got.From, got.To, want[0], want[1])
		}
	}
}
