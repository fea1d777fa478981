package core

import "context"
import "errors"
import "net/http"
import "net/http/httptest"
import "net/url"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/credentials"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// recorder keeps what a step records; it is a sink, so a slice is the real
// thing for a test.
type recorder struct {
	mu       sync.Mutex
	notes    []string
	planned  []report.PlannedChange
	evidence []any
}

func (r *recorder) Evidence(kind string, v any) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evidence = append(r.evidence, v)
	return "evidence/001-test.jsonl#1", nil
}
func (r *recorder) Finding(report.Finding)         {}
func (r *recorder) Note(text string)               { r.mu.Lock(); r.notes = append(r.notes, text); r.mu.Unlock() }
func (r *recorder) Progress(string)                {}
func (r *recorder) Containment(report.Containment) {}
func (r *recorder) Planned(c report.PlannedChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.planned = append(r.planned, c)
}

func newEnv(mode report.Mode, vars map[string]string) (*actions.Env, *recorder) {
	rec := &recorder{}
	red := redact.New()
	return &actions.Env{
		Step:     "test",
		Mode:     mode,
		HTTP:     transport.NewClient(transport.Options{DryRun: mode == report.ModeDryRun, Step: "test", Redactor: red, Recorder: rec}),
		Now:      time.Now,
		Redactor: red,
		Recorder: rec,
		Getenv:   func(k string) string { return vars[k] },
	}, rec
}

