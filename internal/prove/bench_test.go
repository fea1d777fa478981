package prove

import "context"
import "fmt"
import "github.com/keyir/keyir/report"
import "io"
import "math"
import "math/rand/v2"
import "net/http"
import "net/http/httptest"
import "os"
import "os/exec"
import "path/filepath"
import "sort"
import "strings"
import "sync"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"

// buildKeyir builds the keyir command once per benchmark process.
var (
	buildOnce sync.Once
	keyirBin  string
	buildErr  error
)

func keyirBinary(b *testing.B) string {
	b.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "keyir-bench-")
		if err != nil {
			buildErr = err
			return
		}
		keyirBin = filepath.Join(dir, "keyir")
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		out, err := exec.Command(goTool, "build", "-o", keyirBin, "../../cmd/keyir").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return keyirBin
}

// BenchmarkFullRunContainment50ms: time to containment of the whole
// sendgrid-key-compromise run from its start (identify, locate — liveness
// and the key's owner and scopes read at once —, notify_open, revoke,
// confirm) with 50 ms added to every SendGrid answer,
// against one bare DELETE at the same latency sent by curl (net/http when
// curl is not installed; the metric's name says which).
func BenchmarkFullRunContainment50ms(b *testing.B) {
	curl, _ := exec.LookPath("curl")
	for range b.N {
		b.StopTimer()
		w := newWorld(b)
		sc, _ := sendgridsim.LookupScenario("persistence")
		fx := sc.Build(time.Now())
		fx.Attack(fx.State)
		fx.Config.Limits = nil
		fx.Config.Latency = 50 * time.Millisecond
		srv := sendgridsim.New(fx.State, fx.Config)
		hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
		if err != nil {
			b.Fatal(err)
		}
		base, shutdown := hosts.URL, hosts.Shutdown
		w.fx, w.sg, w.env["SENDGRID_API_KEY"], w.env["SENDGRID_API_URL"], w.env["SENDGRID_API_URL_EU"] = fx, srv, fx.ResponderKey, base, hosts.EUURL
		other := sendgridsim.NewKey(rand.New(rand.NewPCG(1, 1)), "other", nil)
		fx.State.AddKey(other)
		bare := bareDelete(b, curl, base+"/v3/api_keys/"+other.ID, fx.ResponderKey)
		b.StartTimer()
		res, err := w.run(context.Background(), nil)
		b.StopTimer()
		shutdown(context.Background())
		if err != nil || res.ExitCode != report.ExitFootholdsOpen { // the attack's footholds stay open
			b.Fatalf("run: %v %+v", err, res)
		}
		ttc := res.Report.Run.Containment.TimeToContainment
		if testing.Verbose() {
			logTimeline(b, res.Dir, res.Report.Run.Started, srv.Requests())
		}
		b.ReportMetric(float64(ttc.Milliseconds()), "ttc-ms")
		if curl != "" {
			b.ReportMetric(float64(bare.Milliseconds()), "curl-delete-ms")
		} else {
			b.ReportMetric(float64(bare.Milliseconds()), "nethttp-delete-ms")
		}
		b.ReportMetric(float64(ttc)/float64(bare), "ratio")
		b.StartTimer()
	}
}

// logTimeline logs each journal event of a run as its offset from the run's
// start (go test -v): where the milliseconds of the time to containment go.
func logTimeline(b *testing.B, dir string, start time.Time, reqs []sendgridsim.Request) {
	b.Helper()
	events, _, err := runstore.ReadJournal(dir)
	if err != nil {
		b.Fatal(err)
	}
	type line struct {
		at   time.Duration
		text string
	}
	var lines []line
	for _, e := range events {
		text := fmt.Sprintf("%-20s %s", e.Type, e.Step)
		if e.Containment != nil {
			text += fmt.Sprintf(" (%s)", e.Containment.Status)
		}
		lines = append(lines, line{e.Time.Sub(start), text})
	}
	for _, r := range reqs {
		lines = append(lines, line{r.Time.Sub(start), fmt.Sprintf("  -> simulator %s %s %s %s", r.Host, r.Method, r.Path, r.Header.Get("On-Behalf-Of"))})
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at < lines[j].at })
	var sb strings.Builder
	for _, l := range lines {
		if l.at > time.Second {
			break
		}
		fmt.Fprintf(&sb, "\n%8.2f ms  %s", float64(l.at.Microseconds())/1000, l.text)
	}
	b.Logf("journal of %s (event times are taken before each line's write and fsync; simulator times when a request arrived):%s", filepath.Base(dir), sb.String())
}

