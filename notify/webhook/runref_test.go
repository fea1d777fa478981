package webhook

import "encoding/json"
import "testing"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/report"

// The run's identity is notify.RunRef embedded in the payload: its fields
// must stay top-level members with their documented names (a receiver reads
// run_id, not run_ref.run_id), and omitted when empty where the schema says.
func TestPayloadRunIdentityIsFlat(t *testing.T) {
	ev := notify.Event{Kind: notify.Opened, RunRef: notify.RunRef{RunID: "run-1", Incident: "INC-7", Playbook: "pb", Mode: report.ModeLive, Operator: "alice"}}
	b, err := json.Marshal(NewPayload(ev))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"run_id": "run-1", "incident": "INC-7", "playbook": "pb", "mode": string(report.ModeLive), "operator": "alice"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("payload[%q] = %v, want %v (payload %s)", k, m[k], v, b)
		}
	}
	b, _ = json.Marshal(NewPayload(notify.Event{Kind: notify.Opened, RunRef: notify.RunRef{RunID: "run-2"}}))
	m = nil
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"incident", "playbook", "operator"} {
		if _, ok := m[k]; ok {
			t.Errorf("empty %s is in the payload: %s", k, b)
		}
	}
	if _, ok := m["run_ref"]; ok {
		t.Errorf("the run's identity is nested: %s", b)
	}
}
