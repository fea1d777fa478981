package ghtoken

import "context"
import "net/http"
import "testing"
import "time"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/sim/githubsim"

// TestDrillWorldInjectsTheFaultAsGiven: a fault handed to the drill world
// reaches the simulator whole, so a secondary rate limit's Retry-After is
// the one asked for (the world used to copy the fields one by one and drop
// RetryAfter, so the simulator answered its default of 1).
func TestDrillWorldInjectsTheFaultAsGiven(t *testing.T) {
	sc, ok := githubsim.LookupScenario("github-pat-leak")
	if !ok {
		t.Fatal("no github-pat-leak")
	}
	pw, err := worldOf(sc)(context.Background(), time.Now(), provider.WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	w := pw.(*DrillWorld)
	w.InjectFault(provider.Fault{Method: "GET", Route: "GET /user", Times: 1, Kind: githubsim.FaultSecondary, RetryAfter: 7})
	req, err := http.NewRequest("GET", w.Env()[EnvAPIURL]+"/user", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.fx.ResponderToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("GET /user: %d, Retry-After %q; want 403 and 7", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
