package simhttp

import "net/http"
import "time"

// Base is what every simulator's Config holds whatever the provider: its
// clock, how long a revoked credential keeps working, the latency added to
// every response and the observer of its responses. Each Config embeds it,
// so these knobs and the rule of a revocation's propagation are written
// once.
type Base struct {
	Now func() time.Time // default time.Now
	// PropagationDelay is how long a revoked credential keeps
	// authenticating after it was revoked.
	PropagationDelay time.Duration
	Latency          time.Duration // added to every response
	// OnResponse observes every response the simulator produces itself (not
	// injected faults), with the request (its body readable again), status,
	// headers and body.
	OnResponse func(r *http.Request, status int, h http.Header, body []byte)
}

// WithClock returns b with Now set (time.Now when the caller gave none):
// a simulator's New keeps it so every read of the clock has one.
func (b Base) WithClock() Base {
	if b.Now == nil {
		b.Now = time.Now
	}
	return b
}

// Revoked reports whether a credential revoked at revokedAt (zero: never)
// has stopped authenticating at now: once PropagationDelay has passed.
func (b Base) Revoked(revokedAt, now time.Time) bool {
	return !revokedAt.IsZero() && !now.Before(revokedAt.Add(b.PropagationDelay))
}
