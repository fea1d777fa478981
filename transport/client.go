package transport

import "io"
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
	resp, err := c.next.RoundTrip(req)
	if err == nil {
		// Bounded for every client: serve's Slack calls and the
		// notifications read answers through libraries that read them
		// whole, and an endless body would grow until the timeout.
		resp.Body = &boundedBody{ReadCloser: resp.Body, left: MaxAnswer}
	}
	return resp, err
}

// boundedBody ends an answer past MaxAnswer with an error instead of
// reading on; one of exactly MaxAnswer bytes still ends with io.EOF.
type boundedBody struct {
	io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 {
			return 0, err // io.EOF: the answer was exactly MaxAnswer
		}
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
