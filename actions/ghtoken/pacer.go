package ghtoken

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/redact"
	"github.com/keyir/keyir/safefile"
)

// Retry and pacing policy. Tests may shorten them; actions never change
// them.
var (
	// maxRateWait caps one wait for a limit to reset: a longer one (the
	// revocation endpoint's hour) is not waited out inside a step; the
	// request is not sent and the step says when the limit resets.
	maxRateWait = 65 * time.Second
	// maxRetries bounds the retries of one GET after a 5xx, a secondary
	// limit or a broken connection. A write is never retried: a POST
	// /credentials/revoke refused by the limit stays refused.
	maxRetries  = 3
	backoffBase = 300 * time.Millisecond
)

// RateLimitedError is a request not sent because its limit is spent until
// Until, further away than keyir waits inside a step.
type RateLimitedError struct {
	What  string
	Until time.Time
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("%s: GitHub's rate limit is spent until %s; not sent (keyir never sends past the documented limit)", e.What, e.Until.UTC().Format(time.RFC3339))
}

// pacer keeps the rate-limit state GitHub announces (X-RateLimit-Remaining,
// X-RateLimit-Reset) per bucket and waits before a request its bucket has
// no room for. It is the one place pacing and retries happen: the
// provider-neutral pacer plugs in here.
type pacer struct {
	mu      sync.Mutex
	buckets map[string]bucket
}

type bucket struct {
	remaining int
	reset     time.Time
}

func newPacer() *pacer { return &pacer{buckets: map[string]bucket{}} }

// bucketOf groups requests the way GitHub counts them: the unauthenticated
// revocation endpoint has its own hourly limit (per address), everything
// else counts against the credential that sends it.
func bucketOf(req *http.Request) string {
	if strings.HasSuffix(req.URL.Path, "/credentials/revoke") {
		return "revoke:" + redact.Fingerprint(req.Header.Get("Authorization"))
	}
	if strings.Contains(req.URL.Path, "/search/") {
		return "search:" + redact.Fingerprint(req.Header.Get("Authorization"))
	}
	return "core:" + redact.Fingerprint(req.Header.Get("Authorization"))
}

// room is how long to wait before a request of bucket b may be sent.
func (p *pacer) room(b string, now time.Time) (time.Duration, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.buckets[b]
	if !ok || st.remaining > 0 || !st.reset.After(now) {
		return 0, time.Time{}
	}
	return st.reset.Sub(now), st.reset
}

// observe records what a response says of its bucket.
func (p *pacer) observe(b string, h http.Header) {
	rem, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	reset, err2 := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	p.mu.Lock()
	p.buckets[b] = bucket{remaining: rem, reset: time.Unix(reset, 0)}
	p.mu.Unlock()
}

// wrap puts the pacer in front of next (env.HTTP's guarded transport).
func (p *pacer) wrap(env *actions.Env, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &paced{p: p, env: env, next: next}
}

type paced struct {
	p    *pacer
	env  *actions.Env
	next http.RoundTripper
}

func (t *paced) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	b := bucketOf(req)
	what := req.Method + " " + req.URL.Path
	get := req.Method == http.MethodGet || req.Method == http.MethodHead
	// Revoking is idempotent (a revoked token stays revoked): a revocation
	// that failed in transit or with a 5xx is sent again, within the limit.
	// One refused by the limit is not.
	again := get || req.Method == http.MethodDelete || strings.HasSuffix(req.URL.Path, "/credentials/revoke")
	for try := 0; ; try++ {
		if try > 0 && req.GetBody != nil {
			// A body is read by the first attempt: each retry sends a fresh copy.
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = body
		}
		if d, until := t.p.room(b, time.Now()); d > 0 {
			if d > maxRateWait {
				return nil, &RateLimitedError{What: what, Until: until}
			}
			progress(t.env, fmt.Sprintf("GitHub rate limit spent: waiting %s before %s", d.Round(time.Second), what))
			if err := sleepFor(ctx, d); err != nil {
				return nil, err
			}
		}
		resp, err := t.next.RoundTrip(req)
		if err == nil && again {
			// Read the answer here, so a body cut short (a reset, a
			// truncated answer) is retried like a failed request.
			err = buffer(resp)
		}
		if err != nil {
			if !again || try >= maxRetries || ctx.Err() != nil || isDryRun(err) || req.GetBody == nil && req.Body != nil {
				return nil, err
			}
			if err := sleepFor(ctx, backoff(try+1)); err != nil {
				return nil, err
			}
			continue
		}
		t.p.observe(b, resp.Header)
		wait, retry := retryAfter(resp)
		if !retry || try >= maxRetries || wait > maxRateWait || !get && (resp.StatusCode < 500 || !again) {
			return resp, nil
		}
		resp.Body.Close()
		progress(t.env, fmt.Sprintf("%s answered %d; retry %d/%d in %s", what, resp.StatusCode, try+1, maxRetries, wait.Round(time.Millisecond)))
		if err := sleepFor(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// maxBody bounds one buffered answer (a page of 100 items is far less).
const maxBody = 16 << 20

// buffer reads resp's body whole (bounded) and puts it back; a 2xx JSON
// answer that does not parse (cut short) is an error, so it is retried.
func buffer(resp *http.Response) error {
	defer resp.Body.Close()
	b, err := safefile.ReadAll(resp.Body, maxBody)
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode/100 == 2 && len(b) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") && !json.Valid(b) {
		return fmt.Errorf("an unreadable %d answer (%d bytes of broken JSON)", resp.StatusCode, len(b))
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

// retryAfter says whether a response is worth retrying (a 5xx, or a limit
// that announces its end) and after how long.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	switch st := resp.StatusCode; {
	case st >= 500:
		return backoff(1), true
	case st == http.StatusTooManyRequests || st == http.StatusForbidden:
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
			if err == nil {
				return max(time.Until(time.Unix(reset, 0)), 0), true
			}
		}
	}
	return 0, false
}

// backoff is the n-th (1-based) exponential backoff, jittered on its upper
// half.
func backoff(n int) time.Duration {
	d := backoffBase << (n - 1)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// sleepFor waits for d or until ctx is done.
func sleepFor(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
