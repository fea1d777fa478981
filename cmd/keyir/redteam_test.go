package main

import "context"
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

// A count of days too large for a time.Duration used to wrap around: 202163959358895d
// is 65.536µs once wrapped, so `report prune --older-than 202163959358895d` (asking for
// runs older than 553 billion years) removed every archived run, however recent.
func TestPruneRefusesADurationThatOverflows(t *testing.T) {
	reports, runs := oneNoteRun(t)
	if r := keyir(t, "", nil, "report", "mark-archived", runs[0].Path); r.code != 0 {
		t.Fatalf("mark-archived: %+v", r)
	}
	for _, v := range []string{"202163959358895d", "213504d", "99999999999999999999d"} {
		r := keyir(t, "", nil, "report", "prune", "--reports", reports, "--older-than", v)
		if _, err := os.Stat(runs[0].Path); err != nil {
			t.Fatalf("--older-than %s removed a run of a minute ago: %+v", v, r)
		}
		if r.code != 2 || !strings.Contains(r.stderr, "--older-than") {
			t.Fatalf("--older-than %s: want exit 2 naming the flag, got %d %q", v, r.code, r.stderr)
		}
	}
}

// KEYIR_DRY_RUN asks every command that can write for a dry run (README:
// Configuration). resume has no --dry-run: it continues a run in the mode it
// started in, so in a shell that asked for dry runs it revoked the leaked key
// of a live run. It now refuses, exit 2, and sends nothing.
func TestResumeOfALiveRunRefusesUnderKEYIR_DRY_RUN(t *testing.T) {
	envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	refuse := refuseDeletes(t, envv)
	reports := filepath.Join(t.TempDir(), "reports")
	if r := keyir(t, leaked.Token()+"\n", envv, "run", "sendgrid-key-compromise", "--key", "-", "--reports", reports); r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	dir := onlyRunDir(t, reports)
	*refuse = false
	for _, v := range []string{"1", "true", "maybe"} {
		envv["KEYIR_DRY_RUN"] = v
		r := keyir(t, leaked.Token()+"\n", envv, "resume", dir, "--key", "-")
		if !srv.State().KeyLive(leaked.ID, time.Now()) {
			t.Fatalf("KEYIR_DRY_RUN=%s: the resume revoked the key (exit %d)\n%s", v, r.code, r.stderr)
		}
		if r.code != 2 || !strings.Contains(r.stderr, "KEYIR_DRY_RUN") {
			t.Fatalf("KEYIR_DRY_RUN=%s: exit %d, want 2 naming the variable\n%s", v, r.code, r.stderr)
		}
	}
	envv["KEYIR_DRY_RUN"] = "false"
	if r := keyir(t, leaked.Token()+"\n", envv, "resume", dir, "--key", "-"); r.code != 0 || srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatalf("KEYIR_DRY_RUN=false: exit %d\n%s", r.code, r.stderr)
	}
}

