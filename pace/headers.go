package pace

import "net/http"
import "strconv"
import "strings"
import "time"

// ResetUnit says how a provider writes the moment its window resets.
type ResetUnit int

const (
	// EpochSeconds: Unix time in seconds (SendGrid, GitHub).
	EpochSeconds ResetUnit = iota
	// DeltaSeconds: seconds from now (the IETF RateLimit-Reset draft).
	DeltaSeconds
)

// Headers names the rate-limit headers of one provider. An empty name is a
// header the provider does not send.
type Headers struct {
	Limit     string // requests a window allows
	Remaining string // requests the window has left
	Reset     string // when the window resets, in ResetUnit
	ResetUnit ResetUnit
	// RetryAfter is read on an error answer (status 400 and up): delay
	// seconds or an HTTP date, after which the caller may ask again.
	RetryAfter string
}

// The two conventions keyir's providers use; a provider with other names
// builds its own Headers.
var (
	// XRateLimit: X-RateLimit-Limit/Remaining/Reset (reset in Unix seconds)
	// on every answer, Retry-After on some errors (SendGrid, GitHub).
	XRateLimit = Headers{Limit: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset", ResetUnit: EpochSeconds, RetryAfter: "Retry-After"}
	// RetryAfterOnly: nothing until a 429, which carries Retry-After (Slack).
	RetryAfterOnly = Headers{RetryAfter: "Retry-After"}
)

// Window is what one answer says about its rate-limit window.
type Window struct {
	Limit     int       // requests per window; 0 when the answer does not say
	Remaining int       // requests left in the window, never negative
	Reset     time.Time // when the window resets
}

// maxHeaderWait bounds a reset or Retry-After read from an answer: a
// hostile or broken value (year 9999, 2^62 seconds) must not overflow a
// duration; callers cap their waits further (Pacer.MaxWait).
const maxHeaderWait = 24 * time.Hour

// Parse reads the window an answer describes, relative to now. It reports
// false when the answer says nothing usable: a remaining count without a
// reset (or the reverse) tells no schedule. An error answer's Retry-After
// closes the window until then (Remaining 0), and wins over a reset that
// comes earlier.
func (h Headers) Parse(status int, hdr http.Header, now time.Time) (Window, bool) {
	var w Window
	ok := false
	if hdr == nil {
		return w, false
	}
	if rem, okR := count(hdr, h.Remaining); okR {
		if reset, okT := h.reset(hdr, now); okT {
			w.Remaining, w.Reset, ok = rem, reset, true
			if lim, okL := count(hdr, h.Limit); okL && lim > 0 {
				w.Limit = lim
			}
		}
	}
	if status >= 400 && h.RetryAfter != "" {
		if d, okA := retryAfter(hdr.Get(h.RetryAfter), now); okA {
			if t := now.Add(d); !ok || t.After(w.Reset) {
				w.Reset = t
			}
			w.Remaining, ok = 0, true
		}
	}
	return w, ok
}

// count reads a non-negative integer header; a negative one reads as 0.
func count(hdr http.Header, name string) (int, bool) {
	if name == "" {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(hdr.Get(name)))
	if err != nil {
		return 0, false
	}
	return max(n, 0), true
}

func (h Headers) reset(hdr http.Header, now time.Time) (time.Time, bool) {
	if h.Reset == "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(hdr.Get(h.Reset)), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	switch h.ResetUnit {
	case DeltaSeconds:
		n = max(n, 0)
		if n > int64(maxHeaderWait/time.Second) {
			return now.Add(maxHeaderWait), true
		}
		return now.Add(time.Duration(n) * time.Second), true
	default:
		t := time.Unix(max(n, 0), 0)
		if lim := now.Add(maxHeaderWait); n > lim.Unix() {
			return lim, true
		}
		return t, true
	}
}

// RetryAfter reads a Retry-After value: delay seconds or an HTTP date. It
// returns 0 when the value is absent, unreadable or already past.
func RetryAfter(v string, now time.Time) time.Duration {
	d, _ := retryAfter(v, now)
	return d
}

func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(maxHeaderWait/time.Second) {
			return maxHeaderWait, true
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if !t.After(now) {
			return 0, true
		}
		return min(t.Sub(now), maxHeaderWait), true
	}
	return 0, false
}
