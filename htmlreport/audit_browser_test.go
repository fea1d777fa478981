package htmlreport_test

import "context"
import "net/http"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// TestAuditHTMLInChromium renders keyir audit's page of both audit scenarios in headless
// Chromium, as TestReportHTMLInChromium does report.html: it loads without a console error,
// asks the network for nothing, its chart is in the DOM with rendered text, and its
// screenshot is not blank.
func TestAuditHTMLInChromium(t *testing.T) {
	bin, err := chromiumPath()
	if err != nil {
		t.Skip("chromium not installed: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pages := map[string]string{}
	for _, sc := range sendgridsim.AuditScenarios() {
		fx := sc.Build(time.Now())
		base, shutdown, err := sendgridsim.Listen("127.0.0.1:0", sendgridsim.New(fx.State, fx.Config))
		if err != nil {
			t.Fatal(err)
		}
		defer shutdown(context.Background())
		env := actions.StandaloneEnv("audit", func(k string) string {
			return map[string]string{"SENDGRID_API_URL": base, "SENDGRID_API_KEY": fx.ResponderKey}[k]
		}, nil, redact.New(), http.DefaultTransport)
		snap, err := audit.Read(ctx, env, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rs := audit.Run(snap)
		p := filepath.Join(t.TempDir(), sc.Name+".html")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := audit.WriteHTML(f, rs, audit.Summarize(rs, report.High), time.Now()); err != nil {
			t.Fatal(err)
		}
		f.Close()
		pages[sc.Name] = p
	}
	b := startChromium(ctx, t, bin)
	for name, path := range pages {
		t.Run(name, func(t *testing.T) {
			r := b.load(ctx, t, path)
			for _, e := range r.errors {
				t.Errorf("console: %s", e)
			}
			for _, u := range r.requests {
				t.Errorf("network request: %s", u)
			}
			if !strings.HasPrefix(r.title, "keyir audit") {
				t.Errorf("title %q", r.title)
			}
			if r.charts != 1 {
				t.Errorf("%d charts in the DOM, want 1", r.charts)
			}
			for _, want := range []string{"keyir audit", "least privilege", "KEY-"} {
				if !strings.Contains(r.text, want) {
					t.Errorf("rendered text lacks %q", want)
				}
			}
			if r.chartTextWidth <= 0 {
				t.Error("chart text has no width: fonts did not render")
			}
			checkNotBlank(t, r.png)
		})
	}
}
