package main

import "regexp"
import "strings"
import "testing"
import "time"
import "unicode/utf8"

func TestRenderTranscriptIsText(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	raw := "#keyir-drill (C0DRILL)\n" +
		"[1796146849.705298] U0KEYIRBOT (edited)\n" +
		"  :test_tube: *DRILL* — a _rehearsal_ with <https://example.com/r|the report> for <!channel>: `SG.x` at 10:04:05\n" +
		"    │ [1796146850.000100] U0KEYIRBOT\n" +
		"    │   *[DRILL]* *Progress:* 9 of 9 steps done; key _AbC_dEf stays; :large_orange_circle: *high* " + strings.Repeat("word ", 30) + "\n"
	got := renderTranscript(raw, 80, loc)
	at := func(sec int64) string { return time.Unix(sec, 0).In(loc).Format("15:04:05") }
	for _, want := range []string{
		"[" + at(1796146849) + "] U0KEYIRBOT (edited)",
		"🧪 DRILL — a rehearsal with the report (https://example.com/r) for @channel:",
		"    SG.x at 10:04:05",
		"    │ [" + at(1796146850) + "] U0KEYIRBOT",
		"[DRILL] Progress: 9 of 9 steps done; key _AbC_dEf stays; ● high word",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"1796146849", ":test_tube:", "*DRILL*", "<!channel>", ":large_orange_circle:"} {
		if strings.Contains(got, bad) {
			t.Errorf("still has %q:\n%s", bad, got)
		}
	}
	for _, line := range strings.Split(got, "\n") {
		if utf8.RuneCountInString(line) > 80 {
			t.Errorf("a line over 80 columns: %q", line)
		}
		if strings.Contains(raw, "    │") && strings.HasPrefix(line, "    │") == false && strings.Contains(line, "word word") {
			t.Errorf("a wrapped thread line lost its indent: %q", line)
		}
	}
}

// The drill's summary, scorecard and Slack transcript give one time to
// containment: one rounding rule.
func TestDrillTimeToContainmentAgrees(t *testing.T) {
	r := keyir(t, "", map[string]string{"COLUMNS": "200"}, "drill", "--scenario", "spam-burst", "--reports", t.TempDir())
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	summary := regexp.MustCompile(`\(time to containment (\S+?)\)`).FindAllStringSubmatch(r.stdout, -1)
	card := regexp.MustCompile(`│ time to containment │ (\S+)`).FindStringSubmatch(r.stdout)
	if len(summary) == 0 || card == nil {
		t.Fatalf("no time to containment found:\n%s", r.stdout)
	}
	for _, m := range summary {
		if m[1] != card[1] {
			t.Errorf("summary or transcript says %s, scorecard %s", m[1], card[1])
		}
	}
}
