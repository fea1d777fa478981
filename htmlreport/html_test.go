package htmlreport

import "bytes"
import "fmt"
import "path/filepath"
import "regexp"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/internal/testrun"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "golang.org/x/net/html"

// htmlSteps are the built-in playbook's SendGrid steps, so report.html finds
// the outputs it draws from.
func htmlSteps() []report.Step {
	return []report.Step{
		{Index: 1, ID: "identify", Action: "sendgrid.identify_key", Critical: true},
		{Index: 2, ID: "snapshot", Action: "sendgrid.snapshot_key"},
		{Index: 3, ID: "revoke", Action: "sendgrid.revoke_key", Mutates: true, Critical: true},
		{Index: 4, ID: "confirm", Action: "sendgrid.confirm_revoked", Critical: true},
		{Index: 5, ID: "stats", Action: "sendgrid.stats"},
		{Index: 6, ID: "persistence", Action: "sendgrid.persistence"},
		{Index: 7, ID: "notify", Action: "slack.post", Mutates: true},
	}
}

// statsDaily is 14 baseline days and 7 window days with a burst at the end.
func statsDaily() []any {
	var out []any
	day := time.Date(2025, 2, 11, 0, 0, 0, 0, time.UTC)
	for i := range 21 {
		req, bounces, spam := 200+i%3*7, 2+i%2, i%2
		if i >= 18 {
			req, bounces, spam = 1500*(i-17), 80*(i-17), 20*(i-17)
		}
		out = append(out, map[string]any{
			"date": day.AddDate(0, 0, i).Format(time.DateOnly), "requests": req, "delivered": req - bounces,
			"bounces": bounces, "spam_reports": spam, "in_window": i >= 14,
		})
	}
	return out
}

// scriptHTML journals a live run with everything report.html draws: the key,
// its scopes, containment, a daily stats series, persistence findings, a
// retried and a failed step. key and step 6's error let tests inject text.
func scriptHTML(t *testing.T, s *runstore.Store, keyName, errText string) {
	t.Helper()
	run := s.Run()
	testrun.MustAppend(t, s, report.Event{Type: report.EventRunStarted, Run: &run, Steps: htmlSteps()})
	testrun.MustAppend(t, s,
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
		report.Event{Type: report.EventStepFinished, Step: "identify", Index: 1, Status: report.StepOK,
			Outputs: map[string]any{"key_id": "pNgFrPzLzzMIpPhb7Gac_M", "fingerprint": "26f1ddb7", "has_secret": true}},
		report.Event{Type: report.EventStepStarted, Step: "snapshot", Index: 2, Attempt: 1},
	)
	ev, err := s.EvidenceFile(2, "snapshot")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ev.Write("http", map[string]any{"method": "GET", "url": "https://api.sendgrid.com/v3/api_keys/pNgF", "status": 200})
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	testrun.MustAppend(t, s,
		report.Event{Type: report.EventFinding, Step: "snapshot", Finding: &report.Finding{
			Kind: "key.blast_radius", Subject: "pNgFrPzLzzMIpPhb7Gac_M", Severity: report.High,
			Title: fmt.Sprintf("Leaked key %q: restricted access, high blast radius", keyName), Detail: "3 scopes: mail send (write); stats (read); templates (read).",
			Evidence: []string{ref},
		}},
		report.Event{Type: report.EventStepFinished, Step: "snapshot", Index: 2, Status: report.StepOK, Outputs: map[string]any{
			"name": keyName, "key_type": "restricted", "risk": "high", "found": true,
			"scopes": []any{"mail.send", "stats.read", "templates.read"},
			"categories": []any{
				map[string]any{"category": "mail send", "scopes": []any{"mail.send"}, "write": true},
				map[string]any{"category": "stats/activity", "scopes": []any{"stats.read"}, "write": false},
				map[string]any{"category": "templates/marketing", "scopes": []any{"templates.read"}, "write": false},
			},
		}},
		report.Event{Type: report.EventStepStarted, Step: "revoke", Index: 3, Attempt: 1},
		report.Event{Type: report.EventStepAttemptFailed, Step: "revoke", Index: 3, Attempt: 1, Error: "HTTP 503 from api.sendgrid.com"},
		report.Event{Type: report.EventStepStarted, Step: "revoke", Index: 3, Attempt: 2},
		report.Event{Type: report.EventStepFinished, Step: "revoke", Index: 3, Attempt: 2, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "confirm", Index: 4, Attempt: 1},
		report.Event{Type: report.EventContainment, Step: "confirm", Containment: &report.Containment{Status: report.ContainmentConfirmed,
			Detail: "the leaked key itself answered 401 on GET /v3/scopes after 1 poll", TimeToContainment: 3250 * time.Millisecond, At: testrun.T0.Add(3250 * time.Millisecond)}},
		report.Event{Type: report.EventStepFinished, Step: "confirm", Index: 4, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "stats", Index: 5, Attempt: 1},
		report.Event{Type: report.EventFinding, Step: "stats", Finding: &report.Finding{Kind: "stats.requests_spike", Severity: report.High,
			Title: "Sending volume spiked in the exposure window", Detail: "requests: 1,431.4 per day in the window against 204.7 per day (7.0× the baseline); peak 4,500 on 2025-03-06."}},
		report.Event{Type: report.EventStepFinished, Step: "stats", Index: 5, Status: report.StepOK, Outputs: map[string]any{
			"daily":          statsDaily(),
			"baseline_means": map[string]any{"requests": "204.7", "delivered": "202.2", "bounces": "2.5", "spam_reports": "0.5"},
			"window_means":   map[string]any{"requests": "1431.4", "delivered": "1362.9", "bounces": "70.0", "spam_reports": "17.4"},
			"window_totals":  map[string]any{"requests": "10020", "delivered": "9540", "bounces": "490", "spam_reports": "122"},
			"spikes":         []any{"requests", "bounces", "spam_reports"},
		}},
		report.Event{Type: report.EventStepStarted, Step: "persistence", Index: 6, Attempt: 1},
		report.Event{Type: report.EventFinding, Step: "persistence", Finding: &report.Finding{Kind: "persistence.event_webhook", Subject: "collect.hooks-relay.example", Severity: report.High,
			Title: "Event webhook to https://collect.hooks-relay.example/sg (enabled)", Detail: "created inside the exposure window. Check it was set up by someone on your team; if not, remove it.",
			Evidence: []string{"evidence/006-persistence.jsonl#3"}}},
		report.Event{Type: report.EventStepFinished, Step: "persistence", Index: 6, Status: report.StepFailed, Error: errText, Outputs: map[string]any{
			"counts": map[string]any{"event_webhooks": "1", "teammates": "2", "ip_allowlist": "0"}, "findings": 1,
		}},
		report.Event{Type: report.EventStepStarted, Step: "notify", Index: 7, Attempt: 1},
		report.Event{Type: report.EventNote, Step: "notify", Note: &report.Note{Text: "incident closed: delivered to slack"}},
		report.Event{Type: report.EventStepFinished, Step: "notify", Index: 7, Status: report.StepOK},
		report.Event{Type: report.EventRunFinished, ExitCode: testrun.IntP(report.ExitDegraded), RunStatus: report.RunDegraded},
	)
}

