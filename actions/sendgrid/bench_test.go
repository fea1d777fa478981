package sendgrid

import "context"
import "math"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// BenchmarkActivity100k: queries per retrieval of 100,000 messages against
// the ideal ceil(N/1000). The 6/min limit of Email Activity is lifted here
// (it would make one op take 17 minutes); TestActivityFaults covers waiting it out.
func BenchmarkActivity100k(b *testing.B) {
	const n = 100000
	f := newFixture(b, nil)
	end := time.Now().UTC().Truncate(time.Second)
	addMessages(f, f.leaked.ID, n, end, 6*24*time.Hour)
	env, _ := f.env(report.ModeLive)
	env.Recorder = discard{}
	b.ResetTimer()
	var queries int
	for range b.N {
		out, err := run(b, env, "sendgrid.activity", map[string]any{"key_id": f.leaked.ID, "window_end": end.Format(time.RFC3339)})
		if err != nil || out["messages"] != n {
			b.Fatalf("%v %v", out, err)
		}
		queries = out["queries"].(int)
	}
	b.ReportMetric(float64(queries), "queries/op")
	b.ReportMetric(math.Ceil(n/1000.0), "ideal-queries/op")
}

// BenchmarkRevoke1000: 1000 deletes with DELETE limited to 100/s: wall
// seconds against the 10 s floor, and how many 429s the retry absorbed.
func BenchmarkRevoke1000(b *testing.B) {
	for range b.N {
		b.StopTimer()
		f, env, ids := limitedKeys(b, 1000)
		b.StartTimer()
		start := time.Now()
		out, err := run(b, env, "sendgrid.revoke_key", map[string]any{"key_ids": ids, "concurrency": 8})
		wall := time.Since(start)
		if err != nil || len(out["revoked"].([]string)) != 1000 {
			b.Fatalf("%v", err)
		}
		n429 := 0
		for _, r := range f.srv.Requests() {
			if r.Status == 429 {
				n429++
			}
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(10, "floor-s")
		b.ReportMetric(float64(n429), "429s")
	}
}

// BenchmarkContainment50ms: revoke + confirm at 50 ms simulated latency,
// against one bare DELETE at the same latency.
func BenchmarkContainment50ms(b *testing.B) {
	for range b.N {
		b.StopTimer()
		f := newFixture(b, func(c *sendgridsim.Config) { c.Latency = 50 * time.Millisecond })
		env, _ := f.env(report.ModeLive)
		env.Recorder = discard{}
		// One bare DELETE of another key.
		other := sendgridsim.NewKey(f.rng, "other", nil)
		f.st.AddKey(other)
		c, _ := newClient(env, "", "")
		t0 := time.Now()
		if _, err := c.do(context.Background(), "DELETE", "/v3/api_keys/"+other.ID, nil); err != nil {
			b.Fatal(err)
		}
		bare := time.Since(t0)
		b.StartTimer()
		env.RunStarted = time.Now()
		if _, err := run(b, env, "sendgrid.revoke_key", map[string]any{"key_id": f.leaked.ID}); err != nil {
			b.Fatal(err)
		}
		out, err := run(b, env, "sendgrid.confirm_revoked", map[string]any{"key": f.leaked.Token(), "interval": "20ms", "timeout": "10s"})
		if err != nil {
			b.Fatal(err)
		}
		ttc := time.Duration(out["time_to_containment_ms"].(int64)) * time.Millisecond
		b.ReportMetric(float64(ttc.Milliseconds()), "ttc-ms")
		b.ReportMetric(float64(bare.Milliseconds()), "bare-delete-ms")
		b.ReportMetric(float64(ttc)/float64(bare), "ratio")
	}
}

type discard struct{}

func (discard) Evidence(string, any) (string, error) { return "", nil }
func (discard) Finding(report.Finding)               {}
func (discard) Note(string)                          {}
func (discard) Progress(string)                      {}
func (discard) Containment(report.Containment)       {}
func (discard) Planned(report.PlannedChange)         {}