func bareDelete(b *testing.B, curl, u, key string) time.Duration {
	b.Helper()
	t0 := time.Now()
	if curl != "" {
		out, err := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "-H", "Authorization: Bearer "+key, u).Output()
		if err != nil || string(out) != "204" {
			b.Fatalf("curl DELETE: %v %s", err, out)
		}
		return time.Since(t0)
	}
	req, _ := http.NewRequest(http.MethodDelete, u, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		b.Fatalf("DELETE: %v %v", err, resp)
	}
	resp.Body.Close()
	return time.Since(t0)
}

// watchHWM samples VmHWM (the peak resident set, KiB) of a running process
// from /proc every 2 ms; the returned function stops and gives the highest
// value seen. getrusage's ru_maxrss cannot be used: a child started from this
// (large) process inherits the parent's high-water mark at exec.
func watchHWM(pid int) func() int64 {
	var mu sync.Mutex
	var peak int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					var kb int64
					if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
						mu.Lock()
						peak = max(peak, kb)
						mu.Unlock()
					}
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// BenchmarkReport200k: a whole `keyir run` (a separate process, the
// simulator in this one) over an account whose leaked key sent 200,000
// messages in the window: wall time and peak RSS of the keyir process
// (VmHWM, sampled). Baselines from the same run: the wall time of a
// bare client sending exactly the Email Activity queries keyir sent and
// reading their answers; the peak RSS of an idle keyir process (the
// floor); and the bytes of those answers (a peak RSS below them means the
// messages are streamed into aggregates, never held).
func BenchmarkReport200k(b *testing.B) {
	for range b.N {
		reportRun(b, 200000)
	}
}

// BenchmarkReportScaling is BenchmarkReport200k at 1k, 10k, 100k and 1M
// messages, for the scaling table (scripts/bench.sh --scaling).
func BenchmarkReportScaling(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000, 1000000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for range b.N {
				reportRun(b, n)
			}
		})
	}
}

// reportRun runs keyir over n messages once and reports the metrics of
// BenchmarkReport200k. KEYIR_BENCH_KEYIR names another keyir binary (a
// build that writes a CPU profile, say) instead of building one.
func reportRun(b *testing.B, n int) {
	bin := os.Getenv("KEYIR_BENCH_KEYIR")
	if bin == "" {
		bin = keyirBinary(b)
	}
	b.StopTimer()
	// The leaked key is live here, and sent n messages over six days.
	st := sendgridsim.NewState()
	rng := rand.New(rand.NewPCG(2, 2))
	leaked := sendgridsim.NewKey(rng, "bulk-sender", []string{"mail.send"})
	responder := sendgridsim.NewKey(rng, "responder", sendgridsim.ResponderScopes())
	st.AddKey(leaked)
	st.AddKey(responder)
	end := time.Now().UTC().Truncate(time.Second)
	msgs := make([]sendgridsim.Message, n)
	for i := range msgs {
		msgs[i] = sendgridsim.Message{ID: fmt.Sprintf("m%07d", i), APIKeyID: leaked.ID, From: "a@example.com",
			To: fmt.Sprintf("user%06d@example.net", i%150000), Subject: fmt.Sprintf("subject %d", i%40), Status: "delivered",
			LastEventTime: end.Add(-time.Duration(i) * (6 * 24 * time.Hour / time.Duration(n)))}
	}
	st.AddMessages(msgs...)
	msgs = nil
	cfg := sendgridsim.DefaultConfig()
	cfg.Limits = nil
	srv := sendgridsim.New(st, cfg)
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		b.Fatal(err)
	}
	base, shutdown := hosts.URL, hosts.Shutdown
	dir := b.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(leaked.Token()+"\n"), 0o600)
	cmd := exec.Command(bin, "run", "sendgrid-key-compromise", "--key-file", keyFile, "--reports", filepath.Join(dir, "reports"),
		"--window-start", end.Add(-7*24*time.Hour).Format(time.RFC3339), "--window-end", end.Add(time.Second).Format(time.RFC3339))
	cmd.Env = append(os.Environ(), "SENDGRID_API_URL="+base, "SENDGRID_API_URL_EU="+hosts.EUURL, "SENDGRID_API_KEY="+responder.Token())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	b.StartTimer()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	rss := watchHWM(cmd.Process.Pid)
	err = cmd.Wait()
	wall := time.Since(t0)
	b.StopTimer()
	peak := rss()
	if err != nil {
		b.Fatalf("keyir run: %v\n%s", err, out.String())
	}
	// The run must have counted every message, or the figure is void.
	dirs, _ := filepath.Glob(filepath.Join(dir, "reports", "*", "report.json"))
	if len(dirs) != 1 {
		b.Fatalf("report.json: %v", dirs)
	}
	rep, err := runstore.Load(filepath.Dir(dirs[0]))
	if err != nil {
		b.Fatal(err)
	}
	counted := -1
	var activity time.Duration
	for _, s := range rep.Steps {
		if s.ID == "activity" {
			activity = s.Duration
			if v, ok := s.Outputs["messages"].(float64); ok {
				counted = int(v)
			} else if v, ok := s.Outputs["messages"].(int); ok {
				counted = v
			}
		}
	}
	if counted != n {
		b.Fatalf("the run counted %d messages, want %d (outputs %v)", counted, n, rep.Steps)
	}
	// The floor: the same queries, sent and read by a bare client.
	var queries []string
	for _, r := range srv.Requests() {
		if r.Route == "GET /v3/messages" {
			queries = append(queries, base+r.Path+"?"+r.RawQuery)
		}
	}
	t1 := time.Now()
	var payload int64
	for _, q := range queries {
		req, _ := http.NewRequest(http.MethodGet, q, nil)
		req.Header.Set("Authorization", "Bearer "+responder.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		nb, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		payload += nb
	}
	fetch := time.Since(t1)
	// The same floor from a process of its own, as keyir is: curl sending
	// the same queries over one connection, answers discarded. The bare
	// client above shares the simulator's process, so each of its queries
	// costs no wake-up of another process; on a loaded machine that
	// difference is part of what separates keyir from it.
	curlFetch := curlQueries(b, dir, queries, responder.Token())
	shutdown(context.Background())
	// The floor: an idle keyir process (the Slack simulator, waiting).
	idle := exec.Command(bin, "sim", "slack", "--listen", "127.0.0.1:0")
	if err := idle.Start(); err != nil {
		b.Fatal(err)
	}
	floor := watchHWM(idle.Process.Pid)
	time.Sleep(300 * time.Millisecond)
	floorRSS := floor()
	idle.Process.Signal(syscall.SIGTERM)
	idle.Wait()
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(activity.Seconds(), "activity-s")
	b.ReportMetric(fetch.Seconds(), "bare-fetch-s")
	if curlFetch > 0 {
		b.ReportMetric(curlFetch.Seconds(), "curl-fetch-s")
	}
	b.ReportMetric(float64(len(queries)), "queries")
	b.ReportMetric(math.Ceil(float64(n)/1000), "ideal-queries")
	b.ReportMetric(float64(peak)/1024, "peak-rss-MiB")
	b.ReportMetric(float64(floorRSS)/1024, "idle-rss-MiB")
	b.ReportMetric(float64(payload)/(1<<20), "payload-MiB")
	b.StartTimer()
}