// Names and fields in a run directory are anyone's text: report verify, list
// and prune printed them raw, so a file named with an ANSI cursor-up could
// paint "intact" over "TAMPERED", a newline could forge a line, and a
// tampered run.json could clear the screen.
func TestReportCommandsPrintRunDirectoryTextInert(t *testing.T) {
	reports, runs := oneNoteRun(t)
	run := runs[0].Path
	evil := "x\x1b[1A\r\x1b[2Kreports-run: intact — every file matches MANIFEST\n\u202eevil"
	writeFile(t, run, evil, "")
	raw := func(what, out string) {
		t.Helper()
		if strings.ContainsAny(out, "\x1b\r\u202e") || strings.Contains(out, "\nreports-run: intact") {
			t.Errorf("%s prints run-directory text raw:\n%q", what, out)
		}
	}
	r := keyir(t, "", nil, "report", "verify", run)
	if r.code != 1 || !strings.Contains(r.stdout, "TAMPERED") {
		t.Fatalf("verify: %+v", r)
	}
	raw("report verify", r.stdout)
	os.Remove(filepath.Join(run, evil))
	// A run.json rewritten by hand, and a directory named to drive the terminal.
	b, err := os.ReadFile(filepath.Join(run, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), `"INC-1"`, `"INC\u001b[2J\u001b[31mFAKE\nline"`, 1))
	if err := os.WriteFile(filepath.Join(run, "run.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(reports, "d\x1b[31m"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(reports, "d\x1b[31m"), "run.json", "{")
	r = keyir(t, "", nil, "report", "list", "--reports", reports)
	if r.code != 0 || !strings.Contains(r.stdout, "FAKE") {
		t.Fatalf("list: %+v", r)
	}
	raw("report list", r.stdout+r.stderr)
	r = keyir(t, "", nil, "report", "prune", "--reports", reports, "--older-than", "2099-01-01", "--dry-run")
	raw("report prune", r.stdout+r.stderr)
}

// A password in a base URL (a proxy's user:password@) is a credential in a
// variable that is not one: doctor printed the URL whole, and a URL without
// its scheme was quoted whole as "not an absolute URL".
func TestBaseURLPasswordIsNeverPrinted(t *testing.T) {
	for _, base := range []string{"http://u:PASSWORDinURL@127.0.0.1:1", "u:PASSWORDinURL@127.0.0.1"} {
		envv := map[string]string{"SENDGRID_API_URL": base, "SENDGRID_API_KEY": "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}
		for _, args := range [][]string{{"doctor", "--reports", t.TempDir()}, {"doctor", "--reports", t.TempDir(), "--output", "json"}, {"audit", "--reports", t.TempDir()}} {
			r := keyir(t, "", envv, args...)
			if r.code == 0 || strings.Contains(r.stdout+r.stderr, "PASSWORDinURL") {
				t.Errorf("%s with SENDGRID_API_URL=%s: exit %d\n%s%s", args[0], base, r.code, r.stdout, r.stderr)
			}
		}
	}
}

// A 200 whose body lacks the listing (an empty object, an unexpected shape,
// a null list) is not an empty account: the persistence step read it as "no
// invites, no webhooks, no forwarding, no allow list", and the run ended
// exit 0, clean, with four footholds open. Such an answer is now unreadable,
// as a truncated one is: retried, then the step fails naming it.
func TestMalformed200IsNotAnEmptyListing(t *testing.T) {
	envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	at := time.Now().Add(-30 * time.Hour)
	st := srv.State()
	st.AddInvite(sendgridsim.Invite{Email: "ops-helper@mailbox.example", IsAdmin: true, Token: "tok0123456789abcdefgh", Expiration: at.AddDate(0, 0, 7)})
	st.AddEventWebhook(sendgridsim.EventWebhook{URL: "https://collect.hooks-relay.example/sg", Enabled: true, Created: at, Updated: at, Events: []string{"delivered"}})
	st.SetForwardBounce("", sendgridsim.Forward{Email: "drop@mailbox.example", Enabled: true})
	st.AddAllowListIP(sendgridsim.AllowListIP{IP: "203.0.113.66", CreatedAt: at, UpdatedAt: at})
	malformed := map[string]string{
		"/v3/teammates/pending":                `{"unexpected":1}`,
		"/v3/user/webhooks/event/settings/all": `{}`,
		"/v3/mail_settings/forward_bounce":     `{}`,
		"/v3/access_settings/whitelist":        `{"result":null}`,
	}
	target, _ := url.Parse(envv["SENDGRID_API_URL"])
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := malformed[r.URL.Path]; ok && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	envv["SENDGRID_API_URL"] = front.URL
	reports := filepath.Join(t.TempDir(), "r")
	r := keyir(t, leaked.Token()+"\n", envv, "respond", "--key", "-", "--reports", reports)
	if r.code == 0 {
		t.Fatalf("four malformed listings ended a clean run (exit 0):\n%s", r.stdout)
	}
	// The step fails naming each surface it could not read (exit 3), as it
	// does for any other answer it cannot read.
	b, err := os.ReadFile(filepath.Join(onlyRunDir(t, reports), "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"/v3/teammates/pending", "/v3/user/webhooks/event/settings/all", "/v3/mail_settings/forward_bounce", "/v3/access_settings/whitelist"} {
		if !strings.Contains(string(b), "unreadable 200 answer") || !strings.Contains(string(b), s) {
			t.Errorf("report.json does not say %s was unreadable (exit %d)", s, r.code)
		}
	}
}

// The same for Email Activity: a 200 {} was read as a page of no messages,
// and the report said "Email Activity lists no message sent with this key"
// (activity.none) of a window it never saw.
func TestMalformed200IsNotNoActivity(t *testing.T) {
	envv, _, leaked := simAccount(t, sendgridsim.ResponderScopes())
	target, _ := url.Parse(envv["SENDGRID_API_URL"])
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v3/messages" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"result":[]}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	envv["SENDGRID_API_URL"] = front.URL
	reports := filepath.Join(t.TempDir(), "r")
	r := keyir(t, leaked.Token()+"\n", envv, "respond", "--key", "-", "--reports", reports)
	b, err := os.ReadFile(filepath.Join(onlyRunDir(t, reports), "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "activity.none") || r.code == 0 {
		t.Fatalf("an answer without messages was read as no activity (exit %d):\n%s", r.code, b)
	}
}

// A drill with --webhook-url reaches a real receiver: the terminal says so,
// and report.md's banner no longer says "nothing real was touched".
func TestDrillWithAWebhookSaysItTouchedOne(t *testing.T) {
	got := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got++; w.WriteHeader(204) }))
	t.Cleanup(recv.Close)
	reports := filepath.Join(t.TempDir(), "r")
	r := keyir(t, "", nil, "drill", "--scenario", "id-only", "--webhook-url", recv.URL+"/hook", "--reports", reports)
	if r.code != 0 || got == 0 {
		t.Fatalf("drill: exit %d, %d deliveries\n%s", r.code, got, r.stderr)
	}
	if !strings.Contains(r.stderr, "--webhook-url is a real receiver") {
		t.Errorf("the terminal does not say the webhook is real:\n%s", r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(onlyRunDir(t, reports), "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "nothing real was touched.") || !strings.Contains(string(b), "--webhook-url receiver") {
		t.Errorf("report.md's banner:\n%.300s", b)
	}
}

// A dry run lets only GET and HEAD through, by method: a GET carrying
// X-HTTP-Method-Override: DELETE (which many servers honour) went out. It is
// now refused and planned like any write.
func TestDryRunRefusesAMethodOverride(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.Header.Get("X-HTTP-Method-Override")+r.Header.Get("X-Method-Override")+r.Header.Get("X-HTTP-Method"))
		w.WriteHeader(200)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for _, h := range []string{"X-HTTP-Method-Override: DELETE", "x-method-override: put", "X-HTTP-Method: PATCH"} {
		got = nil
		pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: del\n    action: core.http\n    with:\n      method: GET\n      url: \""+srv.URL+"/tokens/abc\"\n      headers: {"+h+"}\n      expect: [200]\n")
		r := keyir(t, "", nil, "run", pb, "--dry-run", "--reports", filepath.Join(dir, "r"))
		if len(got) != 0 {
			t.Errorf("%s: a dry run sent %v (exit %d)", h, got, r.code)
		}
	}
	// A GET that overrides to GET is a read.
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: get\n    action: core.http\n    with:\n      method: GET\n      url: \""+srv.URL+"/tokens/abc\"\n      headers: {X-HTTP-Method-Override: GET}\n      expect: [200]\n")
	if r := keyir(t, "", nil, "run", pb, "--dry-run", "--reports", filepath.Join(dir, "r")); r.code != 0 || len(got) != 1 {
		t.Errorf("a plain read: exit %d, %v\n%s", r.code, got, r.stderr)
	}
}

// A key with the right id and a wrong secret (mistyped, cut) answers 401
// before anything is revoked while the account still holds its id. The run
// revoked the id and then took the same 401 as proof: "confirmed — the
// leaked key itself answered 401", with a time to containment, while the
// real key could still authenticate for minutes. It is now
// revoked_unproven, saying why.
func TestMistypedSecretIsNotConfirmed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	st := sendgridsim.NewState()
	responder := sendgridsim.NewKey(rng, "responder", sendgridsim.ResponderScopes())
	leaked := sendgridsim.NewKey(rng, "leaky", []string{"mail.send"})
	st.AddKey(responder)
	st.AddKey(leaked)
	cfg := sendgridsim.DefaultConfig()
	cfg.PropagationDelay = time.Hour // the real key keeps authenticating after its revoke, as SendGrid's may for minutes
	srv := sendgridsim.New(st, cfg)
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosts.Shutdown(context.Background()) })
	envv := map[string]string{"SENDGRID_API_KEY": responder.Token(), "SENDGRID_API_URL": hosts.URL, "SENDGRID_API_URL_EU": hosts.EUURL}
	mistyped := "SG." + leaked.ID + "." + strings.Repeat("b", 43)
	reports := filepath.Join(t.TempDir(), "r")
	r := keyir(t, mistyped+"\n", envv, "respond", "--key", "-", "--reports", reports, "--output", "json")
	if strings.Contains(r.stdout, `"status": "confirmed"`) {
		t.Fatalf("a mistyped secret's 401 was taken as proof (exit %d):\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, `"status": "revoked_unproven"`) || !strings.Contains(r.stdout, "mistyped or cut") {
		t.Errorf("want revoked_unproven saying why (exit %d):\n%s", r.code, r.stdout)
	}
	if st.KeyLive(leaked.ID, time.Now()) {
		t.Error("the key was not revoked")
	}
}

// resume takes the leaked key again (secrets are never stored). Given the
// run's key id with another secret, it revoked the run's key by id and then
// polled with the other one, whose 401 confirmed a containment nothing had
// proven. The key given must now be the run's, by the fingerprint its
// identify step recorded.
func TestResumeRefusesAnotherSecret(t *testing.T) {
	envv, srv, leaked := simAccount(t, sendgridsim.ResponderScopes())
	refuse := refuseDeletes(t, envv)
	reports := filepath.Join(t.TempDir(), "reports")
	if r := keyir(t, leaked.Token()+"\n", envv, "respond", "--key", "-", "--reports", reports); r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	dir := onlyRunDir(t, reports)
	*refuse = false
	other := "SG." + leaked.ID + "." + strings.Repeat("b", 43)
	r := keyir(t, other+"\n", envv, "resume", dir, "--key", "-", "--output", "json")
	if r.code != 2 || !strings.Contains(r.stderr, "fingerprint") || !srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatalf("a resume with another secret: exit %d, key live %v\n%s%s", r.code, srv.State().KeyLive(leaked.ID, time.Now()), r.stdout, r.stderr)
	}
	if r := keyir(t, leaked.Token()+"\n", envv, "resume", dir, "--key", "-"); r.code != 0 || srv.State().KeyLive(leaked.ID, time.Now()) {
		t.Fatalf("the run's own key: exit %d\n%s", r.code, r.stderr)
	}
}