// renderedHTML finishes a run scripted by scriptHTML and returns its
// report.html.
func renderedHTML(t *testing.T, mode report.Mode, keyName, errText string) (string, string) {
	t.Helper()
	s := testrun.NewStore(t, testrun.Run(mode))
	scriptHTML(t, s, keyName, errText)
	if _, err := s.Finish(nil, Renderer{}); err != nil {
		t.Fatal(err)
	}
	return testrun.ReadFile(t, filepath.Join(s.Dir(), runstore.ReportHTML)), s.Dir()
}

var (
	sha256Hex = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	svgBlock  = regexp.MustCompile(`(?s)<svg viewBox="[^"]*"(.*?)>.*?</svg>`)
	svgText   = regexp.MustCompile(`(?s)<text[^>]*>(.*?)</text>`)
)

// normalizeHTML reduces each chart to its text (title, axis labels, tick
// labels, legend, bar labels), one per line: the golden then pins what a
// reader sees in the charts and everything around them, but not gonum's path
// geometry, which would make any upgrade of the library a golden diff.
// SHA-256 sums are elided too, so a change to report.md's golden does not
// ripple into this one; TestHTMLContent checks the sums themselves.
func normalizeHTML(s string) string {
	s = sha256Hex.ReplaceAllString(s, "<sha256>")
	return svgBlock.ReplaceAllStringFunc(s, func(block string) string {
		m := svgBlock.FindStringSubmatch(block)
		var b strings.Builder
		fmt.Fprintf(&b, "<svg%s> <!-- geometry elided; text:\n", m[1])
		for _, t := range svgText.FindAllStringSubmatch(block, -1) {
			fmt.Fprintf(&b, "  %s\n", t[1])
		}
		b.WriteString("--></svg>")
		return b.String()
	})
}

