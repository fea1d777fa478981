package main

import "net/http"
import "net/http/httptest"
import "strings"
import "testing"

// TestDryRunPrintsThePlan: a dry run of generic-key-revoke prints its plan
// before the first step: its revocation through core.http is a change (with
// the credential and host it touches) whatever the method the operator
// gave, a GET too (some providers revoke on a GET), and nothing is sent.
func TestDryRunPrintsThePlan(t *testing.T) {
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent = append(sent, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	envv := map[string]string{"REVOKE_TOKEN": "provider-admin-token-9c2e7a41d0"}
	for method, want := range map[string]string{
		"POST": "CHANGES revoke (core.http)\n      core.http POST: any method but GET or HEAD may change something at the provider; hosts: " + host + "; credentials: REVOKE_TOKEN",
		"GET":  "CHANGES revoke (core.http)\n      core.http GET: the step says it changes something (write: true), so it is counted as a write and a dry run refuses it; hosts: " + host + "; credentials: REVOKE_TOKEN",
	} {
		r := keyir(t, "", envv, "run", "generic-key-revoke", "--dry-run", "--reports", t.TempDir(),
			"--input", "revoke_url="+srv.URL+"/keys/1", "--input", "revoke_host="+host, "--input", "method="+method)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", method, r.code, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "DRY RUN") || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: the dry run's plan lacks %q:\n%s", method, want, r.stderr)
		}
	}
	if len(sent) != 0 {
		t.Errorf("a dry run sent the revocation request: %v", sent)
	}
}
