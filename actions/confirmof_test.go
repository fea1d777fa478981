package actions

import "context"
import "testing"
import "time"

// testConfirm is a provider's confirm as ConfirmOf expects it: a struct
// embedding Poll.
type testConfirm struct {
	Key string `param:"key,secret"`
	Poll
}

func (a *testConfirm) Validate() error { return a.CheckPoll() }

func (a *testConfirm) Run(context.Context, *Env) (Outputs, error) { return nil, nil }

// ConfirmOf declares a confirm (the shared containment outputs first) whose
// New gives a fresh action each time, polling within the bounds given, and
// those bounds are the defaults the poll parameters show.
func TestConfirmOfGivesEachRunFreshBounds(t *testing.T) {
	bounds := Poll{Timeout: time.Minute, Interval: 3 * time.Second, MaxInterval: 9 * time.Second}
	info := ConfirmOf[testConfirm]("p.confirm", "proves", bounds, Output{Name: "refusal"})
	if !info.Contains || info.Mutates || len(info.Outputs) != len(ContainmentOutputs)+1 || info.Outputs[0] != ContainmentOutputs[0] {
		t.Fatalf("ConfirmOf = %+v, want a containment step that changes nothing, with ContainmentOutputs first", info)
	}
	a, ok := info.New().(*testConfirm)
	if !ok || a.Poll != bounds {
		t.Fatalf("New() = %#v, want a *testConfirm polling within %+v", info.New(), bounds)
	}
	a.Interval = time.Hour
	if b := info.New().(*testConfirm); b == a || b.Poll != bounds {
		t.Fatalf("a second New() = %+v: it shares the first run's action or bounds", b.Poll)
	}
	defaults := map[string]string{}
	for _, p := range paramsOf(info.New()) {
		defaults[p.Name] = p.Default
	}
	if defaults["interval"] != "3s" || defaults["max_interval"] != "9s" {
		t.Fatalf("poll parameter defaults = %v, want interval 3s and max_interval 9s (the bounds given)", defaults)
	}
}

// ConfirmPoll keeps the bounds the SendGrid and GitHub confirms always
// polled within.
func TestConfirmPollBounds(t *testing.T) {
	if want := (Poll{Timeout: 5 * time.Minute, Interval: 5 * time.Second, MaxInterval: 30 * time.Second}); ConfirmPoll != want {
		t.Fatalf("ConfirmPoll = %+v, want %+v", ConfirmPoll, want)
	}
}
