package main

import "errors"
import "io/fs"
import "math/rand/v2"
import "net/http"
import "net/http/httptest"
import "net/http/httputil"
import "net/url"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

func without(list []string, drop ...string) []string {
	var out []string
	for _, s := range list {
		keep := true
		for _, d := range drop {
			keep = keep && s != d
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

func noReportsDir(t *testing.T, reports string) {
	t.Helper()
	if _, err := os.Stat(reports); !errors.Is(err, fs.ErrNotExist) {
		ents, _ := os.ReadDir(reports)
		t.Fatalf("a failed preflight left %s behind (%v, %d entries)", reports, err, len(ents))
	}
}

// Each problem that would stop containment ends the run before its
// directory exists, exit 2, saying what to fix and whose key it is.
func TestPreflightFailuresLeaveNoRunDirectory(t *testing.T) {
	good, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	noDelete, _, leaked2 := simAccount(t, without(sendgridsim.ResponderScopes(), "api_keys.delete"))
	stale := sendgridsim.NewKey(rand.New(rand.NewPCG(9, 9)), "stale", sendgridsim.ResponderScopes())
	dir := t.TempDir()
	aFile := writeFile(t, dir, "a-file", "x")
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range base {
			m[kk] = vv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		env     map[string]string
		key     string
		reports string
		want    []string
	}{
		{"no responder key", with(good, "SENDGRID_API_KEY", ""), leaked.Token(), "", []string{"the responder key is missing", "SENDGRID_API_KEY", "not the leaked one"}},
		{"stale responder key", with(good, "SENDGRID_API_KEY", stale.Token()), leaked.Token(), "", []string{"SendGrid refused the responder key (SENDGRID_API_KEY", "not the leaked one", "401"}},
		{"responder lacks api_keys.delete", noDelete, leaked2.Token(), "", []string{"lacks 1 scope containment needs: api_keys.delete", "add it to the key"}},
		{"API unreachable", with(good, "SENDGRID_API_URL", "http://127.0.0.1:1"), leaked.Token(), "", []string{"responder key", "unreachable"}},
		{"reports is a file", good, leaked.Token(), aFile, []string{"is a file, not a directory"}},
		{"reports under a file", good, leaked.Token(), filepath.Join(aFile, "reports"), []string{"cannot be created", "is a file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reports := c.reports
			if reports == "" {
				reports = filepath.Join(t.TempDir(), "reports")
			}
			r := keyir(t, c.key+"\n", c.env, "run", "sendgrid-key-compromise", "--key", "-", "--reports", reports)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, "no run directory was created") {
				t.Errorf("stderr does not say nothing was created:\n%s", r.stderr)
			}
			if c.reports == "" {
				noReportsDir(t, reports)
			}
		})
	}
	// No preflight failure revoked anything.
	for _, req := range srv.Requests() {
		if req.Method == "DELETE" {
			t.Fatalf("a refused run sent %s %s", req.Method, req.Path)
		}
	}
}

// A missing read scope or a broken notification channel only blinds part
// of the run: a warning up front, and containment goes ahead.
func TestPreflightWarningsDoNotStopContainment(t *testing.T) {
	envv, srv, leaked := simAccount(t, without(sendgridsim.ResponderScopes(), "stats.read"))
	slack := slacksim.New(slacksim.Options{BotToken: "xoxb-right-token", RateLimit: slacksim.RateLimit{Off: true}})
	hs := httptest.NewServer(slack)
	t.Cleanup(hs.Close)
	envv["SLACK_API_URL"] = hs.URL + "/api/"
	envv["SLACK_BOT_TOKEN"] = "xoxb-wrong-token"
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, leaked.Token()+"\n", envv, "run", "sendgrid-key-compromise", "--key", "-", "--reports", reports, "--slack-channel", "C0NOSUCH")
	for _, w := range []string{
		"keyir: warning: the responder key (SENDGRID_API_KEY) lacks 1 scope an assessment step needs: stats.read",
		"keyir: warning: Slack refused the bot token (SLACK_BOT_TOKEN): invalid_auth",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if i, j := strings.Index(r.stderr, "warning:"), strings.Index(r.stderr, "revoke"); i < 0 || j >= 0 && j < i {
		t.Errorf("the warnings are not printed up front:\n%s", r.stderr)
	}
	onlyRunDir(t, reports)
	if srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatalf("containment did not go ahead: exit %d\n%s", r.code, r.stderr)
	}

	// The right token, a channel the workspace does not have.
	envv["SLACK_BOT_TOKEN"] = "xoxb-right-token"
	envv2, _, leaked2 := simAccount(t, sendgridsim.ResponderScopes())
	for k, v := range envv2 {
		envv[k] = v
	}
	r = keyir(t, leaked2.Token()+"\n", envv, "run", "sendgrid-key-compromise", "--key", "-", "--reports", filepath.Join(t.TempDir(), "r"), "--slack-channel", "C0NOSUCH")
	if !strings.Contains(r.stderr, "keyir: warning: Slack found no channel C0NOSUCH") || strings.Contains(r.stderr, "lacks") {
		t.Errorf("want exactly the channel warning:\n%s", r.stderr)
	}
}

// A run that stops before the key is proven dead says how to continue it,
// and the command it prints works.
func TestNotContainedPrintsTheResumeCommand(t *testing.T) {
	envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	target, _ := url.Parse(envv["SENDGRID_API_URL"])
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	refuse := true
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && refuse {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":[{"field":null,"message":"access forbidden"}]}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	envv["SENDGRID_API_URL"] = front.URL
	keyFile := writeFile(t, t.TempDir(), "leaked.key", leaked.Token()+"\n")
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, "", envv, "run", "sendgrid-key-compromise", "--key-file", keyFile, "--reports", reports)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	// Whose key SendGrid refused is said: here the responder's.
	if got := strings.Join(strings.Fields(r.stdout+r.stderr), " "); !strings.Contains(got, "with the responder key: 403") {
		t.Errorf("the refusal does not say whose key it was:\n%s%s", r.stdout, r.stderr)
	}
	dir := onlyRunDir(t, reports)
	want := "keyir resume " + dir + " --key - < FILE-WITH-THE-LEAKED-KEY"
	if !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, r.stderr)
	}
	refuse = false
	if r := keyir(t, leaked.Token()+"\n", envv, "resume", dir, "--key", "-"); r.code != 0 {
		t.Fatalf("the printed resume: exit %d\n%s", r.code, r.stderr)
	}
	if srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatal("the leaked key is live after the resume")
	}
}
