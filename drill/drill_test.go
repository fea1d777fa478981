package drill_test

import "context"
import "io/fs"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import _ "github.com/keyir/keyir/actions/all"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"

// Every scenario, run end to end against the simulator with every response
// checked against the official OpenAPI spec, must contain the key and find
// everything its ground truth lists.
func TestEveryScenarioScoresAllExpectedFindings(t *testing.T) {
	for _, sc := range sendgridsim.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			root := t.TempDir()
			res, err := drill.Run(context.Background(), drill.Options{
				Scenario:    sc.Name,
				ReportsRoot: root,
				Operator:    "drill-test",
				Redactor:    redact.New(),
				OnResponse:  observe(t),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Score.Missed) > 0 {
				t.Errorf("missed %v; findings were:", res.Score.Missed)
				for _, f := range res.Run.Report.Findings {
					t.Logf("  %s %q %s", f.Kind, f.Subject, f.Title)
				}
			}
			if len(res.Score.Expected) == 0 {
				t.Error("a scenario without ground truth scores nothing")
			}
			// Containment and exit code as the scenario's ground truth has them
			// ("revoked_unproven" when only the key's id is known).
			if c := res.Run.Report.Run.Containment; c.Status != res.Score.WantContainment || res.Score.Containment != c.Status {
				t.Errorf("containment %q (%s), want %q", c.Status, c.Detail, res.Score.WantContainment)
			}
			if res.Run.ExitCode != res.Score.WantExit || res.Score.ExitCode != res.Run.ExitCode {
				for _, s := range res.Run.Report.Steps {
					t.Logf("  %s %s %s", s.ID, s.Status, s.Error)
				}
				t.Errorf("exit code %d, want %d", res.Run.ExitCode, res.Score.WantExit)
			}
			if !res.Score.Passed() {
				t.Errorf("scorecard not passed: %+v", res.Score)
			}
			// Whatever the run says, the simulator knows: the leaked key must not
			// authenticate on either host any more.
			fx := sc.Build(time.Now())
			if sim(t, res).Authenticates(fx.LeakedKeyID) {
				t.Errorf("the leaked key %s still authenticates after the drill", fx.LeakedKeyID)
			}
			if v, err := runstore.Verify(res.Run.Dir); err != nil || !v.OK() {
				t.Errorf("report verify: %+v %v", v, err)
			}
			assertOnlyLeakedKeyRevoked(t, res)
			assertNoSecretInDir(t, root, res)
		})
	}
}

// The revoke must touch exactly the leaked key: the simulator saw one kind of
// DELETE, for that id, and every other key of the account is still live.
func assertOnlyLeakedKeyRevoked(t *testing.T, res *drill.Result) {
	t.Helper()
	leakedID := ""
	for _, s := range res.Run.Report.Steps {
		if s.ID == "identify" {
			leakedID, _ = s.Outputs["key_id"].(string)
		}
	}
	if len(leakedID) != 22 {
		t.Fatalf("identify gave no key id: %q", leakedID)
	}
	for _, r := range sim(t, res).Requests() {
		if r.Method == "DELETE" && r.Path != "/v3/api_keys/"+leakedID {
			t.Errorf("DELETE of something other than the leaked key: %s", r.Path)
		}
	}
}

func assertNoSecretInDir(t *testing.T, root string, res *drill.Result) {
	t.Helper()
	var secrets []string
	for _, r := range sim(t, res).Requests() {
		if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
			secrets = append(secrets, strings.TrimPrefix(a, "Bearer "))
		}
	}
	if len(secrets) == 0 {
		t.Fatal("the simulator saw no credentials at all")
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(b), s) || strings.Contains(string(b), s[strings.LastIndex(s, ".")+1:]) {
				t.Errorf("%s holds a credential the simulator received", p)
			}
		}
		return nil
	})
}
