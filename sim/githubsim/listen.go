package githubsim

import "context"

import "github.com/keyir/keyir/sim/simhttp"

// EnvURL is the variable keyir reads GitHub's API root from
// (https://api.github.com, or https://HOST/api/v3 for Enterprise Server).
const EnvURL = "GITHUB_API_URL"

// Listen serves s on a loopback TCP address ("127.0.0.1:0": a free port) and
// returns the API root (with /api/v3 in Enterprise mode) and a shutdown
// function that also ends requests held by a timeout fault.
func Listen(addr string, s *Server) (apiURL string, shutdown func(context.Context) error, err error) {
	apiURL, shutdown, err = simhttp.Listen("github sim", addr, s)
	if err == nil && s.cfg.Enterprise {
		apiURL += "/api/v3"
	}
	return apiURL, shutdown, err
}
