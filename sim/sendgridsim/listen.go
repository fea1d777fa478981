package sendgridsim

import "context"
import "errors"
import "net/http"

import "github.com/keyir/keyir/sim/simhttp"

// Listen serves h on a real TCP listener at addr, which must be a loopback address
// ("127.0.0.1:0" picks a free port). It returns the base URL ("http://127.0.0.1:PORT") and a
// shutdown function, which also ends requests held by a timeout fault.
func Listen(addr string, h http.Handler) (baseURL string, shutdown func(context.Context) error, err error) {
	return simhttp.Listen("sendgrid sim", addr, h)
}

// The environment variables keyir reads the two SendGrid base URLs from.
const (
	EnvURL   = "SENDGRID_API_URL"    // global host (https://api.sendgrid.com)
	EnvURLEU = "SENDGRID_API_URL_EU" // EU host (https://api.eu.sendgrid.com)
)

// Hosts are a server's two listeners: the global host and the EU host.
type Hosts struct {
	URL   string // the global host's base URL, for SENDGRID_API_URL
	EUURL string // the EU host's base URL, for SENDGRID_API_URL_EU
	stop  []func(context.Context) error
}

// ListenHosts serves s on two loopback listeners: the global host at addr and the EU host
// (s.EU()) at euAddr ("127.0.0.1:0" picks free ports).
func ListenHosts(addr, euAddr string, s *Server) (*Hosts, error) {
	g, gstop, err := Listen(addr, s)
	if err != nil {
		return nil, err
	}
	eu, estop, err := Listen(euAddr, s.EU())
	if err != nil {
		_ = gstop(context.Background())
		return nil, err
	}
	return &Hosts{URL: g, EUURL: eu, stop: []func(context.Context) error{gstop, estop}}, nil
}

// Env returns the two base URLs under the names keyir reads them from.
func (h *Hosts) Env() map[string]string {
	return map[string]string{EnvURL: h.URL, EnvURLEU: h.EUURL}
}

// Shutdown stops both listeners (see Listen).
func (h *Hosts) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range h.stop {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}
