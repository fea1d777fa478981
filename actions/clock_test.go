package actions

import "testing"
import "time"

// Clock is the step's clock wherever a step asks for the time: Env.Now
// when set, else the wall clock, also for a nil Env.
func TestEnvClock(t *testing.T) {
	fixed := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	if got := (&Env{Now: func() time.Time { return fixed }}).Clock()(); !got.Equal(fixed) {
		t.Fatalf("Clock() with Env.Now set = %v, want %v", got, fixed)
	}
	for _, env := range []*Env{nil, {}} {
		before := time.Now()
		if got := env.Clock()(); got.Before(before) || got.After(time.Now()) {
			t.Fatalf("Clock() without Env.Now (env %v) = %v, not the wall clock", env, got)
		}
	}
}
