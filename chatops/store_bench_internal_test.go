package chatops

import "fmt"
import "slices"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// BenchmarkStoreSaveBursts: bursts of 100 concurrent saves in a row (each
// request saved twice, as a command's pending record and its plan's
// update: about 90 KB of log per burst, so the log passes logCheckpoint
// every dozen bursts), through the real group commit and fsyncs. Each
// op is a burst; reported: the median and the worst of the bursts' own p99,
// and the p99 over every save. It isolates the request store from the HTTP
// handling that BenchmarkServeAckLatency also measures. Run it with
// -benchtime 30x.
func BenchmarkStoreSaveBursts(b *testing.B) {
	s, err := openStore(b.TempDir(), redact.New())
	if err != nil {
		b.Fatal(err)
	}
	defer s.log.Close()
	var all, burstP99 []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lat := make([]time.Duration, 100)
		var wg sync.WaitGroup
		for j := range lat {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("req_%012x%012x", i, j)
				t0 := time.Now()
				for v := int64(1); v <= 2; v++ {
					if err := s.save(testRequest(id, v, StatePending)); err != nil {
						b.Error(err)
					}
				}
				lat[j] = time.Since(t0)
			}()
		}
		wg.Wait()
		slices.Sort(lat)
		burstP99 = append(burstP99, lat[98])
		all = append(all, lat...)
	}
	b.StopTimer()
	s.settle()
	slices.Sort(all)
	slices.Sort(burstP99)
	b.ReportMetric(float64(burstP99[len(burstP99)/2].Microseconds())/1000, "burst-p99-median-ms")
	b.ReportMetric(float64(burstP99[len(burstP99)-1].Microseconds())/1000, "burst-p99-worst-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}
