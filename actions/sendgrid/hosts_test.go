package sendgrid

import (
	"context"
	"os"
	"testing"
	"time"

	sgsim "github.com/keyir/keyir/sim/sendgrid"
	"github.com/keyir/keyir/sim/sendgrid/contract"
)

// TestMain fails the package when any request these tests send to the
// simulator departs from the official spec (an undeclared query parameter
// or header, on-behalf-of where the operation has none, a limit past its
// maximum, an operation the host does not serve).
func TestMain(m *testing.M) { os.Exit(contract.RunMain(m)) }

// listenHosts serves srv as the global and the EU host, stopped when the
// test ends.
func listenHosts(t testing.TB, srv *sgsim.Server) (global, eu string) {
	t.Helper()
	h, err := sgsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	})
	return h.URL, h.EUURL
}
