package ghtoken

import "testing"

// The expressions are compiled on first use, not at start-up: each must
// compile and tell a good value from a bad one here.
func TestLazyExpressionsCompile(t *testing.T) {
	if !orgRE().MatchString("octo-org") || orgRE().MatchString("-octo") {
		t.Error("orgRE")
	}
	if !hashedRE().MatchString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ=") || hashedRE().MatchString("abc=") {
		t.Error("hashedRE")
	}
	if !repoNameRE().MatchString("keyir.go") || repoNameRE().MatchString("a/b") {
		t.Error("repoNameRE")
	}
	if !idRE().MatchString("12345") || idRE().MatchString("0123") {
		t.Error("idRE")
	}
}
