package main

import "net/http"
import "net/http/httptest"
import "os"
import "path/filepath"
import "strings"
import "sync"
import "testing"

// TestValidateSecretFlowAndCredentials: `keyir validate` refuses every
// playbook that lets a secret input reach a non-secret parameter, transforms
// it, tests it, or sends a credential off its host or one of keyir's own,
// printing each problem at FILE:LINE:COL exactly as the loader's golden
// files say, and exits 2. The built-in playbooks still validate.
func TestValidateSecretFlowAndCredentials(t *testing.T) {
	var files []string
	for _, pat := range []string{"secret-*.yaml", "http-*.yaml", "credential-*.yaml"} {
		m, err := filepath.Glob(filepath.Join("..", "..", "testdata", "playbooks", "bad", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 8 {
		t.Fatalf("found only %d playbooks", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "secret-default.yaml") {
			continue // not about flow
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := keyir(t, "", nil, "validate", f)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2: %s", r.code, r.stderr)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".want")
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
				if !strings.Contains(r.stderr, f+":"+line+"\n") {
					t.Errorf("stderr lacks %s:%s\n%s", f, line, r.stderr)
				}
			}
		})
	}
	builtins, _ := filepath.Glob(filepath.Join("..", "..", "playbook", "builtin", "*.yaml"))
	if len(builtins) == 0 {
		t.Fatal("no built-in playbooks")
	}
	if r := keyir(t, "", nil, append([]string{"validate"}, builtins...)...); r.code != 0 {
		t.Fatalf("built-ins: exit %d %s", r.code, r.stderr)
	}
}

// TestGenericRevokeSendsTheTokenOnlyToItsHost: generic-key-revoke's token
// goes to the host the operator names and nowhere else. The URL comes from an
// input, so the check is at run time, on the final URL: a GET (which passes
// the dry-run guard) to the same server under another name is refused before
// anything is sent; with the right host the server gets the token.
func TestGenericRevokeSendsTheTokenOnlyToItsHost(t *testing.T) {
	const token = "provider-admin-token-9c2e7a41d0"
	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	other := strings.Replace(host, "127.0.0.1", "localhost", 1)
	envv := map[string]string{"REVOKE_TOKEN": token, "SENDGRID_API_KEY": "SG.own-credential-never-sent"}
	reports := t.TempDir()
	run := func(urlHost, boundHost string, extra ...string) result {
		args := append([]string{"run", "generic-key-revoke", "--reports", reports,
			"--input", "revoke_url=http://" + urlHost + "/keys/1", "--input", "revoke_host=" + boundHost}, extra...)
		return keyir(t, "", envv, args...)
	}
	for _, extra := range [][]string{{"--input", "method=GET", "--dry-run"}, {"--input", "method=GET"}, nil} {
		r := run(other, host, extra...)
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, `refusing to send credential "revoke_token"`) {
			t.Errorf("%v to %s bound to %s: exit %d\n%s\n%s", extra, other, host, r.code, r.stdout, r.stderr)
		}
	}
	mu.Lock()
	if len(seen) != 0 {
		t.Fatalf("the server saw %v", seen)
	}
	mu.Unlock()
	if r := run(host, host); r.code != 0 {
		t.Fatalf("bound host: exit %d %s", r.code, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "DELETE Bearer "+token {
		t.Fatalf("the server saw %v", seen)
	}
}
