package chatops_test

import "context"
import "crypto/rand"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "log"
import "os"
import "path/filepath"
import "slices"
import "sort"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/slack-go/slack"
import "github.com/slack-go/slack/socketmode"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

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
func BenchmarkServeAckLatency(b *testing.B) { serveAck(b, 100) }

// BenchmarkServeAckScaling is BenchmarkServeAckLatency at 10, 100 and
// 1,000 concurrent commands; its floor is internal/prove's
// BenchmarkBareAckScaling at the same counts.
func BenchmarkServeAckScaling(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { serveAck(b, n) })
	}
}

func serveAck(b *testing.B, concurrent int) {
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

	var lat []time.Duration
	var burstP99 []time.Duration // each burst's own p99: a stall shows in the bursts it hits
	var mu sync.Mutex
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := len(lat)
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
		burst := slices.Sorted(slices.Values(lat[from:]))
		burstP99 = append(burstP99, burst[int(0.99*float64(len(burst)-1))])
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
	slices.Sort(burstP99)
	b.ReportMetric(float64(burstP99[len(burstP99)/2].Microseconds())/1000, "burst-p99-median-ms")
	b.ReportMetric(float64(burstP99[len(burstP99)-1].Microseconds())/1000, "burst-p99-worst-ms")
	b.Logf("%d commands, %d at a time, run in flight: p50 %s, p99 %s, max %s; per-burst p99 median %s, worst %s", len(lat), concurrent, pct(0.50), pct(0.99), lat[len(lat)-1],
		burstP99[len(burstP99)/2], burstP99[len(burstP99)-1])
}

// pushAll pushes envelopes to the simulator's Socket Mode connection as
// fast as its write queue takes them and returns the latency of each ack:
// from the push to the simulator's receipt of the ack.
func pushAll(b *testing.B, sim *slacksim.Server, envs []slacksim.Envelope) []time.Duration {
	b.Helper()
	sent := map[string]time.Time{}
	for _, env := range envs {
		for {
			t0 := time.Now()
			id, err := sim.Push(env)
			if err == nil {
				sent[id] = t0
				break
			}
			if errors.Is(err, slacksim.ErrNoSocket) {
				b.Fatal(err)
			}
			time.Sleep(100 * time.Microsecond) // the write queue is full
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var lat []time.Duration
	for id, t0 := range sent {
		ack, err := sim.WaitAck(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, ack.Time.Sub(t0))
	}
	return lat
}

func reportLatency(b *testing.B, lat []time.Duration, what string) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.Logf("%s: %d envelopes, 100 at a time: p50 %s, p99 %s, max %s", what, len(lat), pct(0.50), pct(0.99), lat[len(lat)-1])
}

func slashEnvelope(w *world, user, text string) slacksim.Envelope {
	return slacksim.Envelope{Type: "slash_commands", AcceptsResponsePayload: true, Payload: map[string]any{
		"team_id": team, "api_app_id": appID, "user_id": user, "channel_id": channel, "command": "/keyir", "text": text,
		"response_url": w.slack.NewResponseURL("", channel, user)}}
}

// BenchmarkSocketAckLatency is BenchmarkServeAckLatency over Socket Mode:
// 100 /keyir revoke envelopes pushed at once by the Slack simulator while a
// live run is in flight; each ack (whose payload is the reply) is sent after
// the envelope is recorded against replay, audited and its pending request
// recorded, all synced. Latency: from the push to the simulator's receipt
// of the ack. Its floor is BenchmarkBareSocketAck100.
func BenchmarkSocketAckLatency(b *testing.B) {
	hold := holdStep{step: "activity", started: make(chan struct{}), release: make(chan struct{}), once: &sync.Once{}}
	w := newWorld(b, func(w *world) {
		w.mods = func(o *chatops.Options) {
			o.RunOptions = func(po *playbook.Options) { po.Observer = playbook.Observers{po.Observer, hold} }
		}
	})
	defer close(hold.release)
	w.socketMode()
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+w.fx.LeakedKey+" INC-BENCH")
	r := w.request(id, chatops.StatePending)
	w.click(bob, chatops.ActionApprove, r)
	<-hold.started // the run is in flight: revoked, now held before the activity step

	const concurrent = 100
	var lat []time.Duration
	commits := chatops.Commits()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		envs := make([]slacksim.Envelope, concurrent)
		for j := range envs {
			user := alice
			if j%2 == 1 {
				user = bob
			}
			envs[j] = slashEnvelope(w, user, "revoke "+randomKeyID()+" INC-B")
		}
		lat = append(lat, pushAll(b, w.slack, envs)...)
	}
	b.StopTimer()
	// Commits during the bursts (plans posted after the acks add a few).
	b.ReportMetric(float64(chatops.Commits()-commits)/float64(b.N), "commits")
	for _, a := range w.slack.Acks() {
		var rep chatops.Reply
		if len(a.Payload) > 0 && string(a.Payload) != "null" && (json.Unmarshal(a.Payload, &rep) != nil || rep.Text == "") {
			b.Fatalf("ack without a reply: %s", a.Payload)
		}
	}
	if n := len(w.srv.Requests()); n < b.N*concurrent {
		b.Fatalf("%d requests recorded, want at least %d", n, b.N*concurrent)
	}
	reportLatency(b, lat, "keyir serve over Socket Mode, run in flight")
}

