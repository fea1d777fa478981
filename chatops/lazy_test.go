package chatops

import "regexp"
import "testing"

// The id expressions are compiled on first use, not at start-up: each
// must compile and tell a good id from a bad one here, whatever command
// or config the other tests happen to parse.
func TestLazyIDExpressionsCompile(t *testing.T) {
	for _, tc := range []struct {
		re        func() *regexp.Regexp
		good, bad string
	}{
		{teamRE, "T0123ABCD", "t0123abcd"},
		{appRE, "A0123ABCD", "T0123ABCD"},
		{userIDRE, "W0123ABCD", "@alice"},
		{groupRE, "S0123ABCD", "U0123ABCD"},
		{channelRE, "C0123ABCD", "#general"},
		{keyIDRE, "abcdefghijABCDEFGHIJ_-", "short"},
		{scenarioRE, "subuser-key", "Sub User"},
		{runIDRE, "20261203-run.1", "../x"},
		{requestIDRE, "req_0123456789abcdef01234567", "req_x"},
		{validRequestID, "req_0123", "../x"},
	} {
		if re := tc.re(); !re.MatchString(tc.good) || re.MatchString(tc.bad) {
			t.Errorf("%s: %q should match, %q should not", tc.re(), tc.good, tc.bad)
		}
	}
}
