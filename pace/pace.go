// Package pace holds requests to an HTTP API back so they fit the rate
// limit its answers describe, instead of colliding with it: a caller asks
// Reserve (or Wait) before each request, under a key naming the limit the
// request counts against (for per-endpoint limits, the method and route
// template: Routes.Key), and hands the answer to Observe. The answers'
// headers (Headers: names and units per provider) say how many requests the
// window has left and when it resets; requests take one each, and once none
// is left they wait for the reset rather than spend a 429 each.
//
// It imports nothing of keyir: any provider client can use it.
package pace

import "context"
import "net/http"
import "sync"
import "time"

// poll is how long a request waits when its window's allowance is spent
// but the window's end is not known yet (the answers that will say it are in
// flight).
const poll = 5 * time.Millisecond

// Pacer schedules the requests of one client (one credential on one host).
// Safe for concurrent use; the zero value is not: use New.
type Pacer struct {
	h       Headers
	maxWait time.Duration
	now     func() time.Time

	mu sync.Mutex
	w  map[string]*window
}

type window struct {
	end   time.Time // the end of the last window an answer described (zero: none yet)
	open  bool      // end has passed: this is the window after it, its end not known yet
	limit int       // requests per window, from the last answer that said (0 unknown)
	// With the limit known, a window's allowance is limit less what we sent
	// in it (our own count, unlike an answer's, includes the requests still
	// on their way) less what others sent: the most by which an answer's
	// count (limit - remaining) exceeded ours when it came (other clients
	// of the same credential).
	sent   int
	others int
	// Without a limit, left is the allowance: the lowest remaining an answer
	// gave, less the requests in flight when it came, less those sent
	// since; -1 unknown.
	left     int
	inflight int // requests let go whose answer has not been observed
}

// countOthers notes an answer of this window saying remaining.
func (w *window) countOthers(remaining int) {
	if w.limit > 0 {
		w.others = max(w.others, w.limit-remaining-w.sent)
	}
}

// allowance is how many more requests the window allows; -1 unknown.
func (w *window) allowance() int {
	if w.limit > 0 {
		return max(w.limit-w.sent-w.others, 0)
	}
	return w.left
}

// New returns a Pacer reading the headers h names. maxWait caps one wait
// (a reset an hour away is waited in pieces of at most maxWait, so a caller
// can give up); 0 means no cap.
func New(h Headers, maxWait time.Duration) *Pacer {
	return &Pacer{h: h, maxWait: maxWait, now: time.Now, w: map[string]*window{}}
}

// Reserve takes one request of key's current window and returns 0, or
// returns how long to wait before asking again. Every Reserve that returned
// 0 must be followed by one Observe of the same key, with the answer or nil
// when the request got none. Without a known window (no answer yet, or the
// reset passed with no limit known) a request goes and its answer tells.
func (p *Pacer) Reserve(key string) time.Duration {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.window(key)
	now := p.now()
	if !w.end.IsZero() && !w.open && !now.Before(w.end) {
		// The window reset. The requests still in flight were sent in the
		// old one but may be counted in the new one.
		w.open, w.sent, w.others, w.left = true, w.inflight, 0, -1
	}
	a := w.allowance()
	if a == 0 && w.open && w.inflight == 0 {
		a = -1 // spent, and no answer in flight will say more: go and ask
	}
	switch {
	case a != 0:
		if w.left > 0 {
			w.left--
		}
		w.sent++
		w.inflight++
		return 0
	case w.open || w.end.IsZero():
		return poll // spent; the answers that say until when are in flight
	}
	return p.capped(w.end.Sub(now))
}

func (p *Pacer) window(key string) *window {
	w := p.w[key]
	if w == nil {
		w = &window{left: -1}
		p.w[key] = w
	}
	return w
}

func (p *Pacer) capped(d time.Duration) time.Duration {
	if p.maxWait > 0 && d > p.maxWait {
		return p.maxWait
	}
	return max(d, time.Millisecond)
}

// Wait reserves one request of key's window, sleeping as long as the window
// asks, or returns ctx's error.
func (p *Pacer) Wait(ctx context.Context, key string) error {
	for {
		d := p.Reserve(key)
		if d <= 0 {
			return ctx.Err()
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Observe records the answer to a request Reserve let go: status and
// headers (hdr nil when the request got no answer). It returns the window
// the answer described, if it described one.
func (p *Pacer) Observe(key string, status int, hdr http.Header) (Window, bool) {
	if p == nil {
		return Window{}, false
	}
	now := p.now()
	win, ok := p.h.Parse(status, hdr, now)
	if ok && p.maxWait > 0 && win.Reset.After(now.Add(p.maxWait)) {
		// Waits are capped anyway; keep the window's end in reach so a
		// Retry-After of a day is asked again after maxWait, not obeyed.
		win.Reset = now.Add(p.maxWait)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.window(key)
	w.inflight = max(w.inflight-1, 0)
	if !ok {
		return win, false
	}
	if win.Limit > 0 {
		w.limit = win.Limit
	}
	// An answer's remaining leaves out the requests still in flight (sent
	// after it was counted, or not yet arrived): they spend the window too.
	left := max(win.Remaining-w.inflight, 0)
	switch {
	case w.end.IsZero() || win.Reset.After(w.end):
		// The first answer of a new window, or a 429 pushing the end out.
		if !w.open && !w.end.IsZero() && win.Remaining > 0 {
			// A new window we did not see coming (the server's clock ahead
			// of ours): what is in flight may be counted in it.
			w.sent = w.inflight + 1
		}
		if (w.open || w.end.IsZero()) && w.left >= 0 && win.Remaining > 0 {
			left = min(left, w.left) // what we sent since the reset counts
		}
		w.end, w.open, w.others, w.left = win.Reset, false, 0, left
		w.countOthers(win.Remaining)
	case win.Reset.Equal(w.end) && !w.open:
		// Another answer of this window; it may count requests other
		// clients sent.
		w.countOthers(win.Remaining)
		w.left = min(w.left, left)
	}
	// Anything else is a late answer from a window already over.
	return win, true
}
