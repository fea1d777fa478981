package contract_test

import "fmt"
import "io"
import "math/rand/v2"
import "net/http"
import "net/http/httptest"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

func TestObserve(t *testing.T) {
	st := sendgridsim.NewState()
	k := sendgridsim.NewKey(rand.New(rand.NewPCG(1, 1)), "k", sendgridsim.FullAccessScopes())
	st.AddKey(k)
	// A status outside the spec's enum: the observer must flag the simulator's response.
	st.AddMessages(sendgridsim.Message{ID: "m", Status: "bounced", LastEventTime: time.Unix(0, 0)})

	rec := &recorder{TB: t}
	cfg := sendgridsim.DefaultConfig()
	contract.Observe(rec, &cfg)
	srv := httptest.NewServer(sendgridsim.New(st, cfg))
	defer srv.Close()
	get := func(path string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+k.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get("/v3/scopes")
	get("/v3/api_keys")
	if len(rec.errs) != 0 {
		t.Fatalf("valid responses flagged: %v", rec.errs)
	}
	get("/v3/messages")
	if len(rec.errs) != 1 {
		t.Fatalf("invalid message status not flagged: %v", rec.errs)
	}
}