// The drill's Slack transcript printed message text raw: an operator name
// (or any API text in a message) with an ANSI escape reached the terminal.
func TestDrillTranscriptIsInert(t *testing.T) {
	r := keyir(t, "", map[string]string{"KEYIR_OPERATOR": "bob\x1b[2J\u202eFAKE"}, "drill", "--scenario", "id-only", "--reports", filepath.Join(t.TempDir(), "r"))
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "FAKE") {
		t.Fatalf("drill: exit %d\n%s", r.code, r.stderr)
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\u202e") {
		t.Errorf("a control character reached the terminal:\n%q", r.stdout+r.stderr)
	}
}

// refuseDeletes puts a proxy in front of envv's SendGrid that answers every
// DELETE 403 while *refuse (true at first): a revoke that fails, so the run
// ends not contained and can be resumed.
func refuseDeletes(t *testing.T, envv map[string]string) (refuse *bool) {
	t.Helper()
	target, _ := url.Parse(envv["SENDGRID_API_URL"])
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	refuse = new(bool)
	*refuse = true
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && *refuse {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":[{"field":null,"message":"access forbidden"}]}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	envv["SENDGRID_API_URL"] = front.URL
	return refuse
}

// oneNoteRun runs a one-note playbook as incident INC-1 and lists it.
func oneNoteRun(t *testing.T) (reports string, runs []listedRun) {
	t.Helper()
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hello}\n")
	reports = filepath.Join(dir, "reports")
	if r := keyir(t, "", nil, "run", pb, "--reports", reports, "--incident", "INC-1"); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	runs, _, err := listRuns(reports)
	if err != nil || len(runs) != 1 {
		t.Fatalf("%v %v", runs, err)
	}
	return reports, runs
}
