package provider

import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/simhttp"

func TestTruthFromAndReplayFinished(t *testing.T) {
	tr := TruthFrom("confirmed", 5, []simhttp.Expected{{Kind: "a", Subject: "x"}, {Kind: "b"}})
	if tr.Containment != "confirmed" || tr.ExitCode != 5 || len(tr.Findings) != 2 || tr.Findings[1] != (Finding{Kind: "b"}) {
		t.Errorf("truth %+v", tr)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	steps := []report.Step{
		{ID: "revoke", Status: report.StepOK, Started: start, Duration: time.Second},
		{ID: "revoke", Status: report.StepFailed, Started: start},
		{ID: "other", Status: report.StepOK, Started: start},
		{ID: "revoke", Status: report.StepOK},
	}
	var ats []time.Time
	ReplayFinished(steps, func(s report.Step) bool { return s.ID == "revoke" }, func(at time.Time) { ats = append(ats, at) })
	if len(ats) != 2 || !ats[0].Equal(start.Add(time.Second)) || time.Since(ats[1]) > time.Minute {
		t.Errorf("replayed at %v: want the finished revoke's end, then now for one without a start", ats)
	}
}

func TestAttackDeedsThenFaults(t *testing.T) {
	var did []string
	Attack(&did, func(d *[]string) { *d = append(*d, "deed") }, []string{"f1", "f2"}, func(f string) { did = append(did, f) })
	Attack(&did, nil, []string{"f3"}, func(f string) { did = append(did, f) })
	if len(did) != 4 || did[0] != "deed" || did[1] != "f1" || did[3] != "f3" {
		t.Errorf("did %v: want the deeds first, then every fault; no deeds when the scenario has none", did)
	}
}