func TestHTMLGolden(t *testing.T) {
	for _, mode := range []report.Mode{report.ModeLive, report.ModeDryRun, report.ModeDrill} {
		t.Run(string(mode), func(t *testing.T) {
			got, _ := renderedHTML(t, mode, "web-app-prod", "1 persistence check(s) failed: teammates: HTTP 500")
			testrun.CheckGolden(t, "report-"+string(mode)+".html", normalizeHTML(got))
		})
	}
}

func TestHTMLContent(t *testing.T) {
	page, dir := renderedHTML(t, report.ModeDrill, "web-app-prod", "boom")
	if n := strings.Count(page, "<svg "); n != 3 {
		t.Errorf("%d charts, want 3 (timeline, volume, bounces)", n)
	}
	for _, want := range []string{
		`<div class="banner" role="note"><strong>DRILL</strong>`,
		"Incident report: INC-42",
		"<code>pNgFrPzLzzMIpPhb7Gac_M</code>", "<code>26f1ddb7</code>", "<code>web-app-prod</code>", "<code>restricted</code>",
		`<span class="big">3.2s</span>`,
		"Run timeline: each step&#39;s start, duration and status",
		"Send volume per day: requests and deliveries against the baseline",
		"Bounces and spam reports per day against the baseline",
		"exposure window, Feb 25 to Mar 3",
		"requests, baseline mean 204.7/day",
		"key proven dead",
		"Mar 3", // a date on the volume charts' axis
		"<td>mail send</td><td>read and write</td>",
		"Event webhook to https://collect.hooks-relay.example/sg (enabled)",
		`<a href="#file-evidence-002-snapshot.jsonl"><code>evidence/002-snapshot.jsonl#1</code></a>`,
		`<tr id="file-evidence-002-snapshot.jsonl"><td><code>evidence/002-snapshot.jsonl</code>`,
		"<code>report.html</code> (this page; a file cannot contain its own hash) and <code>MANIFEST</code>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// Every file but report.html and MANIFEST is listed with its SHA-256,
	// and the sums are those of the files as sealed.
	files, _, err := runstore.ListFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range files {
		sum, err := runstore.HashFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		listed := strings.Contains(page, "<code>"+rel+"</code></td><td class=\"num\">") && strings.Contains(page, sum)
		if rel == runstore.ReportHTML {
			if strings.Contains(page, sum) {
				t.Errorf("report.html lists its own hash?")
			}
			continue
		}
		if !listed {
			t.Errorf("%s (sha256 %s) is not listed with its final sum", rel, sum)
		}
	}
	if v, err := runstore.Verify(dir); err != nil || !v.OK() {
		t.Errorf("verify: %+v %v", v, err)
	}
	if !strings.Contains(testrun.ReadFile(t, filepath.Join(dir, runstore.ManifestFile)), "  "+runstore.ReportHTML+"  ") {
		t.Errorf("MANIFEST does not cover report.html")
	}
}

// hostile is text an attacker can put in a report: a key name, a webhook
// URL, an API error.
const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)>"'><svg onload=alert(3)>&amp; <a href="https://evil.example/x">x</a> </text><script>alert(4)</script> url(https://evil.example/f.css) <style>@import "//evil.example/i.css";</style>`

func hostileReport() *report.Report {
	s := htmlSteps()
	for i := range s {
		s[i].Started = testrun.T0.Add(time.Duration(i) * time.Second)
		s[i].Duration = 700 * time.Millisecond
		s[i].Status = report.StepOK
	}
	s[1].ID = "snap" + hostile
	s[1].Outputs = map[string]any{"name": hostile, "key_type": hostile, "risk": hostile,
		"categories": []any{map[string]any{"category": hostile, "scopes": []any{hostile}, "write": true}}}
	s[0].Outputs = map[string]any{"key_id": hostile, "fingerprint": hostile}
	s[4].Outputs = map[string]any{"daily": []any{
		map[string]any{"date": hostile, "requests": 5},
		map[string]any{"date": "2025-03-01", "requests": 5, "in_window": true},
		map[string]any{"date": "2025-03-02", "requests": 9, "in_window": true},
	}, "baseline_means": map[string]any{"requests": hostile}, "window_totals": map[string]any{"requests": hostile}}
	s[5].Outputs = map[string]any{"counts": map[string]any{hostile: hostile}}
	s[5].Error = hostile
	s[5].Evidence = "evidence/006-" + hostile
	return &report.Report{
		Run: report.Run{ID: "r1", Incident: "INC-1 " + hostile, Playbook: hostile, Mode: report.ModeDryRun, Operator: hostile, Host: hostile,
			Version: hostile, Inputs: map[string]string{hostile: hostile}, SecretInput: []string{hostile},
			Status: report.RunDegraded, Started: testrun.T0, Finished: testrun.T0.Add(9 * time.Second),
			Containment: report.Containment{Status: hostile, Detail: hostile, TimeToContainment: time.Second, At: testrun.T0.Add(time.Second)}},
		Steps: s,
		Findings: []report.Finding{{Kind: "persistence." + hostile, Subject: hostile, Severity: hostile, Title: hostile, Detail: hostile, Step: hostile,
			Evidence: []string{hostile, "evidence/002-x.jsonl#" + hostile}}},
		Notes:        []report.Note{{Step: hostile, Text: hostile}},
		Planned:      []report.PlannedChange{{Step: hostile, Method: hostile, URL: "https://api.sendgrid.com/v3/x?" + hostile, Body: hostile}},
		ManifestHead: hostile,
	}
}

