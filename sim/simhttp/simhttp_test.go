package simhttp

import "context"
import "errors"
import "io"
import "net/http"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "8.8.8.8:0", "example.com:0", "nonsense"} {
		if _, _, err := Listen("x sim", addr, http.NotFoundHandler()); err == nil || !strings.HasPrefix(err.Error(), "x sim: ") {
			t.Errorf("Listen(%q): %v", addr, err)
		}
	}
}

// A timeout fault holds the request; shutdown must end it, not wait MaxHang.
func TestShutdownEndsHeldRequest(t *testing.T) {
	var q Faults
	q.Inject(Fault{Kind: FaultTimeout})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := q.Take(r.Method, ""); f != nil && Act(w, r, f) {
			return
		}
		w.WriteHeader(204)
	})
	url, shutdown, err := Listen("x sim", "127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			err = errors.New("answered " + resp.Status)
		}
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("held request: %v after %v", err, time.Since(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown left the held request hanging")
	}
}

func TestFaultsAfterTimesAndMatching(t *testing.T) {
	var q Faults
	q.Inject(Fault{Method: "GET", Route: "GET /a", After: 1, Times: 2, Kind: FaultStatus, Status: 502})
	q.Inject(Fault{Route: "GET /a", Kind: FaultReset}) // counts every /a request, fires when the first is not due
	var got []string
	for range 5 {
		f := q.Take("GET", "GET /a")
		if f == nil {
			got = append(got, "-")
		} else {
			got = append(got, string(f.Kind))
		}
	}
	if want := "reset status status reset reset"; strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	if f := q.Take("POST", "POST /b"); f != nil {
		t.Fatalf("a fault for another route fired: %+v", f)
	}
	q.Clear()
	if f := q.Take("GET", "GET /a"); f != nil {
		t.Fatalf("fault after Clear: %+v", f)
	}
	if (Fault{}).StatusOr(500) != 500 || (Fault{Status: 429}).StatusOr(500) != 429 {
		t.Fatal("StatusOr")
	}
}

func TestLogCopiesAndCounts(t *testing.T) {
	var l Log
	i := l.Add(Request{Method: "GET", Route: "GET /a", Header: http.Header{"X": {"1"}}, Body: []byte("b")})
	l.Add(Request{Method: "POST", Route: "POST /a"})
	l.SetStatus(i, 418)
	rs := l.Requests()
	rs[0].Header.Set("X", "changed")
	rs[0].Body[0] = 'z'
	if again := l.Requests()[0]; again.Header.Get("X") != "1" || string(again.Body) != "b" || again.Status != 418 {
		t.Fatalf("the log was changed through a copy or lost its status: %+v", again)
	}
	if l.Count("", "") != 2 || l.Count("GET", "") != 1 || l.Count("", "POST /a") != 1 || l.Count("GET", "POST /a") != 0 {
		t.Fatal("Count")
	}
}

func TestContractRecords(t *testing.T) {
	c := NewContract(ContractOptions{Package: "example.com/sim", Headers: true, LogEnv: "SIMHTTP_TEST_LOG"})
	logFile := filepath.Join(t.TempDir(), "v.log")
	t.Setenv("SIMHTTP_TEST_LOG", logFile)
	c.SetValidator(func(r *http.Request, body []byte) []string {
		if string(body) != "ok" {
			return []string{"body is not ok"}
		}
		return nil
	})
	var l Log
	origin := c.Origin()
	if !strings.HasPrefix(origin, "simhttp.TestContractRecords") {
		t.Fatalf("origin %q does not name the test", origin)
	}
	op := &Operation{Name: "GET /a", Query: []string{"page"}, Headers: []string{"x-ok"}}
	r, _ := http.NewRequest("GET", "http://h/a?page=1&zeta=1&alpha=2", nil)
	r.Header.Set("X-Ok", "1")
	r.Header.Set("X-Extra", "1")
	r.Header.Set("User-Agent", "go")
	c.Check(&l, "eu", origin, r, []byte("no"), op, "")
	c.Check(&l, "", origin, r, nil, nil, "no such operation")
	var problems []string
	for _, v := range l.Violations() {
		problems = append(problems, v.Problem)
	}
	want := []string{`query parameter "alpha" is not declared for GET /a`, `query parameter "zeta" is not declared for GET /a`,
		`header "x-extra" is not declared for GET /a`, "body is not ok", "no such operation"}
	if strings.Join(problems, "|") != strings.Join(want, "|") {
		t.Fatalf("problems\n%q\nwant\n%q", problems, want)
	}
	if vs := c.Violations(); len(vs) != 5 || vs[0].Host != "eu" || !strings.Contains(vs[0].String(), "(eu host)") || strings.Contains(vs[4].String(), "host)") {
		t.Fatalf("process-wide violations %v", vs)
	}
	b, err := os.ReadFile(logFile)
	if err != nil || strings.Count(string(b), "\n") != 5 {
		t.Fatalf("log file: %q %v", b, err)
	}
	c.Reset()
	if prev := c.SetChecking(false); !prev {
		t.Fatal("checking was off under go test")
	}
	c.Check(&l, "", origin, r, nil, nil, "no such operation")
	if len(c.Violations()) != 0 || len(l.Violations()) != 5 || c.Origin() != "" {
		t.Fatal("a check while off recorded something, or Reset kept violations")
	}
}

// Headers are checked only where the description declares them.
func TestContractWithoutHeaders(t *testing.T) {
	c := NewContract(ContractOptions{})
	var l Log
	r, _ := http.NewRequest("GET", "http://h/a", io.NopCloser(strings.NewReader("")))
	r.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	c.Check(&l, "", "", r, nil, &Operation{Name: "GET /a"}, "")
	if vs := l.Violations(); len(vs) != 0 {
		t.Fatalf("%v", vs)
	}
}
