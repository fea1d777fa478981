package simhttp

import "io"
import "net/http"
import "net/http/httptest"
import "strings"
import "testing"

// exchangeSim is a minimal simulator on Exchange: one route, an error body
// of its own, and a kind of fault of its own ("teapot").
type exchangeSim struct {
	log      Log
	faults   Faults
	observed []string
}

func (s *exchangeSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	x := s.log.Receive(w, r, Request{Method: r.Method, Path: r.URL.Path, Body: body, Route: "POST /echo"})
	errorBody := func(status int, msg string) Response {
		return JSON(status, "application/x-err", map[string]string{"error": msg})
	}
	teapot := func(f *Fault) (Response, bool) {
		if f.Kind != "teapot" {
			return Response{}, false
		}
		return JSON(http.StatusTeapot, "application/x-err", map[string]string{"error": "teapot"}), true
	}
	if x.Intercept(&s.faults, 0, errorBody, teapot) {
		return
	}
	resp := Response{Status: 201, Body: []byte(`{"echo":"` + string(body) + `"}`)}.With(http.Header{"X-Limit": {"5"}})
	x.Send(resp, "application/json", func(r *http.Request, status int, h http.Header, b []byte) {
		again, _ := io.ReadAll(r.Body)
		s.observed = append(s.observed, string(again)+" "+http.StatusText(status)+" "+h.Get("Content-Type")+" "+h.Get("X-Limit")+" "+string(b))
	})
}

func post(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/echo", strings.NewReader(body)))
	return w
}

func TestExchangeSendsObservesAndLogs(t *testing.T) {
	s := &exchangeSim{}
	w := post(t, s, "hi")
	if w.Code != 201 || w.Body.String() != `{"echo":"hi"}` || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-Limit") != "5" {
		t.Fatalf("answer: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if want := `hi Created application/json 5 {"echo":"hi"}`; len(s.observed) != 1 || s.observed[0] != want {
		t.Fatalf("observed %q, want %q", s.observed, want)
	}
	if rs := s.log.Requests(); len(rs) != 1 || rs[0].Status != 201 || string(rs[0].Body) != "hi" {
		t.Fatalf("log: %+v", rs)
	}
}

func TestExchangeStatusFaultUsesTheSimulatorsErrorBody(t *testing.T) {
	s := &exchangeSim{}
	s.faults.Inject(Fault{Kind: FaultStatus, Status: 503, RetryAfter: 7, Times: 1})
	w := post(t, s, "hi")
	if w.Code != 503 || w.Body.String() != `{"error":"Service Unavailable"}` || w.Header().Get("Retry-After") != "7" || w.Header().Get("Content-Type") != "application/x-err" {
		t.Fatalf("status fault: %d %v %s", w.Code, w.Header(), w.Body)
	}
	s.faults.Inject(Fault{Kind: FaultStatus, Times: 1})
	if w := post(t, s, "hi"); w.Code != 500 || w.Header().Get("Retry-After") != "" {
		t.Fatalf("default status fault: %d %v", w.Code, w.Header())
	}
	if len(s.observed) != 0 {
		t.Fatalf("an injected fault was observed: %q", s.observed)
	}
	if rs := s.log.Requests(); len(rs) != 2 || rs[0].Status != 503 || rs[1].Status != 500 {
		t.Fatalf("log: %+v", rs)
	}
}

func TestExchangeOwnFaultKindAndTruncate(t *testing.T) {
	s := &exchangeSim{}
	s.faults.Inject(Fault{Kind: "teapot", Times: 1})
	if w := post(t, s, "hi"); w.Code != http.StatusTeapot {
		t.Fatalf("own kind: %d %s", w.Code, w.Body)
	}
	s.faults.Inject(Fault{Kind: FaultTruncate, Times: 1})
	w := post(t, s, "hello")
	full := `{"echo":"hello"}`
	if w.Code != 201 || w.Body.String() != full[:len(full)/2] || w.Header().Get("Content-Length") != "8" {
		t.Fatalf("truncated: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if len(s.observed) != 0 {
		t.Fatalf("a truncated answer was observed: %q", s.observed)
	}
	// The fault is used up: the next answer is whole and observed.
	if w := post(t, s, "hi"); w.Body.String() != `{"echo":"hi"}` || len(s.observed) != 1 {
		t.Fatalf("after the faults: %s, observed %q", w.Body, s.observed)
	}
}

func TestWithKeepsTheHandlersOwnHeaders(t *testing.T) {
	r := Response{Status: 200, Header: http.Header{"Retry-After": {"1"}}}.With(http.Header{"Retry-After": {"9"}, "X-Limit": {"5"}})
	if r.Header.Get("Retry-After") != "1" || r.Header.Get("X-Limit") != "5" {
		t.Fatalf("With: %v", r.Header)
	}
	if r := (Response{Status: 204}).With(http.Header{"X-Limit": {"5"}}); r.Header.Get("X-Limit") != "5" {
		t.Fatalf("With on a nil header: %v", r.Header)
	}
}
