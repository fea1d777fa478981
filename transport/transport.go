// Package transport builds the one HTTP client every action uses. Its
// RoundTripper is where keyir's guarantees about the network live:
//   - in a dry run only GET and HEAD leave the machine; every other request is
//     refused here and recorded as a planned change, so no code path can write;
//   - every exchange is recorded, redacted, as evidence of the step;
//   - plain http:// is refused except to loopback addresses.
package transport

import "bytes"
import "errors"
import "fmt"
import "io"
import "net"
import "net/http"
import "net/url"
import "strings"
import "sync/atomic"
import "time"
import "unsafe"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// ErrDryRun is wrapped by every error for a request refused in a dry run.
var ErrDryRun = errors.New("refused: dry run")

// RefusedError is the error for a write refused in a dry run.
type RefusedError struct{ Method, URL string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("DRY RUN: %s %s refused and recorded as a planned change", e.Method, e.URL)
}

// Unwrap makes errors.Is(err, ErrDryRun) true.
func (e *RefusedError) Unwrap() error { return ErrDryRun }

// Recorder is the part of actions.Recorder the transport needs.
type Recorder interface {
	Evidence(kind string, v any) (string, error)
	Planned(report.PlannedChange)
}

// Options configure a client.
type Options struct {
	DryRun   bool
	Step     string
	Redactor *redact.Redactor
	Recorder Recorder // may be nil: nothing is recorded
	// Timeout bounds one request, including reading the body. Default 30s.
	Timeout time.Duration
	// Base is the underlying transport; nil means a clone of http.DefaultTransport.
	Base http.RoundTripper
	// MaxBodyRecord bounds how much of a body is recorded (default 1 MiB);
	// the full body still reaches the caller.
	MaxBodyRecord int
}

// NewClient returns the guarded, recording client.
func NewClient(o Options) *http.Client {
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxBodyRecord == 0 {
		o.MaxBodyRecord = 1 << 20
	}
	base := o.Base
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	// HTTPClient's rules (no redirect followed, plain http only to
	// loopback), with the dry-run guard and the evidence behind them.
	return HTTPClient(o.Timeout, &guard{o: o, next: base})
}

// Exchange is the evidence record of one HTTP request.
type Exchange struct {
	Time       time.Time         `json:"time"`
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	ReqHeaders map[string]string `json:"request_headers,omitempty"`
	ReqBody    string            `json:"request_body,omitempty"`
	Status     int               `json:"status,omitempty"`
	RespHeads  map[string]string `json:"response_headers,omitempty"`
	RespBody   string            `json:"response_body,omitempty"`
	Truncated  bool              `json:"truncated,omitempty"`
	DurationMS float64           `json:"duration_ms"`
	Error      string            `json:"error,omitempty"`
	Refused    bool              `json:"refused_dry_run,omitempty"`
	// proof: every text above was redacted by this redactor (see
	// RedactedBy), so the evidence writer needs no second full pass.
	proof redact.Proof
}

// RedactedBy makes an Exchange a redact.Clean value: the guard redacts
// every text of it, header names included, before recording it.
func (e Exchange) RedactedBy() redact.Proof { return e.proof }

// texts redacts the exchange's texts as the guard builds it, and keeps the
// proof of it.
type texts struct {
	red   *redact.Redactor
	proof redact.Proof
}

func newTexts(red *redact.Redactor) *texts {
	_, p := red.Redact("")
	return &texts{red: red, proof: p}
}

func (t *texts) str(s string) string {
	out, p := t.red.Redact(s)
	t.proof = t.proof.And(p)
	return out
}

