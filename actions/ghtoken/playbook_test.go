package ghtoken

import "context"
import "io/fs"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// runPlaybook runs the built-in playbook against the fixture in a temp
// reports directory.
func runPlaybook(t *testing.T, f *fixture, mode report.Mode, given map[string]string) (*playbook.Result, string) {
	t.Helper()
	res, root, err := startPlaybook(t, f, mode, given)
	if err != nil {
		t.Fatal(err)
	}
	return res, root
}

// startPlaybook is runPlaybook for a run that may refuse to start.
func startPlaybook(t *testing.T, f *fixture, mode report.Mode, given map[string]string) (*playbook.Result, string, error) {
	t.Helper()
	pb, err := playbook.Resolve(PlaybookName)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	red := redact.New()
	red.Add(f.fx.ResponderToken)
	res, err := playbook.Run(context.Background(), pb, playbook.Options{
		Mode: mode, Incident: "INC-GH-1", Operator: "test", ReportsRoot: root, Given: given, Redactor: red,
		Getenv:      func(k string) string { return f.env[k] },
		StepTimeout: time.Minute,
	})
	return res, root, err
}

// everything reads every file under root.
func everything(t *testing.T, root string) [][]byte {
	t.Helper()
	var out [][]byte
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out = append(out, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlaybookContainsAndAssesses: the whole playbook against each
// scenario's world, baseline first, then the attack and the scenario's
// faults (5xx, a secondary limit, resets, a truncated answer):
// containment confirmed by the token's own 401, the truth's findings and
// exit code, and neither token in any file of the run directory.
func TestPlaybookContainsAndAssesses(t *testing.T) {
	for _, name := range []string{"github-pat-leak", "github-fine-grained-leak", "github-pat-leak-flaky"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, name, false, nil)
			base := filepath.Join(t.TempDir(), "baseline.json")
			env, _ := f.newEnv(report.ModeLive)
			env.Now = func() time.Time { return f.fx.WindowStart.Add(-time.Hour) }
			if _, err := SaveBaseline(context.Background(), env, f.fx.Org, base); err != nil {
				t.Fatal(err)
			}
			f.fx.Attack(f.fx.State)
			for _, fault := range f.fx.Faults {
				f.srv.InjectFault(fault)
			}
			res, root := runPlaybook(t, f, report.ModeLive, map[string]string{"key": f.fx.LeakedToken, "org": f.fx.Org, "baseline": base})
			sc, _ := provider.LookupScenario(name)
			truth := sc.Truth(time.Now())
			if res.ExitCode != truth.ExitCode || res.Report.Run.Containment.Status != truth.Containment {
				t.Fatalf("exit %d, containment %+v; truth %d %s", res.ExitCode, res.Report.Run.Containment, truth.ExitCode, truth.Containment)
			}
			got := map[string]bool{}
			for _, fd := range res.Report.Findings {
				got[fd.Kind+" "+fd.Subject] = true
			}
			for _, e := range truth.Findings {
				if !got[e.Kind+" "+e.Subject] {
					t.Errorf("missing %s %s; got %v", e.Kind, e.Subject, got)
				}
			}
			if f.srv.Authenticates(f.fx.LeakedToken) {
				t.Fatal("the leaked token still authenticates after a confirmed run")
			}
			// keyir eradicate removes every foothold but a user's SSH key
			// (by hand): the next step offers it, and says what is left.
			next := report.FootholdsNext(res.Report.Findings, res.Dir)
			if !strings.HasPrefix(next, report.EradicateCommand(res.Dir)) {
				t.Errorf("next step %q does not offer keyir eradicate", next)
			}
			if byHand := name != "github-fine-grained-leak"; byHand != strings.Contains(next, "1 to remove by hand") {
				t.Errorf("next step %q: the SSH key is left by hand in github-pat-leak only", next)
			}
			notifytest.AssertLeaksNoSecret(t, []string{f.fx.LeakedToken, f.fx.ResponderToken}, everything(t, root)...)
		})
	}
}

