package sendgrid

import "path/filepath"
import "testing"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/planfile"
import "github.com/keyir/keyir/safefile"

// planRecorder is a recorder that writes the run's tracked files into a
// directory (the runner's also journals them).
type planRecorder struct {
	actions.Recorder
	dir string
}

func (r planRecorder) WriteRunFile(name string, data []byte, _ string) error {
	return safefile.WriteAtomic(filepath.Join(r.dir, name), data, 0o600)
}

// Two SendGrid keys of a composed run, in two subusers: each persistence
// step replaces only its own account's items, so the plan holds both, ids
// unique; a rerun of the first (a resume) keeps the second's and its own
// ids.
func TestPlanKeepsAnotherSubusersItems(t *testing.T) {
	dir := t.TempDir()
	env := actions.StandaloneEnv("persistence", func(string) string { return "" }, nil, nil, nil)
	env.Recorder, env.Dir = planRecorder{env.Recorder, dir}, dir
	kinds := persistenceKinds()
	a, b := Account{Subuser: "alpha"}, Account{Subuser: "beta"}
	item := func(acct Account, rid string) PlanItem {
		rm, _ := removal(KindTeammate, rid, acct)
		return PlanItem{Kind: KindTeammate, Account: acct.Subuser, Region: RegionGlobal, ResourceID: rid, Subject: rid, Severity: "high", Remove: rm}
	}
	first, err := addToPlan(env, kinds, &a, []PlanItem{item(a, "mallory"), item(a, "trent")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := addToPlan(env, kinds, &b, []PlanItem{item(b, "eve")}); err != nil {
		t.Fatal(err)
	}
	again, err := addToPlan(env, kinds, &a, []PlanItem{item(a, "trent")})
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := planfile.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := planOf(f)
	got := map[string]string{}
	for _, it := range p.Items {
		got[it.Account+"/"+it.ResourceID] = it.ID
	}
	if len(got) != 2 || got["beta/eve"] != "fh-03" || got["alpha/trent"] != first[1].ID || again[0].ID != first[1].ID {
		t.Fatalf("plan %v (first %s %s, again %s)", got, first[0].ID, first[1].ID, again[0].ID)
	}
}
