package sendgrid

import "fmt"
import "math/rand/v2"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// TestActivitySmallSpansFitOneRateWindow: a few thousand messages, spread
// evenly (3,500 over six days) or in a burst (4,210 in 36 hours of a
// 7-day window, as the spam-burst scenario), take at most 6 queries for
// every one of eight window ends (the simulator's order is seeded by the
// query): the first capped answer and five more, what Email Activity allows
// in a minute, so the run never waits for the limit. The sweep's first window of 30 sample points took 7 or 8
// for some ends, and the pacer then waited for the next minute.
func TestActivitySmallSpansFitOneRateWindow(t *testing.T) {
	base := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	for _, c := range []struct {
		name  string
		n     int
		burst time.Duration // 0: evenly over six days
	}{{"even-3500", 3500, 0}, {"burst-4210", 4210, 36 * time.Hour}} {
		for e := range 8 {
			end := base.Add(time.Duration(e*7919) * time.Second)
			// Email Activity's own limit, as the live API: 6 queries a minute.
			f := newFixture(t, func(c *sendgridsim.Config) {
				c.Limits = map[string]sendgridsim.Limit{"*": {Requests: 100000, Window: time.Minute},
					"GET /v3/messages": sendgridsim.DefaultConfig().Limits["GET /v3/messages"]}
			})
			if c.burst == 0 {
				addMessages(f, f.leaked.ID, c.n, end, 6*24*time.Hour)
			} else {
				rng := rand.New(rand.NewPCG(uint64(e), 42))
				ms := make([]sendgridsim.Message, c.n)
				for i := range ms {
					ms[i] = sendgridsim.Message{ID: fmt.Sprintf("s%05d", i), APIKeyID: f.leaked.ID, From: "a@x.example",
						To: fmt.Sprintf("u%d@d.example", i), Subject: "s", Status: "delivered",
						LastEventTime: end.Add(-time.Duration(rng.Int64N(int64(c.burst)))).Truncate(time.Second)}
				}
				f.st.AddMessages(ms...)
			}
			env, rec := f.env(report.ModeLive)
			out, err := run(t, env, "sendgrid.activity", map[string]any{"key_id": f.leaked.ID,
				"window_start": end.Add(-7 * 24 * time.Hour).Format(time.RFC3339), "window_end": end.Format(time.RFC3339)})
			if err != nil || out["messages"] != c.n || out["complete"] != true {
				t.Fatalf("%s, end %d: %v %v", c.name, e, out, err)
			}
			// The simulator's limit windows are the clock's minutes (as
			// X-RateLimit-Reset says): a run crossing into the next
			// minute may spend the queries it brings without waiting
			// (dense uses X-RateLimit-Remaining), so the promise is no
			// wait, which more than 6 queries inside one minute break.
			for _, l := range rec.progress {
				if strings.Contains(l, "rate limited") {
					t.Errorf("%s, end %s: waited for the rate limit after %d queries\n%v", c.name, end.Format(time.RFC3339), out["queries"], rec.progress)
					break
				}
			}
		}
	}
}