// BenchmarkBareSocketAck100: the floor of BenchmarkSocketAckLatency. The
// same simulator pushes 100 envelopes of the same size at once to a
// slack-go Socket Mode client that acks each at once with a reply of the
// same shape, doing nothing else.
func BenchmarkBareSocketAck100(b *testing.B) {
	bareSocketAcks(b, "bare Socket Mode client", func(socketmode.Request) bool { return true })
}

// bareSocketAcks runs a slack-go Socket Mode client that acks every slash
// command envelope with a reply of serve's size once durable(req) returns
// true (false: never), and reports the latency of 100 envelopes pushed at
// once.
func bareSocketAcks(b *testing.B, what string, durable func(socketmode.Request) bool) {
	w := newWorld(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := slack.New(w.slack.BotToken(), slack.OptionAppLevelToken(w.slack.AppToken()), slack.OptionAPIURL(w.apiURL))
	client := socketmode.New(api, socketmode.OptionLog(log.New(io.Discard, "", 0)))
	go client.RunContext(ctx)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				if evt.Request != nil && evt.Type == socketmode.EventTypeSlashCommand {
					go func() {
						if durable(*evt.Request) {
							client.Ack(*evt.Request, chatops.Reply{ResponseType: "ephemeral", Text: strings.Repeat("x", 200)})
						}
					}()
				}
			}
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := w.slack.WaitSocket(wctx); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		envs := make([]slacksim.Envelope, 100)
		for j := range envs {
			envs[j] = slashEnvelope(w, alice, "revoke "+randomKeyID()+" INC-B")
		}
		lat = append(lat, pushAll(b, w.slack, envs)...)
	}
	b.StopTimer()
	reportLatency(b, lat, what)
}

// BenchmarkBareDurableSocketAck100: the second, honest floor of
// BenchmarkSocketAckLatency. The bare client of BenchmarkBareSocketAck100
// does no I/O at all, which no acknowledgement that waits for an fsync can
// match; this one does the least a durable acknowledgement needs: it
// appends each envelope to a file and acks once a group fsync (one at a
// time, covering every append made before it started) has covered it.
func BenchmarkBareDurableSocketAck100(b *testing.B) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "envelopes.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	g := &groupSync{f: f}
	g.cond = sync.NewCond(&g.mu)
	bareSocketAcks(b, "bare Socket Mode client, append + group fsync before each ack", func(req socketmode.Request) bool {
		return g.appendSynced(append(req.Payload, '\n')) == nil // not durable: not acked
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	b.ReportMetric(float64(g.syncs), "fsyncs")
}

// groupSync appends lines to f and returns once an fsync begun after the
// append has ended: one fsync at a time, each covering every append made
// before it began.
type groupSync struct {
	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	written int64 // appends made
	synced  int64 // appends covered by a finished fsync
	syncing bool
	syncs   int
	err     error
}

func (g *groupSync) appendSynced(line []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, err := g.f.Write(line); err != nil {
		return err
	}
	g.written++
	mine := g.written
	for g.synced < mine && g.err == nil {
		if g.syncing {
			g.cond.Wait()
			continue
		}
		g.syncing = true
		upto := g.written
		g.mu.Unlock()
		err := g.f.Sync()
		g.mu.Lock()
		g.syncing, g.synced, g.err = false, upto, err
		g.syncs++
		g.cond.Broadcast()
	}
	return g.err
}