func TestHTMLEscapesHostileText(t *testing.T) {
	var b bytes.Buffer
	if err := RenderHTML(&b, hostileReport(), ""); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, "<svg "); n != 3 {
		t.Errorf("%d charts, want 3: hostile text must not stop a chart", n)
	}
	if strings.Contains(page, "could not be drawn") {
		t.Errorf("a chart failed on hostile text")
	}
	for _, bad := range []string{"<script", "<img", "<a href=\"https", "<style>@import", "</text><script>"} {
		if strings.Contains(page, bad) {
			i := strings.Index(page, bad)
			t.Errorf("unescaped %q: …%s…", bad, page[max(0, i-80):min(len(page), i+80)])
		}
	}
	// The hostile step id is in the timeline chart as text, escaped.
	if !strings.Contains(page, "snap&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("hostile step id not found escaped in the page")
	}
	doc := parseHTML(t, page)
	checkElements(t, doc)
	if got := countText(doc, "<script>alert(1)</script>"); got < 10 {
		t.Errorf("hostile text appears as text only %d times; was it dropped rather than escaped?", got)
	}
}

// checkElements walks the document: only keyir's own elements, no script,
// no event handler, no link anywhere but to an anchor on the page.
func checkElements(t *testing.T, n *html.Node) {
	t.Helper()
	allowed := map[string]bool{"html": true, "head": true, "body": true, "meta": true, "title": true, "style": true,
		"div": true, "p": true, "strong": true, "span": true, "header": true, "section": true, "h1": true, "h2": true, "h3": true,
		"dl": true, "dt": true, "dd": true, "code": true, "br": true, "figure": true, "figcaption": true, "table": true,
		"thead": true, "tbody": true, "tr": true, "th": true, "td": true, "a": true, "ul": true, "li": true, "footer": true,
		"svg": true, "g": true, "path": true, "text": true, "rect": true, "circle": true, "line": true, "polyline": true, "polygon": true}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !allowed[n.Data] {
				t.Errorf("element <%s> in report.html", n.Data)
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"):
					t.Errorf("<%s %s=%q>: event handler", n.Data, a.Key, a.Val)
				case key == "href":
					if !strings.HasPrefix(a.Val, "#") {
						t.Errorf("<%s href=%q>: a link off the page", n.Data, a.Val)
					}
				case key == "src" || key == "srcset" || key == "action" || key == "formaction" || key == "poster" ||
					key == "data" || key == "background" || key == "ping" || key == "xmlns" || a.Namespace != "":
					t.Errorf("<%s %s=%q>: not keyir's", n.Data, a.Key, a.Val)
				case key == "style" && strings.Contains(strings.ToLower(a.Val), "url("):
					t.Errorf("<%s style=%q>: url()", n.Data, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
}

func parseHTML(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func countText(n *html.Node, sub string) int {
	c := 0
	if n.Type == html.TextNode {
		c += strings.Count(n.Data, sub)
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c += countText(ch, sub)
	}
	return c
}

// urlish finds anything a browser could fetch: a scheme or
// protocol-relative URL in an attribute, url( ) or @import in CSS.
var urlish = regexp.MustCompile(`(?i)(https?:|ftp:|file:|data:|//)`)

// TestHTMLFetchesNothing: report.html is read on machines without network
// (and by auditors who must not be tracked): nothing in it may be fetched.
// Text may mention a URL (a webhook's, say); markup may not point at one.
func TestHTMLFetchesNothing(t *testing.T) {
	pages := map[string]string{}
	pages["live"], _ = renderedHTML(t, report.ModeLive, "web-app-prod", "boom")
	var b bytes.Buffer
	if err := RenderHTML(&b, hostileReport(), ""); err != nil {
		t.Fatal(err)
	}
	pages["hostile"] = b.String()
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			doc := parseHTML(t, page)
			checkElements(t, doc)
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.ElementNode {
					for _, a := range n.Attr {
						if a.Key == "content" && n.Data == "meta" {
							continue // the CSP names no URL, but says 'none' and data:
						}
						if a.Key != "aria-label" && urlish.MatchString(a.Val) {
							t.Errorf("<%s %s=%q> names a URL", n.Data, a.Key, a.Val)
						}
					}
					if n.Data == "style" && n.FirstChild != nil {
						css := strings.ToLower(n.FirstChild.Data)
						for _, bad := range []string{"url(", "@import", "@font-face", "http:", "https:", "//"} {
							if strings.Contains(css, bad) {
								t.Errorf("<style> contains %q", bad)
							}
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			if !strings.Contains(page, `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;`) {
				t.Errorf("report.html lacks its Content-Security-Policy")
			}
		})
	}
}

// TestHTMLShowsOnlyTheReport: report.html is drawn from the (already
// redacted) report and the run directory's file names and hashes, never
// from a file's content. A canary that exists only inside an evidence file
// and the journal's raw data must not reach the page.
func TestHTMLShowsOnlyTheReport(t *testing.T) {
	const canary = "SG.canary-5f1e2d3c4b5a.never-in-the-report"
	s := testrun.NewStore(t, testrun.Run(report.ModeLive))
	run := s.Run()
	testrun.MustAppend(t, s, report.Event{Type: report.EventRunStarted, Run: &run, Steps: htmlSteps()[:1]},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1})
	ev, err := s.EvidenceFile(1, "identify")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Write("http", map[string]any{"body": canary}); err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	testrun.MustAppend(t, s,
		report.Event{Type: report.EventStepFinished, Step: "identify", Index: 1, Status: report.StepFailed, Error: "HTTP 401: key [REDACTED:1a2b3c4d] rejected",
			Outputs: map[string]any{"raw": canary, "key_id": "abc"}},
		report.Event{Type: report.EventRunFinished, ExitCode: testrun.IntP(report.ExitCouldNotRun), RunStatus: report.RunFailed, Data: map[string]any{"raw": canary}},
	)
	if _, err := s.Finish(nil, Renderer{}); err != nil {
		t.Fatal(err)
	}
	page := testrun.ReadFile(t, filepath.Join(s.Dir(), runstore.ReportHTML))
	if !strings.Contains(testrun.ReadFile(t, filepath.Join(s.Dir(), "evidence", "001-identify.jsonl")), canary) {
		t.Fatal("test is vacuous: the canary is not in the evidence file")
	}
	if strings.Contains(page, canary) || strings.Contains(page, "canary-5f1e2d3c4b5a") {
		t.Errorf("report.html contains the canary, which the report does not show")
	}
	if !strings.Contains(page, "HTTP 401: key [REDACTED:1a2b3c4d] rejected") {
		t.Errorf("report.html lacks the step's (redacted) error")
	}
}

func TestCheckSVGRejectsForeignMarkup(t *testing.T) {
	for _, bad := range []string{
		`<svg viewBox="0 0 1 1"><script>alert(1)</script></svg>`,
		`<svg viewBox="0 0 1 1"><image href="https://x/y.png"/></svg>`,
		`<svg viewBox="0 0 1 1"><g onload="alert(1)"></g></svg>`,
		`<svg viewBox="0 0 1 1"><path style="fill:url(https://x/#a)" d="M0 0"/></svg>`,
		`<svg viewBox="0 0 1 1"><foreignObject><div/></foreignObject></svg>`,
		`<svg viewBox="0 0 1 1"><use xlink:href="#a"/></svg>`,
		`<svg viewBox="0 0 1 1"><text>unclosed</svg>`,
		`<svg viewBox="0 0 1 1"><text>a < b</text></svg>`,
	} {
		if err := checkSVG(bad); err == nil {
			t.Errorf("checkSVG accepted %s", bad)
		}
	}
	if err := checkSVG(`<svg viewBox="0 0 1 1" class="chart"><g transform="scale(1, -1)"><text x="1" y="2" style="font-size:9px">a &lt;script&gt;</text></g></svg>`); err != nil {
		t.Errorf("checkSVG refused a plain chart: %v", err)
	}
}

func TestRenderHTMLWithoutSteps(t *testing.T) {
	rep := &report.Report{Run: report.Run{ID: "r1", Mode: report.ModeLive, Status: report.RunRunning, Started: testrun.T0}}
	var b bytes.Buffer
	if err := RenderHTML(&b, rep, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INCOMPLETE", "No steps were recorded.", "No persistence items were found.", "rendered without its run directory"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(b.String(), "<svg") {
		t.Errorf("a chart without data")
	}
}
