package drill_test

import "net/http"
import "testing"

import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// sim is the SendGrid simulator a drill of a SendGrid scenario ran against.
func sim(t testing.TB, res *drill.Result) *sendgridsim.Server {
	t.Helper()
	w, ok := res.World.(*sendgrid.DrillWorld)
	if !ok {
		t.Fatalf("the drill's world is a %T, not SendGrid's", res.World)
	}
	return w.Sim()
}

// observe checks every response of the drill's simulator against SendGrid's
// official spec.
func observe(t testing.TB) func(*http.Request, int, http.Header, []byte) {
	var cfg sendgridsim.Config
	contract.Observe(t, &cfg)
	return cfg.OnResponse
}
