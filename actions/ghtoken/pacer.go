package ghtoken

import "bytes"
import "encoding/json"
import "fmt"
import "io"
import "math/rand/v2"
import "net/http"
import "strconv"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/pace"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"

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

// pacer holds a step's requests back so they fit the limits GitHub's
// answers announce (X-RateLimit-*), per bucket, with keyir's provider-neutral
// pacer; this file is the one place pacing and retries happen.
type pacer struct{ p *pace.Pacer }

// newPacer is uncapped: the wait it asks for is compared with maxRateWait
// here, so a reset an hour away is refused, not waited in pieces.
func newPacer() *pacer { return &pacer{p: pace.New(pace.XRateLimit, 0)} }

// bucketOf groups requests the way GitHub counts them: the unauthenticated
// revocation endpoint has its own hourly limit (per address), search its
// own, everything else counts against the credential that sends it ("core").
func bucketOf(req *http.Request) string {
	who := redact.Fingerprint(req.Header.Get("Authorization"))
	switch {
	case strings.HasSuffix(req.URL.Path, "/credentials/revoke"):
		return "revoke:" + who
	case strings.Contains(req.URL.Path, "/search/"):
		return "search:" + who
	}
	return "core:" + who
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
		for d := t.p.p.Reserve(b); d > 0; d = t.p.p.Reserve(b) {
			if d > maxRateWait {
				return nil, &RateLimitedError{What: what, Until: time.Now().Add(d)}
			}
			if d > time.Second {
				progress(t.env, fmt.Sprintf("GitHub rate limit spent: waiting %s before %s", d.Round(time.Second), what))
			}
			if err := actions.Sleep(ctx, d); err != nil {
				return nil, err
			}
		}
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			t.p.p.Observe(b, 0, nil)
		} else {
			t.p.p.Observe(b, resp.StatusCode, resp.Header)
		}
		if err == nil && again {
			// Read the answer here, so a body cut short (a reset, a
			// truncated answer) is retried like a failed request.
			err = buffer(resp)
		}
		if err != nil {
			if !again || try >= maxRetries || ctx.Err() != nil || isDryRun(err) || req.GetBody == nil && req.Body != nil {
				return nil, err
			}
			if err := actions.Sleep(ctx, backoff(try+1)); err != nil {
				return nil, err
			}
			continue
		}
		wait, retry := retryAfter(resp)
		if !retry || try >= maxRetries || wait > maxRateWait || !get && (resp.StatusCode < 500 || !again) {
			return resp, nil
		}
		resp.Body.Close()
		progress(t.env, fmt.Sprintf("%s answered %d; retry %d/%d in %s", what, resp.StatusCode, try+1, maxRetries, wait.Round(time.Millisecond)))
		if err := actions.Sleep(ctx, wait); err != nil {
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
