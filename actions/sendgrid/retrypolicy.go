package sendgrid

import "time"

// RetryPolicy is the client's retry timing. Tests and benchmarks outside this
// package (the fault matrix, crash recovery) shorten it with SetRetryPolicy so
// that a persistent fault costs milliseconds, not minutes; keyir itself never
// changes it.
type RetryPolicy struct {
	MaxRateWait         time.Duration // cap of one wait for a rate-limit reset
	MaxRateRetries      int           // retries of one request after 429
	MaxTransientRetries int           // retries after 5xx, resets, timeouts, unreadable bodies
	BackoffBase         time.Duration // first transient backoff; doubles per attempt
	BackoffMax          time.Duration
}

// CurrentRetryPolicy returns the policy in force.
func CurrentRetryPolicy() RetryPolicy {
	return RetryPolicy{maxRateWait, maxRateRetries, maxTransientRetries, backoffBase, backoffMax}
}

// SetRetryPolicy replaces the policy for the whole process and returns a
// function that restores the previous one. It is not synchronised with
// requests in flight: call it before any run starts (TestMain).
func SetRetryPolicy(p RetryPolicy) (restore func()) {
	old := CurrentRetryPolicy()
	maxRateWait, maxRateRetries, maxTransientRetries, backoffBase, backoffMax = p.MaxRateWait, p.MaxRateRetries, p.MaxTransientRetries, p.BackoffBase, p.BackoffMax
	return func() { SetRetryPolicy(old) }
}
