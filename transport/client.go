package transport

import "net/http"
import "time"

// HTTPClient returns keyir's one kind of HTTP client, with the rules every
// request keyir makes obeys: it never follows a redirect (a redirect could
// carry a credential header to another host), and it refuses plain http://
// except to a loopback address (CheckURL). NewClient adds an action step's
// dry-run guard and evidence on top; notifications and keyir serve use it
// as is. base nil is a clone of http.DefaultTransport.
func HTTPClient(timeout time.Duration, base http.RoundTripper) *http.Client {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{
		Timeout:       timeout,
		Transport:     checkedURL{base},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkedURL refuses, before anything is sent, a URL CheckURL refuses.
type checkedURL struct{ next http.RoundTripper }

func (c checkedURL) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := CheckURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	return c.next.RoundTrip(req)
}
