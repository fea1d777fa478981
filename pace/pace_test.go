package pace

import "context"
import "fmt"
import "net/http"
import "net/http/httptest"
import "strconv"
import "strings"
import "sync"
import "testing"
import "time"

// windowServer enforces a fixed-window limit the way SendGrid and its
// simulator do: every request to the limited paths counts in the window of
// whole seconds it arrives in; past the limit the answer is 429. Every
// answer carries X-RateLimit-Limit/Remaining/Reset (Unix seconds), unless
// retryAfterOnly, which answers only a 429 with Retry-After (as Slack does).
type windowServer struct {
	limit          int
	window         time.Duration
	retryAfterOnly bool

	mu       sync.Mutex
	start    time.Time
	used     int
	n429     int
	perWin   map[int64]int // window start (Unix s) → requests counted
	closedTo time.Time     // retryAfterOnly: the Retry-After last given
	early    int           // retryAfterOnly: requests before that
}

func (s *windowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	start := now.Truncate(s.window)
	if !start.Equal(s.start) {
		s.start, s.used = start, 0
	}
	s.used++
	used := s.used
	if now.Before(s.closedTo) {
		s.early++
	}
	if s.perWin == nil {
		s.perWin = map[int64]int{}
	}
	s.perWin[start.Unix()]++
	reset := start.Add(s.window)
	over := used > s.limit
	if over {
		s.n429++
		if s.retryAfterOnly {
			s.closedTo = reset
		}
	}
	s.mu.Unlock()
	if !s.retryAfterOnly {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(s.limit-used, 0)))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	}
	if over {
		if s.retryAfterOnly {
			// Whole seconds, rounded up, as Slack gives it.
			w.Header().Set("Retry-After", strconv.Itoa(int((time.Until(reset)+time.Second-1)/time.Second)))
		}
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// drive sends n DELETEs to distinct /v3/items/{id} paths from workers
// goroutines, each paced by p, a 429 retried after the pacer's wait; with p
// nil, unpaced and not retried.
func drive(t *testing.T, url string, p *Pacer, n, workers int) {
	t.Helper()
	routes := NewRoutes("/v3/items/{item_id}", "/v3/items/special")
	ids := make(chan int)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				path := fmt.Sprintf("/v3/items/%d", id)
				key := routes.Key(http.MethodDelete, path)
				for attempt := 0; ; attempt++ {
					if err := p.Wait(ctx, key); err != nil {
						t.Error(err)
						return
					}
					req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, url+path, nil)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						p.Observe(key, 0, nil)
						t.Error(err)
						return
					}
					resp.Body.Close()
					p.Observe(key, resp.StatusCode, resp.Header)
					if resp.StatusCode != http.StatusTooManyRequests || p == nil || attempt > 200 {
						break
					}
				}
			}
		}()
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
}

// TestPacerStaysWithinTheWindow: 35 deletes of distinct ids under 10 per
// second from 8 workers. Paced by the route template, none draws 429 and
// no window is skipped; unpaced, the server refuses many.
func TestPacerStaysWithinTheWindow(t *testing.T) {
	const n, limit = 35, 10
	srv := &windowServer{limit: limit, window: time.Second}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	drive(t, ts.URL, New(XRateLimit, time.Minute), n, 8)
	if srv.n429 != 0 {
		t.Errorf("paced: %d answers 429, want 0 (per window: %v)", srv.n429, srv.perWin)
	}
	total := 0
	for _, c := range srv.perWin {
		total += c
		if c > limit {
			t.Errorf("a window counted %d requests, limit %d", c, limit)
		}
	}
	// Four windows hold 35 at 10 each, a fifth only if the first began late
	// in its second; waiting a window out when requests were allowed would
	// need more.
	if total != n || len(srv.perWin) > 5 {
		t.Errorf("paced: %d requests over %d windows %v, want %d over at most 5", total, len(srv.perWin), srv.perWin, n)
	}

	bare := &windowServer{limit: limit, window: time.Second}
	ts2 := httptest.NewServer(bare)
	defer ts2.Close()
	drive(t, ts2.URL, nil, n, 8)
	if bare.n429 == 0 {
		t.Errorf("unpaced: no 429 drawn; the server does not enforce its limit and the paced result proves nothing")
	}
}

