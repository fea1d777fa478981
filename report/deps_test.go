package report

import "os/exec"
import "strings"
import "testing"

// The dry-run guard (transport), the actions and the notifiers take the
// model from this package and nothing else of the report: they must not
// link the chart library that only report.html needs. htmlreport is the
// control: if it stopped showing gonum, the check below would prove nothing.
func TestLightPackagesDoNotLinkTheCharts(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	deps := func(pkgs ...string) []string {
		t.Helper()
		out, err := exec.Command(goBin, append([]string{"list", "-deps"}, pkgs...)...).Output()
		if err != nil {
			msg := err.Error()
			if ee, ok := err.(*exec.ExitError); ok {
				msg += ": " + string(ee.Stderr)
			}
			t.Fatalf("go list -deps %v: %s", pkgs, msg)
		}
		return strings.Fields(string(out))
	}
	charts := func(list []string) (hits []string) {
		for _, p := range list {
			if strings.HasPrefix(p, "gonum.org/") {
				hits = append(hits, p)
			}
		}
		return hits
	}
	const mod = "github.com/keyir/keyir/"
	if hits := charts(deps(mod+"transport", mod+"actions/...", mod+"notify/...")); len(hits) > 0 {
		t.Errorf("transport, actions or notify link the chart library: %s", strings.Join(hits, " "))
	}
	if len(charts(deps(mod+"htmlreport"))) == 0 {
		t.Error("htmlreport shows no gonum package: the check above cannot see the chart library")
	}
}
