package playbook_test

import "context"
import "errors"
import "net/http/httptest"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// finishedCount counts the step_finished events of each step in a run's
// journal: how often each step ran to an end.
func finishedCount(t *testing.T, dir string) map[string]int {
	t.Helper()
	events, _, err := runstore.ReadJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, ev := range events {
		if ev.Type == report.EventStepFinished {
			n[ev.Step]++
		}
	}
	return n
}

// TestResumeComposedRunRetriesWhatFailedOnly: a composed run whose Cmp-B
// revoke failed ends not contained; resumed with the keys given again, the
// failed revoke and the steps that waited for it run, the batch revocation
// and the opening message the journal records as done are not repeated,
// the closing message is sent again with the new outcome, and every key
// ends proven dead.
func TestResumeComposedRunRetriesWhatFailedOnly(t *testing.T) {
	sim := &cmpSim{revoked: map[string]bool{}, refuse: keyB1}
	res := runComposed(t, sim, report.ModeLive, keyA1, keyB1, keyA2)
	if res.ExitCode != report.ExitNotContained {
		t.Fatalf("first run: exit %d", res.ExitCode)
	}
	_, given := composeParts(t, keyA1, keyB1, keyA2)
	// Without the keys the resume is refused, naming what is missing.
	_, err := playbook.Resume(context.Background(), res.Dir, playbook.Options{})
	var ue *playbook.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "k1_key") {
		t.Fatalf("resume without the keys: %v", err)
	}
	sim.mu.Lock()
	sim.refuse = ""
	before := len(sim.calls)
	sim.mu.Unlock()
	res2 := resumeComposed(t, sim, res.Dir, given)
	if res2.ExitCode != 0 || res2.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("resume: exit %d, containment %+v", res2.ExitCode, res2.Report.Run.Containment)
	}
	sim.mu.Lock()
	again := slices.Clone(sim.calls[before:])
	sim.mu.Unlock()
	if !slices.Equal(again, []string{"POST /revoke 1", "GET /whoami 1"}) {
		t.Errorf("the resume sent %v; want only k2's revoke and its proof", again)
	}
	for _, k := range res2.Report.Keys {
		if k.Containment.Status != report.ContainmentConfirmed {
			t.Errorf("%s: %+v", k.Label, k.Containment)
		}
	}
	n := finishedCount(t, res.Dir)
	for id, want := range map[string]int{"batch1-revoke": 1, "k1-notify_open": 1, "k1-confirm": 1, "k2-revoke": 2, "k2-confirm": 2, "k2-assess": 2, "k1-notify_close": 2} {
		if n[id] != want {
			t.Errorf("%s finished %d times, want %d", id, n[id], want)
		}
	}
}

func resumeComposed(t *testing.T, sim *cmpSim, dir string, given map[string]string) *playbook.Result {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	res, err := playbook.Resume(context.Background(), dir, playbook.Options{
		Operator: "test", Given: given,
		Getenv:  func(k string) string { return map[string]string{"CMP_API_URL": srv.URL}[k] },
		Backoff: func(int) time.Duration { return 0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRecomposeRefusesAnotherPlaybook: the composed playbook is rebuilt
// from run.json's keys and held to the digest the run started with; keys
// recorded in another order, or of a kind this keyir does not know, are
// refused.
func TestRecomposeRefusesAnotherPlaybook(t *testing.T) {
	sim := &cmpSim{revoked: map[string]bool{}}
	res := runComposed(t, sim, report.ModeLive, keyA1, keyB1)
	run := res.Report.Run
	pb, err := playbook.Recompose(run)
	if err != nil || pb.SHA256 != run.PlaybookSHA {
		t.Fatalf("recompose: %v", err)
	}
	swapped := run.Clone()
	swapped.Keys[0].Kind, swapped.Keys[1].Kind = swapped.Keys[1].Kind, swapped.Keys[0].Kind
	if _, err := playbook.Recompose(swapped); err == nil || !strings.Contains(err.Error(), "resuming would run different steps") {
		t.Errorf("keys swapped: %v", err)
	}
	unknown := run.Clone()
	unknown.Keys[1].Kind = "cmp-c-thing"
	if _, err := playbook.Recompose(unknown); err == nil || !strings.Contains(err.Error(), "k2 is a cmp-c-thing (fingerprint "+run.Keys[1].Fingerprint) {
		t.Errorf("unknown kind: %v", err)
	}
}
