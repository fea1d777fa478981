package slacktoken

import "context"
import "io/fs"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

// runPlaybook runs the built-in playbook against the fixture's workspace.
func runPlaybook(t *testing.T, f *fixture, mode report.Mode, token string) *playbook.Result {
	t.Helper()
	pb, err := playbook.Resolve("slack-token-compromise")
	if err != nil {
		t.Fatal(err)
	}
	res, err := playbook.Run(context.Background(), pb, playbook.Options{
		Mode: mode, Incident: "INC-SLACK-1", Operator: "test", ReportsRoot: t.TempDir(),
		Given:    map[string]string{"key": token, "window_start": f.world.WindowStart.Format(time.RFC3339), "window_end": f.world.WindowEnd.Format(time.RFC3339)},
		Redactor: redact.New(),
		Getenv:   func(k string) string { return f.vars[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// assertRunHasNo fails when any file of the run directory holds a secret.
func assertRunHasNo(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(b), s) || strings.Contains(string(b), s[len(s)-12:]) {
				t.Errorf("%s holds a secret", p)
			}
		}
		return nil
	})
}

// findings of a report, as "kind subject".
func findings(r *report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Kind+" "+f.Subject)
	}
	return out
}

// The whole playbook, live, against each scenario: contained with proof,
// and exactly the scenario's ground truth found.
func TestPlaybookFindsTheTruth(t *testing.T) {
	for _, name := range []string{"slack-user-token-leak", "slack-bot-token-leak"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, name, func(w *slacksim.World) { w.Options.RevokePropagation = 300 * time.Millisecond })
			res := runPlaybook(t, f, report.ModeLive, f.world.Leaked)
			sc, _ := provider.LookupScenario(name)
			truth := sc.Truth(time.Now())
			if res.ExitCode != truth.ExitCode || res.Report.Run.Containment.Status != truth.Containment {
				t.Fatalf("exit %d, containment %+v; steps %+v", res.ExitCode, res.Report.Run.Containment, res.Report.Steps)
			}
			got := findings(res.Report)
			for _, want := range truth.Findings {
				if !slices.Contains(got, want.Kind+" "+want.Subject) {
					t.Errorf("missing %s %s in %v", want.Kind, want.Subject, got)
				}
			}
			if len(got) != len(truth.Findings) {
				t.Errorf("findings %v, truth %v", got, truth.Findings)
			}
			if !f.sim.Dead(f.world.Leaked) || len(f.sim.CallsTo("auth.revoke")) != 1 {
				t.Fatal("the token was not revoked exactly once")
			}
			assertRunHasNo(t, res.Dir, f.world.Leaked, f.world.Admin)
		})
	}
}

// A dry run reads (is the token live? the logs) and revokes nothing.
func TestPlaybookDryRun(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", nil)
	res := runPlaybook(t, f, report.ModeDryRun, f.world.Leaked)
	if res.Report.Run.Containment.Status != report.ContainmentPlanned || len(res.Report.Planned) != 1 || !strings.HasSuffix(res.Report.Planned[0].URL, "/auth.revoke") {
		t.Fatalf("exit %d, containment %+v, planned %+v", res.ExitCode, res.Report.Run.Containment, res.Report.Planned)
	}
	if f.sim.Dead(f.world.Leaked) || len(f.sim.CallsTo("auth.revoke")) != 0 {
		t.Fatal("a dry run revoked the token")
	}
	if !slices.Contains(findings(res.Report), "access.new_login "+slacksim.ScenarioIP) {
		t.Errorf("the dry run's assessment found %v", findings(res.Report))
	}
	assertRunHasNo(t, res.Dir, f.world.Leaked, f.world.Admin)
}

// Without an admin token the assessment says "not assessable", never "no
// activity", and containment still stands.
func TestPlaybookWithoutAdminToken(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", nil)
	delete(f.vars, EnvAdminToken)
	res := runPlaybook(t, f, report.ModeLive, f.world.Leaked)
	got := findings(res.Report)
	if res.ExitCode != 0 || res.Report.Run.Containment.Status != report.ContainmentConfirmed ||
		!slices.Equal(got, []string{"assessment.not_assessable access logs", "assessment.not_assessable integration logs"}) {
		t.Fatalf("exit %d %+v %v", res.ExitCode, res.Report.Run.Containment, got)
	}
	if len(f.sim.CallsTo("team.accessLogs")) != 0 {
		t.Fatal("the logs were read with some other token")
	}
}

// A revoked token: token_revoked is proof at once; an unknown token's
// invalid_auth is not, and the run exits 4.
func TestPlaybookDeadTokens(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", nil)
	env, _ := f.env(report.ModeLive)
	if _, err := run(t, env, "slack.revoke_token", map[string]any{"key": f.world.Leaked}); err != nil {
		t.Fatal(err)
	}
	res := runPlaybook(t, f, report.ModeLive, f.world.Leaked)
	if res.ExitCode != 0 || res.Report.Run.Containment.Status != report.ContainmentConfirmed || !slices.Contains(findings(res.Report), "token.already_revoked "+redact.Fingerprint(f.world.Leaked)) {
		t.Fatalf("exit %d %+v %v", res.ExitCode, res.Report.Run.Containment, findings(res.Report))
	}
	unknown := "xoxp-4230001111-5230003333-5230004444-" + strings.Repeat("0f", 16)
	res = runPlaybook(t, f, report.ModeLive, unknown)
	if res.ExitCode != 4 || res.Report.Run.Containment.Status != report.ContainmentNotConfirmed {
		t.Fatalf("invalid_auth alone: exit %d %+v", res.ExitCode, res.Report.Run.Containment)
	}
}

// The leaked token is keyir's own bot token: the run says so (a critical
// finding) before revoking it, and still contains it.
func TestPlaybookOwnBotToken(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", nil)
	f.vars[EnvBotToken] = f.world.Leaked
	res := runPlaybook(t, f, report.ModeLive, f.world.Leaked)
	if res.ExitCode != 0 || res.Report.Run.Containment.Status != report.ContainmentConfirmed || !slices.Contains(findings(res.Report), "token.keyir_bot "+EnvBotToken) {
		t.Fatalf("exit %d %+v %v", res.ExitCode, res.Report.Run.Containment, findings(res.Report))
	}
	assertRunHasNo(t, res.Dir, f.world.Leaked, f.world.Admin)
}

// A rotating access token (xoxe.xoxp-) is revoked and proven dead like any
// other access token.
func TestPlaybookRotatingToken(t *testing.T) {
	rotating := "xoxe.xoxp-1-" + strings.Repeat("Rk9", 20)
	f := newFixture(t, "slack-user-token-leak", func(w *slacksim.World) {
		w.Options.Tokens = append(w.Options.Tokens, slacksim.Token{Value: rotating, UserID: slacksim.AliceUser, UserName: "alice", Scopes: []string{"channels:history"}})
	})
	res := runPlaybook(t, f, report.ModeLive, rotating)
	if res.ExitCode != 0 || res.Report.Run.Containment.Status != report.ContainmentConfirmed || !f.sim.Dead(rotating) ||
		!slices.Contains(findings(res.Report), "access.new_login "+slacksim.ScenarioIP) {
		t.Fatalf("exit %d %+v %v", res.ExitCode, res.Report.Run.Containment, findings(res.Report))
	}
	assertRunHasNo(t, res.Dir, rotating, f.world.Admin)
}
