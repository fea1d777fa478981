package ghtoken

import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// github.token_liveness outputs no fingerprint (a resumed run's journal,
// whatever keyir wrote it, has none either), so the confirm step finds the
// liveness step that saw the token live by the run's key list: a step is
// the token's when the run responds to one key, or when the key of that
// fingerprint lists the step (a run of several keys); a step of another
// key proves nothing about this one. Matching by fingerprint alone read
// such a run's 401 as "refused, never seen accepted" (not confirmed, exit
// 4) for a token this run had seen live and revoked.
func TestConfirmOfAResumedRunWhoseLivenessHadNoFingerprint(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	fp := redact.Fingerprint(f.fx.LeakedToken)
	old := report.Step{ID: "k1-liveness", Action: "github.token_liveness", Status: report.StepOK, Outputs: map[string]any{"status": "live", "login": "mallory"}}
	for _, tc := range []struct {
		name string
		keys []report.KeyOutcome
		want string
	}{
		{"one key", nil, report.ContainmentConfirmed},
		{"the step of this key", []report.KeyOutcome{{KeyRef: report.KeyRef{Label: "k1", Fingerprint: fp, Steps: []string{"k1-liveness", "k1-confirm"}}}}, report.ContainmentConfirmed},
		{"the step of another key", []report.KeyOutcome{
			{KeyRef: report.KeyRef{Label: "k1", Fingerprint: "0badf00d", Steps: []string{"k1-liveness"}}},
			{KeyRef: report.KeyRef{Label: "k2", Fingerprint: fp, Steps: []string{"k1-confirm"}}}}, report.ContainmentNotConfirmed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.fx.State.RevokeToken(f.fx.LeakedToken, time.Now().Add(-time.Minute))
			env, rec := f.newEnv(report.ModeLive)
			env.Step = "k1-confirm"
			rep := &report.Report{Steps: []report.Step{old}, Keys: tc.keys}
			env.Report = func() (*report.Report, error) { return rep, nil }
			run(t, env, "github.confirm_revoked", map[string]any{"key": f.fx.LeakedToken, "interval": "50ms", "timeout": "2s"})
			if len(rec.containment) != 1 || rec.containment[0].Status != tc.want {
				t.Fatalf("containment %+v, want %s", rec.containment, tc.want)
			}
		})
	}
}

// A liveness check cut off by a fault (it failed: no status) is not the
// only witness that this GitHub accepted the token: the snapshot, taken
// with the same probe before the revocation, saw it live. The fault
// matrix's persistent liveness faults (500, a bare 401, a reset, a
// timeout) ended not-confirmed (exit 4) on a healthy resume, though the
// run had seen the token accepted; a snapshot that saw it refused proves
// nothing, and one of another key neither.
func TestConfirmCountsTheSnapshotThatSawTheTokenLive(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	fp := redact.Fingerprint(f.fx.LeakedToken)
	failed := report.Step{ID: "liveness", Action: "github.token_liveness", Status: report.StepFailed}
	snap := func(live bool) report.Step {
		return report.Step{ID: "snapshot", Action: "github.snapshot_token", Status: report.StepOK, Outputs: map[string]any{"live": live, "login": "mallory"}}
	}
	for _, tc := range []struct {
		name  string
		steps []report.Step
		keys  []report.KeyOutcome
		want  string
	}{
		{"snapshot live", []report.Step{failed, snap(true)}, nil, report.ContainmentConfirmed},
		{"snapshot refused", []report.Step{failed, snap(false)}, nil, report.ContainmentNotConfirmed},
		{"snapshot of another key", []report.Step{failed, snap(true)}, []report.KeyOutcome{
			{KeyRef: report.KeyRef{Label: "k1", Fingerprint: "0badf00d", Steps: []string{"snapshot"}}},
			{KeyRef: report.KeyRef{Label: "k2", Fingerprint: fp, Steps: []string{"liveness", "confirm"}}}}, report.ContainmentNotConfirmed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.fx.State.RevokeToken(f.fx.LeakedToken, time.Now().Add(-time.Minute))
			env, rec := f.newEnv(report.ModeLive)
			env.Step = "confirm"
			rep := &report.Report{Steps: tc.steps, Keys: tc.keys}
			env.Report = func() (*report.Report, error) { return rep, nil }
			run(t, env, "github.confirm_revoked", map[string]any{"key": f.fx.LeakedToken, "interval": "50ms", "timeout": "2s"})
			if len(rec.containment) != 1 || rec.containment[0].Status != tc.want {
				t.Fatalf("containment %+v, want %s", rec.containment, tc.want)
			}
		})
	}
}

// In a run of several keys, github.token_liveness runs once per key: the
// persistence step of k1 read the login of the last liveness step of the
// run, k2's, and looked for SSH keys added to the wrong account. It now
// reads its own key's; a run of one key is unchanged.
func TestEarlierOutputIsThisKeysStep(t *testing.T) {
	rep := &report.Report{
		Steps: []report.Step{
			{ID: "k1-liveness", Action: "github.token_liveness", Outputs: map[string]any{"login": "alice"}},
			{ID: "k2-liveness", Action: "github.token_liveness", Outputs: map[string]any{"login": "mallory"}},
		},
		Keys: []report.KeyOutcome{
			{KeyRef: report.KeyRef{Label: "k1", Fingerprint: "11111111", Steps: []string{"k1-liveness", "k1-persistence"}}},
			{KeyRef: report.KeyRef{Label: "k2", Fingerprint: "22222222", Steps: []string{"k2-liveness", "k2-persistence"}}},
		},
	}
	env := &actions.Env{Report: func() (*report.Report, error) { return rep, nil }}
	for step, want := range map[string]string{"k1-persistence": "alice", "k2-persistence": "mallory"} {
		env.Step = step
		if got := earlier(env, "github.token_liveness", "login"); got != want {
			t.Errorf("%s: login %q, want %q", step, got, want)
		}
	}
	rep.Keys = nil
	env.Step = "persistence"
	if got := earlier(env, "github.token_liveness", "login"); got != "mallory" {
		t.Errorf("one key: login %q, want the last step's", got)
	}
}