type guard struct {
	o    Options
	next http.RoundTripper
	// lastBody is the size of the last answer's body: the next body of
	// an unknown length is read into a buffer that size (answers of one
	// API are alike), not grown from 512 bytes by io.ReadAll's steps,
	// each a copy (a 180 KB answer took 20 of them).
	lastBody atomic.Int64
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := CheckURL(req.URL); err != nil {
		return nil, err
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	// Under a Pipelined context the previous exchange may still be being
	// recorded: every record written here waits for it first (settle), so
	// records keep the order of their exchanges.
	pl := pipelineOf(req.Context())
	red := newTexts(g.o.Redactor)
	ex := Exchange{
		Time:       time.Now().UTC(),
		Method:     red.str(req.Method),
		URL:        red.str(req.URL.String()),
		ReqHeaders: headers(red, req.Header),
	}
	ex.ReqBody = g.clip(red.str(string(reqBody)), &ex)
	ex.proof = red.proof
	if g.o.DryRun && !readOnly(req) {
		ex.Refused = true
		if g.o.Recorder != nil {
			pl.settle()
			g.o.Recorder.Planned(report.PlannedChange{Step: g.o.Step, Method: req.Method, URL: ex.URL, Body: ex.ReqBody})
			g.o.Recorder.Evidence("http", ex)
		}
		return nil, &RefusedError{Method: req.Method, URL: ex.URL}
	}
	start := time.Now()
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		ex.DurationMS = ms(time.Since(start))
		ex.Error = red.str(err.Error())
		ex.proof = red.proof
		pl.settle()
		g.record(ex)
		return nil, err
	}
	body, rerr := g.readBody(resp)
	resp.Body.Close()
	ex.DurationMS = ms(time.Since(start))
	ex.Status = resp.StatusCode
	if a := answerOf(req.Context()); a != nil && rerr == nil {
		a.body, a.ok = body, true
	}
	finish := func(h http.Header) {
		ex.RespHeads = headers(red, h)
		// A read-only view of body: nothing writes to it once read (the
		// caller gets a reader over it), so the copy string(body) would
		// make is not needed.
		ex.RespBody = g.clip(red.str(unsafe.String(unsafe.SliceData(body), len(body))), &ex)
		ex.proof = red.proof
	}
	if pl != nil && rerr == nil && g.o.Recorder != nil {
		// The caller reads the answer while it is redacted and recorded;
		// the header map is copied, since the caller may change its own.
		h := resp.Header.Clone()
		pl.start(func() {
			finish(h)
			g.record(ex)
		})
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	}
	finish(resp.Header)
	pl.settle()
	if rerr != nil {
		ex.Error = "reading body: " + red.str(rerr.Error())
		ex.proof = red.proof
		g.record(ex)
		return nil, rerr
	}
	g.record(ex)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// maxBodyHint bounds the buffer allocated ahead of a body: a
// Content-Length is the server's word, not bytes received.
const maxBodyHint = 4 << 20

// readBody reads the whole body, as io.ReadAll, into a buffer sized by
// its Content-Length or the last body's size. That size is only a guess
// for the next answer: one a byte longer made bytes.Buffer double the
// buffer and copy it (half of an Email Activity run's answers, each a few
// KB longer or shorter than the one before), so the guess gets an eighth
// more room.
func (g *guard) readBody(resp *http.Response) ([]byte, error) {
	hint := resp.ContentLength
	if hint < 0 {
		hint = g.lastBody.Load()
		hint += hint / 8
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(hint, maxBodyHint)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxAnswer+1))
	if err == nil && buf.Len() > MaxAnswer {
		err = errTooLarge
	}
	g.lastBody.Store(int64(buf.Len()))
	return buf.Bytes(), err
}

// MaxAnswer bounds what is read of one answer: an endless or huge body
// from a broken or hostile host otherwise grew in memory for as long as the
// step's timeout let it (900 MB in 8 s from a loopback server; now 16 MiB and its redaction). The largest
// answers keyir reads (a page of 1,000 Email Activity messages) are well
// under a megabyte.
const MaxAnswer = 16 << 20

var errTooLarge = fmt.Errorf("the answer is larger than %d MiB: refused (a provider's answers are far smaller)", MaxAnswer>>20)

func (g *guard) clip(s string, ex *Exchange) string {
	if len(s) > g.o.MaxBodyRecord {
		ex.Truncated = true
		return s[:g.o.MaxBodyRecord]
	}
	return s
}

func (g *guard) record(ex Exchange) {
	if g.o.Recorder != nil {
		g.o.Recorder.Evidence("http", ex)
	}
}

// headers keeps the headers worth keeping as evidence; credentials are dropped
// whole, whatever the redactor knows. Names are redacted too: a server
// chooses them.
func headers(red *texts, h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		switch strings.ToLower(k) {
		case "authorization", "cookie", "set-cookie", "proxy-authorization", "x-slack-signature":
			out[red.str(k)] = "[REDACTED]"
			continue
		}
		out[red.str(k)] = red.str(strings.Join(v, ", "))
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// CheckURL refuses anything but https, or http to a loopback address.
func CheckURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("refusing plain http to %s: use https (plain http is allowed only to loopback addresses)", u.Host)
	}
	return fmt.Errorf("refusing URL scheme %q: use https", u.Scheme)
}

// CheckBaseURL validates a configured API base URL (SENDGRID_API_URL and the like).
func CheckBaseURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if strings.Contains(raw, "@") { // user:password@ is not quoted
			return fmt.Errorf("%s is not an absolute URL (not shown: it holds an @, perhaps a password)", name)
		}
		return fmt.Errorf("%s: %q is not an absolute URL", name, raw)
	}
	if err := CheckURL(u); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
