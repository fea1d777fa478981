package sendgrid

import (
	"context"
	"testing"
	"time"

	sgsim "github.com/keyir/keyir/sim/sendgrid"
)

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
