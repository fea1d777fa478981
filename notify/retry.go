package notify

import "context"
import "errors"
import "fmt"
import "io"
import "net"
import "net/http"
import "strconv"
import "strings"
import "syscall"
import "time"

// RetryableError marks a failure worth trying again: a 429, a 5xx, a timeout,
// a reset connection. Anything else a notifier returns is permanent: a bad
// channel or an invalid credential does not get better by asking again.
type RetryableError struct {
	Err error
	// RetryAfter is how long the server asked us to wait (HTTP Retry-After,
	// Slack's rate limit); zero means "use the backoff".
	RetryAfter time.Duration
}

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying: it wraps a *RetryableError,
// or an error that says so itself through a Retryable() bool method (as
// slack-go's *slack.RateLimitedError does).
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var re *RetryableError
	if errors.As(err, &re) {
		return true
	}
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && r.Retryable()
}

// RetryAfter is the wait the server asked for, if any.
func RetryAfter(err error) time.Duration {
	var re *RetryableError
	if errors.As(err, &re) && re.RetryAfter > 0 {
		return re.RetryAfter
	}
	var ra interface{ RetryAfterDuration() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfterDuration()
	}
	return 0
}

// Policy bounds Retry. The zero value is DefaultPolicy.
type Policy struct {
	// MaxAttempts includes the first try.
	MaxAttempts int
	// MaxElapsed bounds the whole retry loop, waits included. A Retry-After
	// that would end past it stops the loop at once instead of sleeping in vain.
	MaxElapsed time.Duration
	// Initial is the first backoff; it doubles each attempt up to Max.
	Initial, Max time.Duration
	// OnRetry, if set, is told about each wait before it happens (logging, tests).
	OnRetry func(attempt int, wait time.Duration, err error)
}

// DefaultPolicy suits a human-facing notification during an incident: a few
// tries within a minute, then give up and let the run report the failure
// (a failed notification never stops containment).
var DefaultPolicy = Policy{MaxAttempts: 5, MaxElapsed: time.Minute, Initial: 500 * time.Millisecond, Max: 10 * time.Second}

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy
	if p.MaxAttempts > 0 {
		d.MaxAttempts = p.MaxAttempts
	}
	if p.MaxElapsed > 0 {
		d.MaxElapsed = p.MaxElapsed
	}
	if p.Initial > 0 {
		d.Initial = p.Initial
	}
	if p.Max > 0 {
		d.Max = p.Max
	}
	d.OnRetry = p.OnRetry
	return d
}

// Retry calls fn until it succeeds, fails permanently, the attempts or the
// total time run out, or ctx ends. It is the only retry loop in notify: the
// notifiers classify, Retry waits. The wait is the server's Retry-After when
// it gave one, else exponential backoff; it always waits on ctx.
func Retry(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	p = p.withDefaults()
	start := time.Now()
	backoff := p.Initial
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%v)", err, context.Cause(ctx))
		}
		if !Retryable(err) {
			return err
		}
		if attempt >= p.MaxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		wait := backoff
		if ra := RetryAfter(err); ra > 0 {
			wait = ra
		}
		if time.Since(start)+wait > p.MaxElapsed {
			return fmt.Errorf("giving up after %d attempts (next wait %s would pass the %s budget): %w", attempt, wait, p.MaxElapsed, err)
		}
		if p.OnRetry != nil {
			p.OnRetry(attempt, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%v while waiting to retry)", err, context.Cause(ctx))
		case <-t.C:
		}
		backoff = min(backoff*2, p.Max)
	}
}

// CheckResponse classifies an HTTP response the way every HTTP notifier
// should: 2xx is success; 429, 408 and 5xx are retryable (honouring
// Retry-After); anything else is permanent. detail is appended to the error
// (a short, already redacted excerpt of the body).
func CheckResponse(resp *http.Response, detail string) error {
	if resp.StatusCode/100 == 2 {
		return nil
	}
	msg := "unexpected status " + resp.Status
	if detail = strings.TrimSpace(detail); detail != "" {
		msg += ": " + detail
	}
	err := errors.New(msg)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode/100 == 5:
		return &RetryableError{Err: err, RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	return err
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when the header is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// TransportError classifies an error from http.Client.Do: timeouts, refused
// and reset connections are retryable (the receiver may be restarting); a
// cancelled context, a bad URL or a refused scheme are not.
func TransportError(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	// *url.Error implements net.Error for every failure, so ask Timeout()
	// instead of matching the interface.
	var ne net.Error
	var oe *net.OpError
	if (errors.As(err, &ne) && ne.Timeout()) || errors.As(err, &oe) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) {
		return &RetryableError{Err: err}
	}
	return err
}