func decode(t *testing.T, name string, params map[string]any) actions.Action {
	t.Helper()
	info, ok := actions.Lookup(name)
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	a, err := actions.Decode(info, params)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// counter is a provider that counts the requests that reach it, by method.
type counter struct {
	mu   sync.Mutex
	seen map[string]int
	auth []string
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.seen[r.Method]++
	c.auth = append(c.auth, r.Header.Get("Authorization"))
	c.mu.Unlock()
	switch r.URL.Path {
	case "/echo-secret":
		// A careless API that echoes the credential, then a lot more.
		w.Write([]byte("token=" + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + " " + strings.Repeat("é", 5000)))
	case "/fail":
		w.WriteHeader(http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func TestHTTPDryRunRefusedAtTransport(t *testing.T) {
	c := &counter{seen: map[string]int{}}
	srv := httptest.NewServer(c)
	defer srv.Close()

	env, rec := newEnv(report.ModeDryRun, nil)
	del := decode(t, "core.http", map[string]any{"method": "DELETE", "url": srv.URL + "/keys/1"})
	out, err := del.Run(context.Background(), env)
	if err != nil {
		t.Fatalf("a refused write is not a failure: %v", err)
	}
	if out["planned"] != true {
		t.Errorf("outputs = %v, want planned", out)
	}
	if n := c.seen["DELETE"]; n != 0 {
		t.Fatalf("server saw %d DELETE requests in a dry run", n)
	}
	if len(rec.planned) != 1 || rec.planned[0].Method != "DELETE" {
		t.Errorf("planned changes = %+v", rec.planned)
	}

	get := decode(t, "core.http", map[string]any{"url": srv.URL + "/keys/1", "expect": "204"})
	out, err = get.Run(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.seen["GET"] != 1 || out["status"] != 204 {
		t.Errorf("GET in dry run: server saw %d, outputs %v", c.seen["GET"], out)
	}
}

// TestHTTPWriteGETRefusedInADryRun: a GET the step marks write (a
// revocation URL that takes a GET, as generic-key-revoke's with
// method=GET) is refused at the transport in a dry run and recorded as
// planned, and counted as a change by the plan; a live run sends it.
func TestHTTPWriteGETRefusedInADryRun(t *testing.T) {
	c := &counter{seen: map[string]int{}}
	srv := httptest.NewServer(c)
	defer srv.Close()
	params := map[string]any{"method": "GET", "url": srv.URL + "/oauth/revoke", "write": true, "expect": "204"}

	env, rec := newEnv(report.ModeDryRun, nil)
	a := decode(t, "core.http", params)
	if m, ok := a.(actions.Mutator); !ok || !m.Mutates() {
		t.Error("a GET marked write is not counted as a change")
	}
	out, err := a.Run(context.Background(), env)
	if err != nil || out["planned"] != true {
		t.Fatalf("dry run: %v, %v, want planned", out, err)
	}
	if n := c.seen["GET"]; n != 0 {
		t.Fatalf("a dry run sent the GET marked write (%d requests)", n)
	}
	if len(rec.planned) != 1 || rec.planned[0].Method != "GET" {
		t.Errorf("planned changes = %+v", rec.planned)
	}

	env, _ = newEnv(report.ModeLive, nil)
	out, err = decode(t, "core.http", params).Run(context.Background(), env)
	if err != nil || c.seen["GET"] != 1 || out["status"] != 204 {
		t.Errorf("live: server saw %d, outputs %v, %v", c.seen["GET"], out, err)
	}
}

func TestHTTPLive(t *testing.T) {
	c := &counter{seen: map[string]int{}}
	srv := httptest.NewServer(c)
	defer srv.Close()
	const token = "admin-token-0123456789"
	env, _ := newEnv(report.ModeLive, map[string]string{"PROVIDER_TOKEN": token})

	a := decode(t, "core.http", map[string]any{"method": "DELETE", "url": srv.URL + "/echo-secret", "credential": "provider", "expect": []any{200}})
	a.(actions.CredentialUser).BindCredential(credentials.Binding{Name: "provider", Env: "PROVIDER_TOKEN", Host: hostOf(t, srv.URL)})
	out, err := a.Run(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.seen["DELETE"] != 1 || c.auth[0] != "Bearer "+token {
		t.Errorf("server saw %v with Authorization %q", c.seen, c.auth)
	}
	body := out["body"].(string)
	if strings.Contains(body, token) || !strings.Contains(body, redact.Token(token)) {
		t.Errorf("body not redacted: %.80s", body)
	}
	if len(body) > MaxBodyOutput || !strings.HasSuffix(body, "é") {
		t.Errorf("body is %d bytes or cut inside a rune", len(body))
	}

	fail := decode(t, "core.http", map[string]any{"url": srv.URL + "/fail"})
	out, err = fail.Run(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "status 500, want 200, 201, 202, 204") || out["status"] != 500 {
		t.Errorf("unexpected status: %v, %v", out, err)
	}

	missing := decode(t, "core.http", map[string]any{"url": srv.URL, "credential": "unset"})
	missing.(actions.CredentialUser).BindCredential(credentials.Binding{Name: "unset", Env: "NOT_SET", Host: hostOf(t, srv.URL)})
	if _, err := missing.Run(context.Background(), env); err == nil || !strings.Contains(err.Error(), "NOT_SET is not set") {
		t.Errorf("missing credential: %v", err)
	}
}

func TestHTTPValidate(t *testing.T) {
	info, _ := actions.Lookup("core.http")
	tests := []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"url": "https://x.example/", "method": "delete"}, `parameter "method": want one of GET, HEAD, POST, PUT, PATCH, DELETE`},
		{map[string]any{"url": "ftp://x.example/"}, `parameter "url": want an absolute http(s) URL`},
		{map[string]any{"url": "/relative"}, `parameter "url": want an absolute http(s) URL`},
		{map[string]any{"url": "http://x.example/"}, `parameter "url": refusing plain http`},
		{map[string]any{"url": "https://x.example/", "headers": map[string]any{"authorization": "Bearer x"}}, `declare it under credentials:`},
		{map[string]any{"url": "https://x.example/", "expect": "200,999"}, `999 is not an HTTP status`},
		{map[string]any{"url": "https://x.example/", "auth_env": "PROVIDER_TOKEN"}, `parameter "auth_env": auth_env is no longer supported`},
		{map[string]any{"url": "https://x.example/", "credential": "my token"}, `parameter "credential": want the name of a credential`},
	}
	for _, tt := range tests {
		_, err := actions.Decode(info, tt.params)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%v) = %v, want %q", tt.params, err, tt.want)
		}
	}
	for method, mutates := range map[string]bool{"GET": false, "HEAD": false, "POST": true, "DELETE": true} {
		a := decode(t, "core.http", map[string]any{"url": "https://x.example/", "method": method})
		if actions.MutatesWith(info, a) != mutates {
			t.Errorf("%s mutates = %v", method, !mutates)
		}
	}
	// A GET that asks the server to act as a DELETE changes something: the
	// plan and the approval message listed it as a read.
	for hdr, mutates := range map[string]bool{"x-http-method-override: DELETE": true, "X-Method-Override: put": true, "X-HTTP-Method: GET": false, "Accept: DELETE": false} {
		name, val, _ := strings.Cut(hdr, ": ")
		a := decode(t, "core.http", map[string]any{"url": "https://x.example/", "headers": map[string]any{name: val}})
		if got := actions.MutatesWith(info, a); got != mutates {
			t.Errorf("GET with %s: mutates = %v", hdr, got)
		}
		if e := actions.EffectOf(info, a); e.Mutates != mutates {
			t.Errorf("GET with %s: the plan's effect %+v", hdr, e)
		}
	}
}

func TestNote(t *testing.T) {
	env, rec := newEnv(report.ModeLive, nil)
	n := decode(t, "core.note", map[string]any{"text": "revoked by the on-call"})
	if _, err := n.Run(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if len(rec.notes) != 1 || rec.notes[0] != "revoked by the on-call" {
		t.Errorf("notes = %v", rec.notes)
	}
	info, _ := actions.Lookup("core.note")
	if info.Mutates {
		t.Error("core.note mutates")
	}
}

func TestWait(t *testing.T) {
	info, _ := actions.Lookup("core.wait")
	for _, d := range []string{"0s", "11m"} {
		if _, err := actions.Decode(info, map[string]any{"duration": d}); err == nil {
			t.Errorf("wait %s accepted", d)
		}
	}
	env, _ := newEnv(report.ModeLive, nil)
	w := decode(t, "core.wait", map[string]any{"duration": "10m"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := w.Run(ctx, env); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("interrupted wait: %v after %v", err, time.Since(start))
	}
	short := decode(t, "core.wait", map[string]any{"duration": "1ms"})
	if _, err := short.Run(context.Background(), env); err != nil {
		t.Error(err)
	}
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return credentials.URLHost(u)
}

// TestHTTPCredentialOnlyToItsHost: a credential goes only to the host it is
// bound to, on the final URL, whatever the method and the mode (a GET passes
// the dry-run guard, so the guard cannot be what stops it); keyir's own
// credentials and unbound names are refused. Every refusal happens before
// the variable is read and before anything is sent.
func TestHTTPCredentialOnlyToItsHost(t *testing.T) {
	c := &counter{seen: map[string]int{}}
	srv := httptest.NewServer(c)
	defer srv.Close()
	const token = "provider-token-0123456789"
	read := 0
	for _, mode := range []report.Mode{report.ModeLive, report.ModeDryRun} {
		env, _ := newEnv(mode, nil)
		env.Getenv = func(k string) string { read++; return token }
		// srv.URL is http://127.0.0.1:PORT; "localhost" is the same server
		// under another name, and a binding is to a name.
		other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
		cases := []struct {
			method, url string
			cred        credentials.Binding
			want        string
		}{
			{"GET", other + "/x", credentials.Binding{Name: "p", Env: "PROVIDER_TOKEN", Host: hostOf(t, srv.URL)}, "refusing to send credential \"p\" to localhost:"},
			{"DELETE", other + "/x", credentials.Binding{Name: "p", Env: "PROVIDER_TOKEN", Host: hostOf(t, srv.URL)}, "is bound to 127.0.0.1:"},
			{"GET", srv.URL + "/x", credentials.Binding{Name: "p", Env: "PROVIDER_TOKEN", Host: "127.0.0.1"}, "bound to 127.0.0.1"},
			{"GET", srv.URL + "/x", credentials.Binding{Name: "p", Env: "SENDGRID_API_KEY", Host: hostOf(t, srv.URL)}, "one of keyir's own credentials"},
			{"GET", srv.URL + "/x", credentials.Binding{Name: "p", Env: "slack_bot_token", Host: hostOf(t, srv.URL)}, "one of keyir's own credentials"},
			{"GET", srv.URL + "/x", credentials.Binding{Name: "other", Env: "PROVIDER_TOKEN", Host: hostOf(t, srv.URL)}, "not declared"},
		}
		for _, tc := range cases {
			a := decode(t, "core.http", map[string]any{"method": tc.method, "url": tc.url, "credential": "p"})
			a.(actions.CredentialUser).BindCredential(tc.cred)
			if _, err := a.Run(context.Background(), env); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %s %s with %+v: %v, want %q", mode, tc.method, tc.url, tc.cred, err, tc.want)
			}
		}
		unbound := decode(t, "core.http", map[string]any{"url": srv.URL + "/x", "credential": "p"})
		if _, err := unbound.Run(context.Background(), env); err == nil || !strings.Contains(err.Error(), "not declared") {
			t.Errorf("unbound credential: %v", err)
		}
	}
	if read != 0 || len(c.seen) != 0 || len(c.auth) != 0 {
		t.Fatalf("a refused credential was read %d times; the server saw %v %v", read, c.seen, c.auth)
	}
	// The bound host gets it, with the default port written or not.
	env, _ := newEnv(report.ModeDryRun, map[string]string{"PROVIDER_TOKEN": token})
	a := decode(t, "core.http", map[string]any{"url": srv.URL + "/x", "credential": "p", "expect": "204"})
	a.(actions.CredentialUser).BindCredential(credentials.Binding{Name: "p", Env: "PROVIDER_TOKEN", Host: hostOf(t, srv.URL)})
	if _, err := a.Run(context.Background(), env); err != nil || c.seen["GET"] != 1 || len(c.auth) != 1 || c.auth[0] != "Bearer "+token {
		t.Fatalf("bound host: %v, server saw %v %v", err, c.seen, c.auth)
	}
}

func TestSameHost(t *testing.T) {
	for _, tc := range []struct {
		bound, raw string
		same       bool
	}{
		{"api.example.com", "https://api.example.com/x", true},
		{"api.example.com", "https://API.Example.com./x", true},
		{"api.example.com", "https://api.example.com:443/x", true},
		{"api.example.com:443", "https://api.example.com/x", true},
		{"api.example.com", "https://api.example.com:8443/x", false},
		{"api.example.com", "https://evil.api.example.com/x", false},
		{"api.example.com", "https://api.example.com.evil.example/x", false},
		{"api.example.com", "https://api.example.com@evil.example/x", false},
		{"api.example.com", "https://evil.example/?h=api.example.com", false},
		{"[::1]:8080", "http://[::1]:8080/x", true},
	} {
		u, err := url.Parse(tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := credentials.SameHost(tc.bound, u); got != tc.same {
			t.Errorf("SameHost(%q, %q) = %v", tc.bound, tc.raw, got)
		}
	}
}
