package actions

import "testing"
import "time"

func TestWindowBoundsDefaultsAndCheck(t *testing.T) {
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.FixedZone("X", 3600))
	env := &Env{Now: func() time.Time { return now }}
	start, end := Window{}.Bounds(env)
	if !end.Equal(now) || end.Location() != time.UTC || !start.Equal(now.Add(-DefaultWindow)) {
		t.Fatalf("open window = %s .. %s, want the 7 days before %s, in UTC", start, end, now)
	}
	given := now.Add(-time.Hour)
	if start, _ := (Window{WindowStart: given}).Bounds(env); !start.Equal(given) {
		t.Fatalf("start %s, want the one given %s", start, given)
	}
	if err := (Window{WindowStart: now, WindowEnd: now}).CheckWindow(); err == nil {
		t.Fatal("an empty window was accepted")
	}
	if err := (Window{WindowStart: given, WindowEnd: now}).CheckWindow(); err != nil {
		t.Fatalf("a good window was refused: %v", err)
	}
}