// curlQueries sends urls with curl (one process, one connection, in
// order, bodies discarded) and returns its wall time; 0 without curl.
func curlQueries(b *testing.B, dir string, urls []string, token string) time.Duration {
	curl, err := exec.LookPath("curl")
	if err != nil || len(urls) == 0 {
		return 0
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "silent\nfail\nheader = \"Authorization: Bearer %s\"\n", token)
	for _, u := range urls {
		fmt.Fprintf(&cfg, "url = \"%s\"\noutput = \"/dev/null\"\n", u)
	}
	path := filepath.Join(dir, "curl.cfg")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if out, err := exec.Command(curl, "-K", path).CombinedOutput(); err != nil {
		b.Fatalf("curl: %v\n%s", err, out)
	}
	return time.Since(t0)
}

// BenchmarkVersionStartup: `keyir version` exec'd 20 times, against
// /bin/true exec'd 20 times (the cost of a process at all).
func BenchmarkVersionStartup(b *testing.B) {
	bin := keyirBinary(b)
	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	const n = 20
	per := func(path string, args ...string) time.Duration {
		var ds []time.Duration
		for range n {
			t0 := time.Now()
			if err := exec.Command(path, args...).Run(); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[n/2]
	}
	for range b.N {
		v := per(bin, "version")
		tr := per(truePath)
		b.ReportMetric(float64(v.Microseconds())/1000, "version-p50-ms")
		b.ReportMetric(float64(tr.Microseconds())/1000, "true-p50-ms")
		b.ReportMetric(float64(v)/float64(tr), "ratio")
	}
}

// BenchmarkBareAck100: the floor for keyir serve's acknowledgement latency
// (chatops BenchmarkServeAckLatency): 100 concurrent POSTs of a slash
// command's size to a handler that answers 200 at once.
func BenchmarkBareAck100(b *testing.B) { bareAck(b, 100) }

// BenchmarkBareAckScaling: the floor of chatops' BenchmarkServeAckScaling,
// at 10, 100 and 1,000 concurrent POSTs.
func BenchmarkBareAckScaling(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { bareAck(b, n) })
	}
}

func bareAck(b *testing.B, concurrent int) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"response_type":"ephemeral","text":"ok"}`))
	}))
	defer srv.Close()
	body := strings.Repeat("x", 400)
	var lat []time.Duration
	var mu sync.Mutex
	for range b.N {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
}
