package simhttp

import "net/http"
import "testing"

// recorderSim is a simulator built on Recorder alone, as githubsim's and
// sendgridsim's Servers are: every request is logged, checked against a
// contract that declares no operation, and meets the injected faults.
type recorderSim struct{ Recorder }

func (s *recorderSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := s.Receive(w, r, Request{Method: r.Method, Path: r.URL.Path, Route: "POST /echo"})
	s.CheckContract("", r, nil, nil, "no such operation")
	errorBody := func(status int, msg string) Response {
		return JSON(status, "application/x-err", map[string]string{"error": msg})
	}
	if s.Intercept(x, 0, errorBody, nil) {
		return
	}
	x.Send(Response{Status: http.StatusCreated}, "application/json", nil)
}

// What a Server gets from embedding Recorder: its requests logged and
// counted, its faults played and cleared, each request checked against the
// contract given to Record and each departure kept as the server's own.
func TestRecorderLogsChecksAndPlaysFaults(t *testing.T) {
	c := NewContract(ContractOptions{})
	c.SetChecking(true)
	s := &recorderSim{}
	if post(t, s, "a").Code != http.StatusCreated || len(s.ContractViolations()) != 0 {
		t.Fatalf("before Record: violations %v, want none (no contract to check against)", s.ContractViolations())
	}
	s.Record(c)
	s.InjectFault(Fault{Method: "POST", Route: "POST /echo", Times: 1, Kind: FaultStatus, Status: http.StatusServiceUnavailable})
	if w := post(t, s, "b"); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("the injected fault did not fire: %d", w.Code)
	}
	s.InjectFault(Fault{Method: "POST", Route: "POST /echo", Times: 1, Kind: FaultStatus, Status: http.StatusBadGateway})
	s.ClearFaults()
	if w := post(t, s, "c"); w.Code != http.StatusCreated {
		t.Fatalf("a cleared fault fired: %d", w.Code)
	}
	if n := s.Count("POST", "POST /echo"); n != 3 || len(s.Requests()) != 3 || s.Requests()[1].Status != http.StatusServiceUnavailable {
		t.Fatalf("Count = %d, Requests = %+v: want the three requests, the second answered 503", n, s.Requests())
	}
	vs := s.ContractViolations()
	if len(vs) != 2 || vs[0].Problem != "no such operation" || len(c.Violations()) != 2 {
		t.Fatalf("violations %+v (contract's %d): want the two requests after Record", vs, len(c.Violations()))
	}
}
