package simhttp

import "testing"
import "time"

// A revoked credential keeps authenticating for exactly PropagationDelay;
// one never revoked (zero RevokedAt) never stops.
func TestBaseRevokedAfterPropagation(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	b := Base{PropagationDelay: 2 * time.Second}
	for _, c := range []struct {
		revokedAt, now time.Time
		want           bool
	}{
		{time.Time{}, at, false},
		{at, at, false},
		{at, at.Add(2*time.Second - 1), false},
		{at, at.Add(2 * time.Second), true},
		{at, at.Add(time.Hour), true},
	} {
		if got := b.Revoked(c.revokedAt, c.now); got != c.want {
			t.Errorf("Revoked(%v, %v) = %v, want %v", c.revokedAt, c.now, got, c.want)
		}
	}
	if !(Base{}).Revoked(at, at) {
		t.Error("without a propagation delay a revocation takes effect at once")
	}
}

// WithClock fills in only a missing clock.
func TestBaseWithClock(t *testing.T) {
	if (Base{}).WithClock().Now == nil {
		t.Fatal("WithClock left Now nil")
	}
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := (Base{Now: func() time.Time { return fixed }}).WithClock().Now(); !got.Equal(fixed) {
		t.Fatalf("WithClock replaced the caller's clock: %v", got)
	}
}
