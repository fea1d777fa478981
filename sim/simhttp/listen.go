package simhttp

import "context"
import "errors"
import "fmt"
import "net"
import "net/http"
import "time"

// Listen serves h on a real TCP listener at addr, which must be a loopback
// address ("127.0.0.1:0" picks a free port): a simulator holds fake secrets
// and answers anyone, so it never listens beyond the machine. name prefixes
// errors ("github sim"). It returns the base URL ("http://127.0.0.1:PORT")
// and a shutdown function, which also ends requests held by a timeout fault.
func Listen(name, addr string, h http.Handler) (baseURL string, shutdown func(context.Context) error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("%s: listen address %q: %w", name, addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("%s: listen address %q is not loopback", name, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	// Cancelling the base context wakes handlers asleep in a fault.
	base, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	shutdown = func(ctx context.Context) error {
		cancel()
		// Shutdown waits up to 5 s for a connection that was opened but has not
		// sent a request yet (a client's spare connection): give in-flight
		// requests a moment, then close whatever is left.
		grace, stop := context.WithTimeout(ctx, 250*time.Millisecond)
		defer stop()
		err := srv.Shutdown(grace)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = srv.Close()
		}
		if serr := <-done; err == nil && !errors.Is(serr, http.ErrServerClosed) {
			err = serr
		}
		return err
	}
	return "http://" + ln.Addr().String(), shutdown, nil
}
