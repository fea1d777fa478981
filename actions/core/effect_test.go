package core

import "reflect"
import "strings"
import "testing"

// TestHTTPEffect: the step's own method decides, an unknown or invalid one
// counts as a write (and an invalid one, which came from an input, is not
// echoed), and the host is the URL's, in the form credentials bind to.
func TestHTTPEffect(t *testing.T) {
	for _, tc := range []struct {
		method, url string
		mutates     bool
		why         string
		hosts       []string
	}{
		{"GET", "https://API.example.com:443/keys/1", false, "core.http GET: a read", []string{"api.example.com"}},
		{"HEAD", "", false, "core.http HEAD: a read", nil},
		{"POST", "https://api.example.com/keys/1/revoke", true, "core.http POST: any method but GET or HEAD", []string{"api.example.com"}},
		{"DELETE", "http://127.0.0.1:8080/k", true, "core.http DELETE", []string{"127.0.0.1:8080"}},
		{"", "https://api.example.com/x", true, "known only at run time", []string{"api.example.com"}},
		{"SG.not-a-method", "", true, "not a method it sends", nil},
	} {
		e := (&HTTP{Method: tc.method, URL: tc.url}).Effect()
		if e.Mutates != tc.mutates || !strings.Contains(e.Why, tc.why) || !reflect.DeepEqual(e.Hosts, tc.hosts) {
			t.Errorf("%s %s: %+v; want mutates=%v, why containing %q, hosts %v", tc.method, tc.url, e, tc.mutates, tc.why, tc.hosts)
		}
		if strings.Contains(e.Why, "SG.") {
			t.Errorf("an invalid method is echoed: %q", e.Why)
		}
	}
}
