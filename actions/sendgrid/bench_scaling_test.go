package sendgrid

import "fmt"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// BenchmarkRevokeScaling is BenchmarkRevoke1000 at 10, 100 and 1,000
// keys, for the scaling table (scripts/bench.sh --scaling): DELETE limited
// to 100/s, 8 at a time, through the client as it is. Its floor is the
// naive n/100 s.
func BenchmarkRevokeScaling(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f := newFixture(b, func(c *sendgridsim.Config) {
					c.Limits["DELETE /v3/api_keys/{api_key_id}"] = sendgridsim.Limit{Requests: 100, Window: time.Second}
				})
				ids := make([]string, n)
				for i := range ids {
					k := sendgridsim.NewKey(f.rng, fmt.Sprint("k", i), nil)
					f.st.AddKey(k)
					ids[i] = k.ID
				}
				env, _ := f.env(report.ModeLive)
				env.Recorder = discard{}
				b.StartTimer()
				start := time.Now()
				out, err := run(b, env, "sendgrid.revoke_key", map[string]any{"key_ids": ids, "concurrency": 8})
				wall := time.Since(start)
				if err != nil || len(out["revoked"].([]string)) != n {
					b.Fatalf("%v", err)
				}
				n429 := 0
				for _, r := range f.srv.Requests() {
					if r.Status == 429 {
						n429++
					}
				}
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(float64(n)/100, "floor-s")
				b.ReportMetric(float64(n429), "429s")
			}
		})
	}
}
