package sendgrid

import "context"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"

// listenHosts serves srv as the global and the EU host, stopped when the
// test ends.
func listenHosts(t testing.TB, srv *sendgridsim.Server) (global, eu string) {
	t.Helper()
	h, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
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
