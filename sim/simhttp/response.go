package simhttp

import "bytes"
import "encoding/json"
import "io"
import "net/http"
import "slices"
import "strconv"
import "time"

// Response is an answer a simulator builds whole before sending it, so that
// a truncate fault can cut it and OnResponse can see it.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON is a Response of status with v marshalled as its body, of
// contentType (each provider sends its own). Only simulator-built values are
// marshalled, so a failure is a bug in the simulator: JSON panics.
func JSON(status int, contentType string, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return Response{Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: b}
}

// With returns r with every field of h that r does not set itself: the
// headers laid on every answer (rate limits) never override a handler's own.
func (r Response) With(h http.Header) Response {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	for k, v := range h {
		if _, set := r.Header[k]; !set {
			r.Header[k] = v
		}
	}
	return r
}

// Observer sees every response a simulator produces itself (not injected
// faults): the request (its body readable again), status, headers and
// body. The contract tests check answers with it.
type Observer func(r *http.Request, status int, h http.Header, body []byte)

// Exchange is one request a simulator is answering: Receive logs it,
// Intercept plays the faults injected for it, Send answers it.
type Exchange struct {
	w        http.ResponseWriter
	r        *http.Request
	body     []byte
	route    string
	log      *Log
	idx      int
	truncate bool
}

// Receive records rec (the request r, whose body the simulator read as
// rec.Body) and returns the exchange that answers it.
func (l *Log) Receive(w http.ResponseWriter, r *http.Request, rec Request) *Exchange {
	return &Exchange{w: w, r: r, body: rec.Body, route: rec.Route, log: l, idx: l.Add(rec)}
}

// Intercept does what comes before a simulator's own handling of a
// request: it waits latency (the simulator's, added to every answer), then
// takes the fault due from q and acts it out. A status fault is answered
// with errorBody (the simulator's error body for a status and its text)
// and Retry-After when the fault sets one; own answers a fault kind of the
// simulator's own (nil: it has none; false: not one that answers). It
// reports whether the request is finished (answered, reset, timed out, or
// its client gone); a truncate fault is kept for Send.
func (x *Exchange) Intercept(q *Faults, latency time.Duration, errorBody func(status int, msg string) Response, own func(*Fault) (Response, bool)) (done bool) {
	if latency > 0 && !Latency(x.r.Context(), latency) {
		return true
	}
	f := q.Take(x.r.Method, x.route)
	if f == nil {
		return false
	}
	if Act(x.w, x.r, f) {
		return true
	}
	if f.Kind == FaultStatus {
		st := f.StatusOr(http.StatusInternalServerError)
		resp := errorBody(st, http.StatusText(st))
		if f.RetryAfter > 0 {
			resp = resp.With(http.Header{"Retry-After": {strconv.Itoa(f.RetryAfter)}})
		}
		x.write(resp)
		return true
	}
	if own != nil {
		if resp, ok := own(f); ok {
			x.write(resp)
			return true
		}
	}
	x.truncate = f.Kind == FaultTruncate
	return false
}

// Send answers with resp, giving a body without a Content-Type the
// simulator's contentType. Under a truncate fault only the first half of
// the body goes (with its real status and headers, and a Content-Length
// that matches the half); otherwise observe (nil: nobody) is shown the
// answer.
func (x *Exchange) Send(resp Response, contentType string, observe Observer) {
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	if len(resp.Body) > 0 && resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", contentType)
	}
	full := resp.Body
	if x.truncate {
		resp.Body = resp.Body[:len(resp.Body)/2]
		resp.Header.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	x.write(resp)
	if observe != nil && !x.truncate {
		r2 := x.r.Clone(x.r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(x.body))
		observe(r2, resp.Status, resp.Header.Clone(), slices.Clone(full))
	}
}

// write sends resp as it is and records its status.
func (x *Exchange) write(resp Response) {
	x.log.SetStatus(x.idx, resp.Status)
	h := x.w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	x.w.WriteHeader(resp.Status)
	_, _ = x.w.Write(resp.Body)
}
