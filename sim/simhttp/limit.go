package simhttp

import "sync"
import "time"

// Limit is a fixed-window rate limit: Requests per Window. A zero Requests
// or Window is no limit.
type Limit struct {
	Requests int
	Window   time.Duration
}

// On reports whether l limits anything.
func (l Limit) On() bool { return l.Requests > 0 && l.Window > 0 }

// Windows counts requests in fixed windows, per key and scope (a token and a
// route, an address and a resource). The zero value is ready. Safe for
// concurrent use.
type Windows struct {
	mu sync.Mutex
	m  map[[2]string]*window
}

type window struct {
	start time.Time
	used  int
}

// Take counts one request in the window of l containing now and returns how
// many that window has seen (this one included) and when it resets. l must
// be On.
func (w *Windows) Take(key, scope string, l Limit, now time.Time) (used int, reset time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[[2]string]*window{}
	}
	start := now.Truncate(l.Window)
	b := w.m[[2]string{key, scope}]
	if b == nil || !b.start.Equal(start) {
		b = &window{start: start}
		w.m[[2]string{key, scope}] = b
	}
	b.used++
	return b.used, start.Add(l.Window)
}