// TestPacerKeysByTemplate: every id of a route shares the route's key (as
// its one window on the server), literal segments win over parameters, and
// a path no template matches keys by itself.
func TestPacerKeysByTemplate(t *testing.T) {
	r := NewRoutes("/v3/items/{item_id}", "/v3/items/special", "/v3/items")
	for _, c := range []struct{ method, path, want string }{
		{"DELETE", "/v3/items/abc", "DELETE /v3/items/{item_id}"},
		{"DELETE", "/v3/items/xyz?force=1", "DELETE /v3/items/{item_id}"},
		{"GET", "/v3/items/special", "GET /v3/items/special"},
		{"GET", "/v3/items?limit=10", "GET /v3/items"},
		{"GET", "/v3/items/", "GET /v3/items/"}, // an empty id matches no template
		{"GET", "/v3/other/1", "GET /v3/other/1"},
	} {
		if got := r.Key(c.method, c.path); got != c.want {
			t.Errorf("Key(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
	var nilRoutes *Routes
	if got := nilRoutes.Key("GET", "/a/b"); got != "GET /a/b" {
		t.Errorf("nil Routes: %q", got)
	}
}

// TestPacerRetryAfterOnly: a provider that says nothing until a 429 with
// Retry-After (Slack). After a 429 no request of that key leaves before
// the time it named.
func TestPacerRetryAfterOnly(t *testing.T) {
	srv := &windowServer{limit: 5, window: time.Second, retryAfterOnly: true}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	drive(t, ts.URL, New(RetryAfterOnly, time.Minute), 12, 1)
	if srv.early != 0 {
		t.Errorf("%d requests went before the Retry-After a 429 named (429s: %d)", srv.early, srv.n429)
	}
	if srv.n429 == 0 {
		t.Errorf("no 429: the test never exercised Retry-After")
	}
}

// fakeClock drives a Pacer's clock by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func limitHeader(limit, rem int, reset time.Time) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(rem))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	return h
}

// TestPacerReservesWhatIsLeft: with one request left, four workers asking
// at once get one go and three waits until the reset; after it, the last
// known limit (less the requests still in flight) is the next window's
// allowance before any of its answers arrive, and a late answer from the
// window that ended changes nothing.
func TestPacerReservesWhatIsLeft(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := New(XRateLimit, time.Minute)
	p.now = clk.now
	const k = "DELETE /v3/items/{item_id}"
	if d := p.Reserve(k); d != 0 {
		t.Fatalf("first request waited %s", d)
	}
	reset := time.Unix(1001, 0)
	p.Observe(k, 204, limitHeader(3, 1, reset))
	var went, waited int
	for range 4 {
		if d := p.Reserve(k); d == 0 {
			went++
		} else if d == time.Second {
			waited++
		} else {
			t.Errorf("wait %s, want 1s (to the reset)", d)
		}
	}
	if went != 1 || waited != 3 {
		t.Fatalf("one left: %d went, %d waited; want 1 and 3", went, waited)
	}
	// That one request is still in flight at the reset.
	clk.t = reset
	went = 0
	for range 3 {
		if p.Reserve(k) == 0 {
			went++
		}
	}
	if went != 2 {
		t.Fatalf("after the reset with limit 3 and 1 in flight: %d went, want 2", went)
	}
	if d := p.Reserve(k); d != poll {
		t.Fatalf("allowance spent, end unknown: wait %s, want the poll %s", d, poll)
	}
	// The in-flight one answers late, from the old window: ignored.
	p.Observe(k, 204, limitHeader(3, 2, reset))
	if d := p.Reserve(k); d != poll {
		t.Fatalf("a late answer of the old window reopened it: wait %s", d)
	}
	// The new window's first answer: 1 left by the server's count, one
	// still in flight, so none for us.
	next := time.Unix(1002, 0)
	p.Observe(k, 204, limitHeader(3, 1, next))
	if d := p.Reserve(k); d != time.Second {
		t.Fatalf("new window spent: wait %s, want 1s", d)
	}
	// A 429 with Retry-After past the reset closes the key until then.
	h := limitHeader(3, 0, next)
	h.Set("Retry-After", "5")
	p.Observe(k, 429, h)
	if d := p.Reserve(k); d != 5*time.Second {
		t.Fatalf("after Retry-After 5: wait %s, want 5s", d)
	}
	// Other keys are not held back.
	if d := p.Reserve("GET /v3/items"); d != 0 {
		t.Fatalf("another route waited %s", d)
	}
}

// TestPacerCapsWaits: a reset a day away is waited in pieces of maxWait.
func TestPacerCapsWaits(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := New(XRateLimit, 2*time.Second)
	p.now = clk.now
	p.Reserve("k")
	p.Observe("k", 200, limitHeader(10, 0, time.Unix(1000+86400, 0)))
	if d := p.Reserve("k"); d != 2*time.Second {
		t.Fatalf("wait %s, want the cap 2s", d)
	}
	var nilPacer *Pacer
	if d := nilPacer.Reserve("k"); d != 0 {
		t.Fatalf("nil pacer waited %s", d)
	}
	nilPacer.Observe("k", 429, nil)
}

func TestParse(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	delta := Headers{Limit: "RateLimit-Limit", Remaining: "RateLimit-Remaining", Reset: "RateLimit-Reset", ResetUnit: DeltaSeconds}
	for _, c := range []struct {
		name   string
		h      Headers
		status int
		hdr    http.Header
		want   Window
		ok     bool
	}{
		{"sendgrid", XRateLimit, 200, hdr("X-Ratelimit-Limit", "600", "X-Ratelimit-Remaining", "598", "X-Ratelimit-Reset", "1700000060"), Window{600, 598, now.Add(time.Minute)}, true},
		{"no limit header", XRateLimit, 200, hdr("X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "1700000001"), Window{0, 3, now.Add(time.Second)}, true},
		{"remaining without reset", XRateLimit, 200, hdr("X-RateLimit-Remaining", "3"), Window{}, false},
		{"negative remaining", XRateLimit, 200, hdr("X-RateLimit-Remaining", "-4", "X-RateLimit-Reset", "1700000001"), Window{0, 0, now.Add(time.Second)}, true},
		{"garbage", XRateLimit, 200, hdr("X-RateLimit-Remaining", "lots", "X-RateLimit-Reset", "soon"), Window{}, false},
		{"reset far away", XRateLimit, 200, hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "99999999999999"), Window{0, 0, now.Add(24 * time.Hour)}, true},
		{"delta seconds", delta, 200, hdr("RateLimit-Limit", "10", "RateLimit-Remaining", "2", "RateLimit-Reset", "7"), Window{10, 2, now.Add(7 * time.Second)}, true},
		{"delta huge", delta, 200, hdr("RateLimit-Remaining", "2", "RateLimit-Reset", "9223372036854775807"), Window{0, 2, now.Add(24 * time.Hour)}, true},
		{"slack 429", RetryAfterOnly, 429, hdr("Retry-After", "30"), Window{0, 0, now.Add(30 * time.Second)}, true},
		{"retry-after on a 200 is not a closed window", RetryAfterOnly, 200, hdr("Retry-After", "30"), Window{}, false},
		{"retry-after date", RetryAfterOnly, 503, hdr("Retry-After", now.Add(90*time.Second).UTC().Format(http.TimeFormat)), Window{0, 0, now.Add(90 * time.Second)}, true},
		{"retry-after past date", RetryAfterOnly, 429, hdr("Retry-After", now.Add(-time.Hour).UTC().Format(http.TimeFormat)), Window{0, 0, now}, true},
		{"retry-after negative", RetryAfterOnly, 429, hdr("Retry-After", "-1"), Window{}, false},
		{"retry-after later than reset wins", XRateLimit, 429, hdr("X-RateLimit-Remaining", "5", "X-RateLimit-Reset", "1700000001", "Retry-After", "10"), Window{0, 0, now.Add(10 * time.Second)}, true},
		{"retry-after earlier than reset", XRateLimit, 429, hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1700000020", "Retry-After", "1"), Window{0, 0, now.Add(20 * time.Second)}, true},
		{"nil header", XRateLimit, 429, nil, Window{}, false},
	} {
		got, ok := c.h.Parse(c.status, c.hdr, now)
		if ok != c.ok || got.Limit != c.want.Limit || got.Remaining != c.want.Remaining || !got.Reset.Equal(c.want.Reset) {
			t.Errorf("%s: Parse = %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
	if d := RetryAfter(" 12 ", now); d != 12*time.Second {
		t.Errorf("RetryAfter(12) = %s", d)
	}
	if d := RetryAfter("soon", now); d != 0 {
		t.Errorf("RetryAfter(soon) = %s", d)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(200, "600", "598", "1700000060", "")
	f.Add(429, "", "", "", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(429, "-1", "-1", "-9223372036854775808", "9223372036854775807")
	now := time.Unix(1_700_000_000, 0)
	delta := XRateLimit
	delta.ResetUnit = DeltaSeconds
	f.Fuzz(func(t *testing.T, status int, lim, rem, reset, ra string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", lim)
		h.Set("X-RateLimit-Remaining", rem)
		h.Set("X-RateLimit-Reset", reset)
		h.Set("Retry-After", ra)
		for _, hs := range []Headers{XRateLimit, delta, RetryAfterOnly} {
			w, ok := hs.Parse(status, h, now)
			if !ok {
				continue
			}
			if w.Remaining < 0 || w.Limit < 0 {
				t.Fatalf("negative count %+v", w)
			}
			if w.Reset.After(now.Add(maxHeaderWait)) {
				t.Fatalf("reset %s beyond the cap", w.Reset)
			}
			if strings.TrimSpace(ra) == "" && status >= 400 && hs.Remaining == "" {
				t.Fatalf("a window from nothing: %+v", w)
			}
		}
	})
}
