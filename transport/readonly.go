package transport

import "context"
import "net/http"
import "strings"

// methodOverrides are the headers with which many servers take a request's
// method from a header instead of its request line.
var methodOverrides = []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

// OverrideMethod is the method a header of h asks the server to take the
// request as instead of its request line's, "" when none asks for another
// than GET or HEAD.
func OverrideMethod(h http.Header) string {
	for _, name := range methodOverrides {
		for _, v := range h.Values(name) {
			if m := strings.ToUpper(strings.TrimSpace(v)); m != http.MethodGet && m != http.MethodHead {
				return m
			}
		}
	}
	return ""
}

// writeKey marks a request's context as a change whatever its method.
type writeKey struct{}

// AsWrite marks the requests sent with ctx as changes whatever their method:
// an endpoint that revokes on a GET (some providers' revocation URLs do) is
// a write, and a dry run refuses it like any other.
func AsWrite(ctx context.Context) context.Context {
	return context.WithValue(ctx, writeKey{}, true)
}

// readOnly is what a dry run lets through: GET or HEAD not marked AsWrite,
// and no header that asks the server to treat it as another method (a GET
// with X-HTTP-Method-Override: DELETE is a delete wherever that is honoured).
func readOnly(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	if w, _ := req.Context().Value(writeKey{}).(bool); w {
		return false
	}
	if OverrideMethod(req.Header) != "" {
		return false
	}
	return true
}
