// Per-method rate limits by Slack's tiers: HTTP 429 with Retry-After.

package slacksim

import "net/http"
import "strconv"
import "time"

// Slack's published per-minute limits of the methods the token model serves
// (https://api.slack.com/docs/rate-limits): auth.test is "special" (Tier 4
// in practice), auth.revoke Tier 3, the team logs Tier 2, the Audit Logs API
// Tier 3. Each is a bucket per method, as Slack counts per method and
// workspace.
var DefaultMethodLimits = map[string]int{
	"auth.test":            100,
	"auth.revoke":          50,
	"team.accessLogs":      20,
	"team.integrationLogs": 20,
	"audit.logs":           50,
}

// limitOf is the per-minute limit of method; 0 when unlimited.
func (s *Server) limitOf(method string) int {
	if s.o.MethodLimitsOff {
		return 0
	}
	if n, ok := s.o.MethodLimits[method]; ok {
		return n
	}
	return DefaultMethodLimits[method]
}

// throttle answers 429 with Retry-After when method's bucket is empty and
// reports whether it did. A full minute's allowance may go at once.
func (s *Server) throttle(w http.ResponseWriter, call *Call) bool {
	n := s.limitOf(call.Method)
	if n <= 0 {
		return false
	}
	s.mu.Lock()
	now := time.Now() // real time: throttling is about the client's real pace
	key := "method:" + call.Method
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(n), last: now}
		s.buckets[key] = b
	}
	iv := time.Minute / time.Duration(n)
	b.tokens = min(float64(n), b.tokens+float64(now.Sub(b.last))/float64(iv))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		s.mu.Unlock()
		return false
	}
	wait := time.Duration((1 - b.tokens) * float64(iv))
	s.mu.Unlock()
	call.Status = http.StatusTooManyRequests
	s.record(*call)
	w.Header().Set("Retry-After", strconv.Itoa(max(int((wait+time.Second-1)/time.Second), 1)))
	w.WriteHeader(http.StatusTooManyRequests)
	return true
}
