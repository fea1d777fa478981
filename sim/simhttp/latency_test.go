package simhttp

import "context"
import "testing"
import "time"

// Latency waits its whole duration and stops when the context ends.
func TestLatencyWaitsItsDuration(t *testing.T) {
	for range 5 {
		t0 := time.Now()
		if !Latency(context.Background(), 20*time.Millisecond) {
			t.Fatal("Latency reported an early end")
		}
		if d := time.Since(t0); d < 20*time.Millisecond {
			t.Fatalf("waited %s, less than 20ms", d)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Latency(ctx, time.Second) {
		t.Error("Latency ignored a cancelled context")
	}
}
