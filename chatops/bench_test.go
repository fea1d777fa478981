package chatops_test

import (
	"crypto/rand"
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/keyir/keyir/chatops"
	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/report"
)

// holdStep blocks the run at the start of a step until release is closed:
// a run in flight for as long as the benchmark needs.
type holdStep struct {
	step    string
	started chan struct{}
	release chan struct{}
	once    *sync.Once
}

func (h holdStep) RunStarted(*report.Report, string) {}
func (h holdStep) StepStarted(s report.Step) {
	if s.ID == h.step {
		h.once.Do(func() { close(h.started) })
		<-h.release
	}
}
func (h holdStep) StepProgress(report.Step, string)   {}
func (h holdStep) StepFinished(report.Step)           {}
func (h holdStep) RunFinished(*report.Report, string) {}

func randomKeyID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	b := make([]byte, 22)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// BenchmarkServeAckLatency measures how long Slack waits for keyir serve's
// answer (the HTTP 200 with the reply) when 100 signed /keyir revoke
// commands arrive at once while a live run is in flight. Each command is
// verified, audited (fsync), authorized, and recorded as a pending request
// (atomic write + fsync) before the answer; reading the key and posting the
// plan happen afterwards. Reported: p50 and p99 over every command of every
// iteration, and the worst.
func BenchmarkServeAckLatency(b *testing.B) {
	hold := holdStep{step: "activity", started: make(chan struct{}), release: make(chan struct{}), once: &sync.Once{}}
	w := newWorld(b, func(w *world) {
		w.mods = func(o *chatops.Options) {
			o.RunOptions = func(po *playbook.Options) { po.Observer = playbook.Observers{po.Observer, hold} }
		}
	})
	defer close(hold.release)
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+w.fx.LeakedKey+" INC-BENCH")
	r := w.request(id, chatops.StatePending)
	w.click(bob, chatops.ActionApprove, r)
	<-hold.started // the run is in flight: revoked, now held before the activity step

	const concurrent = 100
	var lat []time.Duration
	var mu sync.Mutex
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bodies := make([][]byte, concurrent)
		for j := range bodies {
			user := alice
			if j%2 == 1 {
				user = bob
			}
			bodies[j] = commandForm(w, user, channel, "revoke "+randomKeyID()+" INC-B", reqOpt{})
		}
		var wg sync.WaitGroup
		startGate := make(chan struct{})
		for j := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-startGate
				t0 := time.Now()
				resp, body := w.postSigned("/slack/commands", bodies[j], reqOpt{})
				d := time.Since(t0)
				var rep chatops.Reply
				if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Text == "" {
					b.Errorf("status %d: %s", resp.StatusCode, body)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}()
		}
		close(startGate)
		wg.Wait()
	}
	b.StopTimer()
	if got := w.srv.Requests(); func() bool {
		for _, q := range got {
			if q.KeyID == id {
				return q.State != chatops.StateApproved
			}
		}
		return true
	}() {
		b.Fatal("the run was not in flight during the benchmark")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.Logf("%d commands, %d at a time, run in flight: p50 %s, p99 %s, max %s", len(lat), concurrent, pct(0.50), pct(0.99), lat[len(lat)-1])
}