// TestPlaybookDryRunChangesNothing: the plan, the planned revocation, no
// write at the simulator, the token still live, and no token on disk.
func TestPlaybookDryRunChangesNothing(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	res, root := runPlaybook(t, f, report.ModeDryRun, map[string]string{"key": f.fx.LeakedToken, "org": f.fx.Org})
	if res.Report.Run.Containment.Status != report.ContainmentPlanned {
		t.Fatalf("containment %+v", res.Report.Run.Containment)
	}
	if n := f.srv.Count("POST", "") + f.srv.Count("DELETE", "") + f.srv.Count("PATCH", ""); n != 0 {
		t.Fatalf("a dry run sent %d writes", n)
	}
	if !f.srv.Authenticates(f.fx.LeakedToken) {
		t.Fatal("a dry run revoked the token")
	}
	planned := false
	for _, s := range res.Report.Steps {
		planned = planned || (s.ID == "revoke" && s.Status == report.StepPlanned)
	}
	if !planned && len(res.Report.Planned) == 0 {
		t.Errorf("no planned revocation in the report: %+v", res.Report.Steps)
	}
	notifytest.AssertLeaksNoSecret(t, []string{f.fx.LeakedToken, f.fx.ResponderToken}, everything(t, root)...)
}

// TestPlaybookRevokedTokenAndBadChecksum: a token revoked before the run
// is refused (401) but never seen accepted, so not confirmed (exit 4): the
// same 401 goes to another GitHub's token, and the detail says so; a bad
// checksum fails at identify and nothing reaches GitHub.
func TestPlaybookRevokedTokenAndBadChecksum(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	f.fx.State.RevokeToken(f.fx.LeakedToken, time.Now().Add(-time.Hour))
	res, _ := runPlaybook(t, f, report.ModeLive, map[string]string{"key": f.fx.LeakedToken})
	c := res.Report.Run.Containment
	if c.Status != report.ContainmentNotConfirmed || res.ExitCode != report.ExitNotContained || !strings.Contains(c.Detail, "another GitHub") {
		t.Fatalf("containment of a token dead before the run: %+v", c)
	}
	before := len(f.srv.Requests())
	tok := f.fx.LeakedToken
	bad := tok[:len(tok)-1] + map[bool]string{true: "A", false: "B"}[tok[len(tok)-1] != 'A']
	// The identify step's refusal is known before the run starts (its
	// parameter is an input): the run stops with nothing run or written.
	res, root, err := startPlaybook(t, f, report.ModeLive, map[string]string{"key": bad})
	if err == nil || !strings.Contains(err.Error(), "bad checksum") || !strings.Contains(err.Error(), "nothing was run") {
		t.Fatalf("a bad checksum: result %+v, err %v", res, err)
	}
	if n := len(f.srv.Requests()) - before; n != 0 {
		t.Fatalf("a bad checksum: %d requests reached GitHub", n)
	}
	notifytest.AssertLeaksNoSecret(t, []string{bad}, append(everything(t, root), []byte(err.Error()))...)
}

// TestPlaybookWithoutBaselineJudgesSSHKeysBySnapshot: without a baseline,
// the SSH key the holder added is still found: the snapshot read, with the
// token itself, when each key was added, and it lies inside the window.
func TestPlaybookWithoutBaselineJudgesSSHKeysBySnapshot(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	res, _ := runPlaybook(t, f, report.ModeLive, map[string]string{"key": f.fx.LeakedToken, "org": f.fx.Org})
	var ssh, na []string
	for _, fd := range res.Report.Findings {
		switch fd.Kind {
		case "github_ssh_key_added":
			ssh = append(ssh, fd.Subject)
		case "assessment.not_assessable":
			na = append(na, fd.Subject)
		}
	}
	if strings.Join(ssh, ",") != "devon/880001" || strings.Contains(strings.Join(na, ","), "ssh_keys") {
		t.Fatalf("ssh key findings %v, not assessable %v", ssh, na)
	}
}
