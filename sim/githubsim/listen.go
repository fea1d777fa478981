package githubsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// EnvURL is the variable keyir reads GitHub's API root from
// (https://api.github.com, or https://HOST/api/v3 for Enterprise Server).
const EnvURL = "GITHUB_API_URL"

// Listen serves s on a loopback TCP address ("127.0.0.1:0": a free port) and
// returns the API root (with /api/v3 in Enterprise mode) and a shutdown
// function that also ends requests held by a timeout fault.
func Listen(addr string, s *Server) (apiURL string, shutdown func(context.Context) error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("github sim: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("github sim: listen address %q is not loopback", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("github sim: %w", err)
	}
	base, cancel := context.WithCancel(context.Background())
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return base }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	shutdown = func(ctx context.Context) error {
		cancel()
		// A client's idle spare connection would hold Shutdown for seconds.
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
	apiURL = "http://" + ln.Addr().String()
	if s.cfg.Enterprise {
		apiURL += "/api/v3"
	}
	return apiURL, shutdown, nil
}
