package prove

import "context"
import "net/http"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"

// TestContainmentTakesThreeRoundTrips: the liveness check and the key's
// snapshot are read at once, so the DELETE goes out after one round trip
// and the proof (the key's own 401) after three. With 250 ms added to every
// SendGrid answer the time to containment must stay under four round trips
// (the old sequential liveness-then-snapshot took four and more); the
// margin, one round trip, absorbs a loaded machine's overhead. The
// benchmark BenchmarkFullRunContainment50ms measures the same path at 50 ms.
func TestContainmentTakesThreeRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of added latency")
	}
	const rtt = 250 * time.Millisecond
	sc, _ := sendgridsim.LookupScenario("persistence")
	fx := sc.Build(time.Now())
	fx.Attack(fx.State)
	fx.Config.Limits = nil
	fx.Config.Latency = rtt
	w := newWorldFrom(t, fx)
	res, err := w.run(context.Background(), nil)
	// The assessment steps after it may run out of their 2 s step timeout
	// at this latency (exit 3); containment is the subject here.
	if err != nil || res.Report.Run.Containment.Status != "confirmed" {
		t.Fatalf("run: %v %+v", err, res)
	}
	ttc := res.Report.Run.Containment.TimeToContainment
	t.Logf("time to containment %s at %s per round trip", ttc, rtt)
	if ttc < 3*rtt || ttc >= 4*rtt {
		t.Fatalf("time to containment %s: want three round trips (%s ≤ ttc < %s)", ttc, 3*rtt, 4*rtt)
	}
	// Exactly one read-only round before the DELETE: every request sent
	// before it started within one round trip of the first.
	var first, del time.Time
	for _, r := range w.sg.Requests() {
		if first.IsZero() {
			first = r.Time
		}
		if r.Method == http.MethodDelete {
			del = r.Time
			break
		}
	}
	if del.IsZero() || del.Sub(first) >= 2*rtt {
		t.Fatalf("the DELETE went out %s after the first request: more than one round trip of reads", del.Sub(first))
	}
}
