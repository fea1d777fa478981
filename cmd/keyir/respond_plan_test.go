package main

import "context"
import "encoding/json"
import "maps"
import "net/http"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// footholdWorld is a registered scenario's world with its baseline saved
// and its attack applied: a leaked key whose holder left footholds.
type footholdWorld struct {
	name     string
	pw       provider.World
	given    map[string]string
	footKind func(string) bool // a plan item kind of this provider
}

func newFootholdWorld(t *testing.T, scenario string, kinds func(string) bool) footholdWorld {
	t.Helper()
	sc, ok := provider.LookupScenario(scenario)
	if !ok || sc.World == nil {
		t.Fatalf("no scenario %s with a world", scenario)
	}
	pw, err := sc.World(context.Background(), time.Now().UTC().Truncate(time.Second), provider.WorldOptions{NoRateLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pw.Close() })
	given := pw.Given()
	if b, ok := pw.(provider.Baseliner); ok {
		path := filepath.Join(t.TempDir(), "baseline.json")
		env := actions.StandaloneEnv("baseline", func(k string) string { return pw.Env()[k] }, nil, redact.New(pw.Secrets()...), http.DefaultTransport)
		if err := b.SaveBaseline(context.Background(), env, path); err != nil {
			t.Fatal(err)
		}
		given["baseline"] = path
	}
	pw.Attack()
	return footholdWorld{name: scenario, pw: pw, given: given, footKind: kinds}
}

// TestRespondFromOnePlanForEveryKey: keyir respond --from with a SendGrid
// key and a GitHub token, each of whose holders left footholds, in either
// order: the run's one eradication-plan.json holds both keys' footholds,
// its item ids unique across keys, and every foothold finding cites an
// item of that plan (so `keyir eradicate` and the reader find each one).
func TestRespondFromOnePlanForEveryKey(t *testing.T) {
	isGitHub := func(k string) bool { return strings.HasPrefix(k, "github_") }
	for _, order := range [][]string{{"persistence", "github-pat-leak"}, {"github-pat-leak", "persistence"}} {
		t.Run(strings.Join(order, "+"), func(t *testing.T) {
			worlds := []footholdWorld{}
			envv := map[string]string{}
			var fs []glFinding
			var args []string
			var secrets []string
			for i, sc := range order {
				kinds := func(k string) bool { return !isGitHub(k) }
				if strings.HasPrefix(sc, "github") {
					kinds = isGitHub
				}
				w := newFootholdWorld(t, sc, kinds)
				worlds = append(worlds, w)
				for k, v := range w.pw.Env() {
					if v != "" {
						envv[k] = v
					}
				}
				secrets = append(secrets, w.pw.Secrets()...)
				fs = append(fs, glFinding{"leak", w.given["key"], w.given["key"], "leak.env", "3f9c2a7e41b05d8c6e1f", i + 1})
				for _, name := range slices.Sorted(maps.Keys(w.given)) {
					if name != "key" {
						args = append(args, "--input", "k"+string(rune('1'+i))+"_"+name+"="+w.given[name])
					}
				}
			}
			b, err := json.Marshal(fs)
			if err != nil {
				t.Fatal(err)
			}
			from := writeFile(t, t.TempDir(), "gitleaks.json", string(b))
			reports := filepath.Join(t.TempDir(), "reports")
			r := keyir(t, "", envv, append([]string{"respond", "--from", from, "--incident", "INC-53", "--reports", reports}, args...)...)
			if r.code != report.ExitFootholdsOpen {
				t.Fatalf("exit %d, want %d (footholds open)\n%s\n%s", r.code, report.ExitFootholdsOpen, r.stdout, r.stderr)
			}
			runDir := onlyRunDir(t, reports)
			data, err := os.ReadFile(filepath.Join(runDir, report.PlanFile))
			if err != nil {
				t.Fatal(err)
			}
			var plan struct {
				Items []struct {
					ID, Kind string
				} `json:"items"`
			}
			if err := json.Unmarshal(data, &plan); err != nil {
				t.Fatalf("%s: %v", report.PlanFile, err)
			}
			ids := map[string]string{} // id -> kind
			for _, it := range plan.Items {
				if _, seen := ids[it.ID]; it.ID == "" || seen {
					t.Errorf("plan item id %q missing or repeated", it.ID)
				}
				ids[it.ID] = it.Kind
			}
			for _, w := range worlds {
				if !slices.ContainsFunc(plan.Items, func(it struct{ ID, Kind string }) bool { return w.footKind(it.Kind) }) {
					t.Errorf("the plan holds no foothold of %s's key: %+v", w.name, plan.Items)
				}
			}
			rep, err := runstore.Load(runDir)
			if err != nil {
				t.Fatal(err)
			}
			cited := 0
			for _, f := range rep.Findings {
				for _, e := range f.Evidence {
					id, ok := strings.CutPrefix(e, report.PlanFile+"#")
					if !ok {
						continue
					}
					cited++
					kind, held := ids[id]
					switch {
					case !held:
						t.Errorf("finding %s %s cites %s, which the plan does not hold", f.Kind, f.Subject, e)
					case isGitHub(f.Kind) != isGitHub(kind):
						t.Errorf("finding %s %s cites %s, another key's item (%s)", f.Kind, f.Subject, e, kind)
					}
				}
			}
			if cited < len(plan.Items) {
				t.Errorf("%d citations of %d plan items", cited, len(plan.Items))
			}
			notifytest.AssertLeaksNoSecret(t, secrets, everyOutput(r, reports)...)
		})
	}
}
