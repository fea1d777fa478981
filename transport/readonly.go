package transport

import "net/http"
import "strings"

// methodOverrides are the headers with which many servers take a request's
// method from a header instead of its request line.
var methodOverrides = []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

// readOnly is what a dry run lets through: GET or HEAD, and no header that
// asks the server to treat it as another method (a GET with
// X-HTTP-Method-Override: DELETE is a delete wherever that is honoured).
func readOnly(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	for _, h := range methodOverrides {
		for _, v := range req.Header.Values(h) {
			if m := strings.ToUpper(strings.TrimSpace(v)); m != http.MethodGet && m != http.MethodHead {
				return false
			}
		}
	}
	return true
}
