package audit_test

import "bytes"
import "context"
import "encoding/json"
import "errors"
import "net/http"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "unicode/utf8"

import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/transport"

// TestEndpointsInSpec: every endpoint the package documents is an operation of the official
// spec, and an audit of every account with a baseline sends only documented GETs.
func TestEndpointsInSpec(t *testing.T) {
	ops := map[string]bool{}
	files, _ := filepath.Glob("../testdata/sendgrid-oai/tsg_*_v3.json")
	if len(files) == 0 {
		t.Fatal("no spec files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for p, item := range doc.Paths {
			for m := range item {
				ops[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	for _, e := range audit.Endpoints {
		if !ops[e] {
			t.Errorf("%s is not in the spec", e)
		}
		if !strings.HasPrefix(e, "GET ") {
			t.Errorf("%s is not a read", e)
		}
	}

	r := newRig(t, "poor-hygiene")
	bl := writeBaseline(t, baselineOf(r))
	b := loadBaseline(t, bl)
	r.audit(audit.Options{AllSubusers: true, Baselines: b, BaselinePaths: []string{bl}})
	used := map[string]bool{}
	for _, q := range r.srv.Requests() {
		if strings.Contains(q.Header.Get("Authorization"), r.setup.Token()) || q.Method == "DELETE" {
			continue // the test's own setup
		}
		if !slices.Contains(audit.Endpoints, q.Route) {
			t.Errorf("the audit sent %s %s (route %q), not in audit.Endpoints", q.Method, q.Path, q.Route)
		}
		used[q.Route] = true
	}
	for _, e := range audit.Endpoints {
		if !used[e] {
			t.Errorf("%s is documented but never read", e)
		}
	}
}

// The audit only reads, so it runs the same under the dry-run transport.
func TestDryRunTransport(t *testing.T) {
	r := newRig(t, "poor-hygiene")
	r.dropSetup()
	env := r.env()
	env.HTTP = transport.NewClient(transport.Options{DryRun: true, Step: "audit", Redactor: r.red, Base: http.DefaultTransport})
	s, err := audit.Read(context.Background(), env, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(audit.Run(s), audit.Fail); !slices.Equal(got, r.fx.Fails) {
		t.Errorf("dry run failed %v, want %v", got, r.fx.Fails)
	}
}

// Missing scopes and a missing add-on make checks not assessable, with the reason.
func TestNotAssessableReasons(t *testing.T) {
	r := newRig(t, "well-kept", func(c *sendgridsim.Config) { c.EmailActivityAddon = false })
	body := `{"name":"narrow-auditor","scopes":["api_keys.read","api_keys.delete","teammates.read","email_activity.read"]}`
	var k struct {
		Key string `json:"api_key"`
	}
	_ = json.Unmarshal(r.call("POST", "/v3/api_keys", body, 201), &k)
	r.responder = k.Key
	rs := r.audit(audit.Options{})
	reason := map[string]string{}
	for _, x := range rs {
		if x.Status == audit.NotAssessable {
			reason[x.ID] = x.Detail
		}
	}
	for id, want := range map[string]string{
		"IP-NO-ALLOWLIST":  "access_settings.whitelist.read",
		"WEBHOOK-UNSIGNED": "user.webhooks.event.settings.read",
		"ALERT-NO-USAGE":   "alerts.read",
		"KEY-UNUSED":       "Email Activity is not available",
	} {
		if !strings.Contains(reason[id], want) {
			t.Errorf("%s: reason %q lacks %q", id, reason[id], want)
		}
	}
	// Only the former responder key, no longer the audit's own, is held to its delete scope;
	// no read the auditor may not make became a failure.
	if f := ids(rs, audit.Fail); !slices.Equal(f, []string{"KEY-ADMIN-SCOPES"}) || !strings.Contains(subjects(rs, "KEY-ADMIN-SCOPES")[0], "keyir-responder") {
		t.Errorf("failed %v %v", f, subjects(rs, "KEY-ADMIN-SCOPES"))
	}
}

// A server that keeps failing makes the audit fail instead of reporting an empty setting as fine.
func TestServerErrorIsFatal(t *testing.T) {
	r := newRig(t, "well-kept")
	r.srv.InjectFault(sendgridsim.Fault{Route: "GET /v3/alerts", Kind: sendgridsim.FaultStatus, Status: 503})
	r.dropSetup()
	_, err := audit.Read(context.Background(), r.env(), audit.Options{})
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v", err)
	}
	var ae interface{ Error() string }
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
}

func TestRenderTextAndJSON(t *testing.T) {
	r := newRig(t, "poor-hygiene")
	rs := r.audit(audit.Options{})
	sum := audit.Summarize(rs, report.High)
	var txt bytes.Buffer
	if err := audit.WriteText(&txt, rs, sum); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(txt.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line %d has %d columns: %q", i+1, n, line)
		}
	}
	for _, p := range []string{"== least privilege: ", "== HTTPS: ", "== monitoring: "} {
		if !strings.Contains(txt.String(), p) {
			t.Errorf("text lacks practice summary %q", p)
		}
	}
	if !strings.Contains(txt.String(), "FAILED: ") {
		t.Error("no verdict line")
	}
	var js bytes.Buffer
	if err := audit.WriteJSON(&js, rs, sum); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Checks  []map[string]json.RawMessage `json:"checks"`
		Summary map[string]json.RawMessage   `json:"summary"`
	}
	dec := json.NewDecoder(&js)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want := []string{"detail", "evidence", "fix", "id", "practice", "severity", "status", "subject"}
	for _, c := range doc.Checks {
		var keys []string
		for k := range c {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("check keys %v, want %v", keys, want)
		}
	}
	if sum.Breaches == 0 || sum.Fail == 0 || len(sum.FailedIDs) != len(r.fx.Fails) {
		t.Errorf("summary %+v", sum)
	}
	if s := audit.Summarize(rs, report.Critical); s.Breaches != 1 {
		t.Errorf("critical breaches %d, want 1 (the full-access key)", s.Breaches)
	}
}

func TestRenderHTMLSelfContained(t *testing.T) {
	r := newRig(t, "poor-hygiene")
	rs := r.audit(audit.Options{})
	var b bytes.Buffer
	if err := audit.WriteHTML(&b, rs, audit.Summarize(rs, report.High), r.clk.Now()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, `<svg viewBox=`) || !strings.Contains(page, "fail, critical") {
		t.Error("no chart by practice and severity")
	}
	for _, bad := range []string{"<script", " src=", "href=\"http", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page is not self-contained: %q", bad)
		}
	}
	for _, id := range r.fx.Fails {
		if !strings.Contains(page, id) {
			t.Errorf("page lacks %s", id)
		}
	}
}
