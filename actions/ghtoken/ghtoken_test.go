package ghtoken

import "context"
import "encoding/json"
import "fmt"
import "math/rand/v2"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/githubsim"
import "github.com/keyir/keyir/tokenfmt"
import "github.com/keyir/keyir/transport"

// recorder collects what a step records.
type recorder struct {
	mu          sync.Mutex
	findings    []report.Finding
	evidence    []string
	notes       []string
	progress    []string
	containment []report.Containment
	planned     []report.PlannedChange
}

func (r *recorder) Evidence(kind string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evidence = append(r.evidence, kind+" "+string(b))
	return fmt.Sprintf("evidence/test.jsonl#%d", len(r.evidence)), nil
}
func (r *recorder) Finding(f report.Finding) {
	r.mu.Lock()
	r.findings = append(r.findings, f)
	r.mu.Unlock()
}
func (r *recorder) Note(t string)     { r.mu.Lock(); r.notes = append(r.notes, t); r.mu.Unlock() }
func (r *recorder) Progress(t string) { r.mu.Lock(); r.progress = append(r.progress, t); r.mu.Unlock() }
func (r *recorder) Containment(c report.Containment) {
	r.mu.Lock()
	r.containment = append(r.containment, c)
	r.mu.Unlock()
}
func (r *recorder) Planned(c report.PlannedChange) {
	r.mu.Lock()
	r.planned = append(r.planned, c)
	r.mu.Unlock()
}

// kinds is every finding by kind.
func (r *recorder) kinds() map[string][]report.Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]report.Finding{}
	for _, f := range r.findings {
		out[f.Kind] = append(out[f.Kind], f)
	}
	return out
}

// all is everything the recorder kept, as text, for canary checks.
func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"f": r.findings, "e": r.evidence, "n": r.notes, "p": r.progress, "c": r.containment, "pl": r.planned})
	return string(b)
}

// fixture is a GitHub simulator loaded with a scenario, on loopback.
type fixture struct {
	t   testing.TB
	fx  *githubsim.Fixture
	srv *githubsim.Server
	url string
	env map[string]string
}

// newFixture builds scenario now (its attack applied when attack), tuned.
func newFixture(t testing.TB, scenario string, attack bool, tune func(*githubsim.Config)) *fixture {
	t.Helper()
	sc, ok := githubsim.LookupScenario(scenario)
	if !ok {
		t.Fatalf("no scenario %s", scenario)
	}
	fx := sc.Build(time.Now())
	if attack && fx.Attack != nil {
		fx.Attack(fx.State)
	}
	cfg := fx.Config
	cfg.PropagationDelay = 300 * time.Millisecond
	if tune != nil {
		tune(&cfg)
	}
	srv := githubsim.New(fx.State, cfg)
	u, stop, err := githubsim.Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	return &fixture{t: t, fx: fx, srv: srv, url: u, env: map[string]string{EnvAPIURL: u, EnvToken: fx.ResponderToken}}
}

// newEnv is a step's environment against the fixture.
func (f *fixture) newEnv(mode report.Mode) (*actions.Env, *recorder) {
	rec := &recorder{}
	red := redact.New()
	red.Add(f.fx.ResponderToken)
	return &actions.Env{
		Step: "test", RunID: "r1", Mode: mode, RunStarted: time.Now(),
		HTTP:     transport.NewClient(transport.Options{DryRun: mode == report.ModeDryRun, Step: "test", Redactor: red, Recorder: rec, Timeout: 5 * time.Second}),
		Now:      time.Now,
		Redactor: red,
		Recorder: rec,
		Getenv:   func(k string) string { return f.env[k] },
	}, rec
}

// run decodes params like the runner and runs the action.
func run(t testing.TB, env *actions.Env, name string, params map[string]any) (actions.Outputs, error) {
	t.Helper()
	info, ok := actions.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	a, err := actions.Decode(info, params)
	if err != nil {
		return nil, err
	}
	for _, s := range actions.SecretValues(a) {
		env.Redactor.Add(s)
	}
	out, err := a.Run(context.Background(), env)
	if _, jerr := json.Marshal(out); jerr != nil {
		t.Fatalf("%s outputs not JSON: %v", name, jerr)
	}
	return out, err
}

// mint makes a well-formed token GitHub (the simulator) never issued.
func mint(t testing.TB, prefix string, seed uint64) string {
	t.Helper()
	tok, err := tokenfmt.MintGitHub(prefix, rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 7}))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// noSecret fails when a secret appears in what the step recorded or
// returned, or in err.
func noSecret(t *testing.T, rec *recorder, out actions.Outputs, err error, secrets ...string) {
	t.Helper()
	b, _ := json.Marshal(out)
	text := rec.all() + string(b)
	if err != nil {
		text += err.Error()
	}
	for _, s := range secrets {
		if s != "" && (strings.Contains(text, s) || strings.Contains(text, s[len(s)-12:])) {
			t.Errorf("a secret (…%s) leaks into the step's record, outputs or error", s[len(s)-4:])
		}
	}
}

func TestIdentifyEveryKindAndRefuseABadChecksum(t *testing.T) {
	for _, k := range Kinds {
		r, ok := ParseToken(k.Sample)
		if ok != nil || r.Kind != k || !r.ChecksumOK {
			t.Errorf("%s: ParseToken(sample) = %+v, %v", k.Kind, r, ok)
		}
		env := &actions.Env{Redactor: redact.New(), Recorder: &recorder{}}
		out, err := run(t, env, "github.identify_token", map[string]any{"key": k.Sample})
		if err != nil || out["kind"] != k.Kind || out["hashed_token"] != HashedToken(k.Sample) {
			t.Errorf("%s: identify = %v, %v", k.Kind, out, err)
		}
	}
	good := mint(t, "ghp_", 1)
	last := good[len(good)-1]
	bad := good[:len(good)-1] + map[bool]string{true: "A", false: "B"}[last != 'A']
	r, err := ParseToken(bad)
	if err != nil || r.ChecksumOK {
		t.Fatalf("a flipped checksum: %+v, %v (want recognised, checksum not ok)", r, err)
	}
	_, err = run(t, &actions.Env{Redactor: redact.New(), Recorder: &recorder{}}, "github.identify_token", map[string]any{"key": bad})
	if err == nil || !strings.Contains(err.Error(), "bad checksum") || strings.Contains(err.Error(), bad[4:]) {
		t.Fatalf("identify of a bad checksum: %v", err)
	}
	if _, err := ParseToken("ghp_short"); err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("a truncated token: %v", err)
	}
}

// TestHashedTokenIsWhatTheAuditLogRecords: the audit log's hashed_token is
// base64(SHA-256(token)), as GitHub documents and the simulator records.
func TestHashedTokenIsWhatTheAuditLogRecords(t *testing.T) {
	tok := mint(t, "ghp_", 2)
	if HashedToken(tok) != githubsim.HashedToken(tok) || HashedToken(" "+tok+"\n") != HashedToken(tok) {
		t.Fatalf("hashed token differs from the audit log's")
	}
}

func TestLivenessLiveThenDead(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.token_liveness", map[string]any{"key": f.fx.LeakedToken})
	if err != nil || out["status"] != actions.StatusLive || out["login"] != "devon" || out["expires_at"] == "" {
		t.Fatalf("liveness of the live token: %v, %v", out, err)
	}
	if sc, _ := out["scopes"].([]string); len(sc) != 5 {
		t.Errorf("scopes %v, want the token's five", out["scopes"])
	}
	noSecret(t, rec, out, err, f.fx.LeakedToken)

	f.fx.State.RevokeToken(f.fx.LeakedToken, time.Now().Add(-time.Minute))
	env, rec = f.newEnv(report.ModeLive)
	out, err = run(t, env, "github.token_liveness", map[string]any{"key": f.fx.LeakedToken})
	if err != nil || out["status"] != actions.StatusDead {
		t.Fatalf("liveness of the revoked token: %v, %v", out, err)
	}
	dead := rec.kinds()[actions.KindRefusedBeforeRevoke]
	if len(dead) != 1 || !strings.Contains(dead[0].Detail, "GITHUB_API_URL") {
		t.Fatalf("an already dead token: findings %+v (want one naming GITHUB_API_URL: it may be another GitHub's)", rec.findings)
	}
}

// TestTokenOfAnotherGitHub: a token this GitHub never issued (an
// Enterprise Server's, against github.com) answers 401: the run says it may
// belong elsewhere, and no revocation of it is claimed.
func TestTokenOfAnotherGitHub(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	other := mint(t, "ghp_", 3)
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.token_liveness", map[string]any{"key": other})
	if err != nil || out["status"] != actions.StatusDead {
		t.Fatalf("liveness: %v, %v", out, err)
	}
	if f := rec.kinds()[actions.KindRefusedBeforeRevoke]; len(f) != 1 || !strings.Contains(f[0].Detail, "Enterprise Server") {
		t.Fatalf("findings %+v", rec.findings)
	}
}

func TestRevokeIsUnauthenticatedAndOnlyTheTokensOwn401Confirms(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, func(c *githubsim.Config) { c.PropagationDelay = 600 * time.Millisecond })
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.revoke_token", map[string]any{"key": f.fx.LeakedToken})
	fp := redact.Fingerprint(f.fx.LeakedToken)
	if err != nil || fmt.Sprint(out["requested"]) != "["+fp+"]" || out["requests"] != 1 {
		t.Fatalf("revoke: %v, %v", out, err)
	}
	for _, r := range f.srv.Requests() {
		if r.Route == "POST /credentials/revoke" && (r.Header.Get("Authorization") != "" || !strings.Contains(string(r.Body), `"credentials"`)) {
			t.Fatalf("the revocation request was authenticated or malformed: %v %s", r.Header, r.Body)
		}
	}
	if !strings.Contains(strings.Join(rec.notes, " "), "202 Accepted") {
		t.Errorf("notes %q do not say the 202 is a request, not proof", rec.notes)
	}
	if rec.containment != nil {
		t.Fatalf("the revoke step recorded containment %+v: a 202 proves nothing", rec.containment)
	}
	noSecret(t, rec, out, err, f.fx.LeakedToken)

	env, rec = f.newEnv(report.ModeLive)
	out, err = run(t, env, "github.confirm_revoked", map[string]any{"key": f.fx.LeakedToken, "interval": "100ms", "timeout": "10s"})
	if err != nil || out["confirmed"] != true {
		t.Fatalf("confirm: %v, %v", out, err)
	}
	if polls, _ := out["polls"].(int); polls < 2 {
		t.Errorf("polls %v: revocation propagates, the first read should still have seen the token live", out["polls"])
	}
	if len(rec.containment) != 1 || rec.containment[0].Status != report.ContainmentConfirmed || rec.containment[0].TimeToContainment <= 0 {
		t.Fatalf("containment %+v", rec.containment)
	}
	noSecret(t, rec, out, err, f.fx.LeakedToken)
}

// TestConfirmNeverClaimsALiveToken: a token that stays live is not
// confirmed, whatever the revoke step said.
func TestConfirmNeverClaimsALiveToken(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.confirm_revoked", map[string]any{"key": f.fx.LeakedToken, "interval": "50ms", "timeout": "300ms"})
	if err == nil || out["confirmed"] != false || len(rec.containment) != 1 || rec.containment[0].Status != report.ContainmentNotConfirmed {
		t.Fatalf("confirm of a live token: %v, %v, %+v", out, err, rec.containment)
	}
}

func TestDryRunRefusesTheWritesAtTheTransport(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	ghs := f.fx.State.AddToken(githubsim.Token{Value: mint(t, "ghs_", 4), Kind: "github_installation", Org: "acme-corp", InstallationID: 1})
	env, rec := f.newEnv(report.ModeDryRun)
	out, err := run(t, env, "github.revoke_token", map[string]any{"key": f.fx.LeakedToken, "keys": []string{ghs.Value}})
	if err != nil || out["planned"] != true || out["requests"] != 0 {
		t.Fatalf("dry run revoke: %v, %v", out, err)
	}
	if n := f.srv.Count("POST", "") + f.srv.Count("DELETE", ""); n != 0 {
		t.Fatalf("a dry run sent %d writes", n)
	}
	if len(rec.planned) != 2 {
		t.Errorf("planned changes %+v, want the POST and the DELETE", rec.planned)
	}
	if !f.srv.Authenticates(f.fx.LeakedToken) || !f.srv.Authenticates(ghs.Value) {
		t.Fatal("a dry run revoked a token")
	}
	noSecret(t, rec, out, err, f.fx.LeakedToken, ghs.Value)
	env, rec = f.newEnv(report.ModeDryRun)
	if _, err := run(t, env, "github.confirm_revoked", map[string]any{"key": f.fx.LeakedToken}); err != nil || rec.containment[0].Status != report.ContainmentPlanned {
		t.Fatalf("dry run confirm: %v, %+v", err, rec.containment)
	}
}

// TestRevokeBatchesAndStopsAtTheLimit: tokens go in batches; once the
// endpoint's limit is spent the rest are not sent, and nothing is retried.
func TestRevokeBatchesAndStopsAtTheLimit(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, func(c *githubsim.Config) { c.Revoke = githubsim.Limit{Requests: 2, Window: time.Hour} })
	var toks []string
	for i := range 5 {
		toks = append(toks, f.fx.State.AddToken(githubsim.Token{Value: mint(t, "ghp_", uint64(10+i)), Kind: "github_classic_pat", Login: "devon"}).Value)
	}
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.revoke_token", map[string]any{"keys": toks, "batch_size": 2})
	if err == nil {
		t.Fatal("a spent limit was not reported")
	}
	if got := f.srv.Count("POST", "POST /credentials/revoke"); got != 2 {
		t.Fatalf("%d revocation requests, want 2: the limit said none were left", got)
	}
	if r, _ := out["requested"].([]string); len(r) != 4 {
		t.Errorf("requested %v, want the first two batches", out["requested"])
	}
	if fl, _ := out["failed"].([]string); len(fl) != 1 || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("failed %v, err %v", out["failed"], err)
	}
	noSecret(t, rec, out, err, toks...)
	// A new step knows nothing of the limit: the endpoint's refusal is
	// final, not retried.
	env, _ = f.newEnv(report.ModeLive)
	if _, err := run(t, env, "github.revoke_token", map[string]any{"key": toks[4]}); err == nil || !strings.Contains(err.Error(), "does not retry") {
		t.Fatalf("a refused revocation: %v", err)
	}
	if got := f.srv.Count("POST", "POST /credentials/revoke"); got != 3 {
		t.Fatalf("%d revocation requests, want 3 (the refused one sent once)", got)
	}
}

func TestInstallationTokenLiveOn403AndRevokesItself(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	ghs := f.fx.State.AddToken(githubsim.Token{Value: mint(t, "ghs_", 5), Kind: "github_installation", Org: "acme-corp", InstallationID: 1})
	env, _ := f.newEnv(report.ModeLive)
	if out, err := run(t, env, "github.token_liveness", map[string]any{"key": ghs.Value}); err != nil || out["status"] != actions.StatusLive {
		t.Fatalf("an installation token's 403: %v, %v (want live)", out, err)
	}
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.revoke_token", map[string]any{"key": ghs.Value})
	if err != nil || fmt.Sprint(out["revoked"]) != "["+redact.Fingerprint(ghs.Value)+"]" || f.srv.Count("POST", "") != 0 {
		t.Fatalf("self-revoke: %v, %v", out, err)
	}
	noSecret(t, rec, out, err, ghs.Value)
	env, _ = f.newEnv(report.ModeLive)
	if out, err := run(t, env, "github.confirm_revoked", map[string]any{"key": ghs.Value, "interval": "100ms", "timeout": "5s"}); err != nil || out["confirmed"] != true {
		t.Fatalf("confirm: %v, %v", out, err)
	}
	// Dead now: a second revoke finds it already revoked.
	env, rec = f.newEnv(report.ModeLive)
	if out, err := run(t, env, "github.revoke_token", map[string]any{"key": ghs.Value}); err != nil || len(out["already_revoked"].([]string)) != 1 || len(rec.kinds()[actions.KindRefusedBeforeRevoke]) != 1 {
		t.Fatalf("revoking a dead installation token: %v, %v", out, err)
	}
}

// TestInstallationTokenWithoutRights: a ghs_ token the simulator refuses to
// let revoke itself fails clearly, with what to do by hand.
func TestInstallationTokenWithoutRights(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, func(c *githubsim.Config) {})
	ghs := mint(t, "ghs_", 6)
	f.srv.InjectFault(githubsim.Fault{Method: "DELETE", Route: "DELETE /installation/token", Times: 1, Kind: githubsim.FaultStatus, Status: 403})
	f.fx.State.AddToken(githubsim.Token{Value: ghs, Kind: "github_installation", Org: "acme-corp", InstallationID: 1})
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.revoke_token", map[string]any{"key": ghs})
	if err == nil || !strings.Contains(err.Error(), "suspend the installation") || len(out["failed"].([]string)) != 1 {
		t.Fatalf("ghs_ without rights: %v, %v", out, err)
	}
	noSecret(t, rec, out, err, ghs)
}

func TestEnterpriseServerRevokesOnlyPATsAuthenticated(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, func(c *githubsim.Config) { c.Enterprise = true })
	if !strings.HasSuffix(f.url, "/api/v3") {
		t.Fatalf("enterprise URL %s", f.url)
	}
	gho := f.fx.State.AddToken(githubsim.Token{Value: mint(t, "gho_", 7), Kind: "github_oauth", Login: "devon", Scopes: []string{"repo"}}).Value
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.revoke_token", map[string]any{"key": f.fx.LeakedToken, "keys": []string{gho}})
	if err == nil || len(out["not_revocable"].([]string)) != 1 || len(out["requested"].([]string)) != 1 {
		t.Fatalf("enterprise revoke: %v, %v", out, err)
	}
	if len(rec.kinds()["token.not_revocable"]) != 1 {
		t.Errorf("findings %+v", rec.findings)
	}
	for _, r := range f.srv.Requests() {
		if r.Route == "POST /credentials/revoke" && (r.Header.Get("Authorization") == "" || strings.Contains(string(r.Body), gho)) {
			t.Fatalf("enterprise revocation: unauthenticated, or sent the OAuth token: %s", r.Body)
		}
	}
	noSecret(t, rec, out, err, f.fx.LeakedToken, gho)
	f.env[EnvToken] = ""
	env, _ = f.newEnv(report.ModeLive)
	if _, err := run(t, env, "github.revoke_token", map[string]any{"key": f.fx.LeakedToken}); err == nil || !strings.Contains(err.Error(), "requires authentication") {
		t.Fatalf("enterprise without a responder token: %v", err)
	}
}

func TestActivityFindsTheTokensEvents(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.activity", map[string]any{"hashed_token": HashedToken(f.fx.LeakedToken), "org": f.fx.Org})
	if err != nil || out["assessed"] != true || out["events"] != 5 {
		t.Fatalf("activity: %v, %v", out, err)
	}
	a := rec.kinds()["github_activity"]
	if len(a) != 1 || a[0].Subject != f.fx.Org || !strings.Contains(a[0].Detail, "hook.create") {
		t.Fatalf("findings %+v", rec.findings)
	}
	// Another token's hash: the ordinary work of the weeks before is not it.
	env, rec = f.newEnv(report.ModeLive)
	out, err = run(t, env, "github.activity", map[string]any{"hashed_token": HashedToken(mint(t, "ghp_", 8)), "org": f.fx.Org})
	if err != nil || out["events"] != 0 || len(rec.findings) != 0 {
		t.Fatalf("activity of an unused token: %v, %v, %+v", out, err, rec.findings)
	}
}

func TestWithoutResponderOrOrgNotAssessable(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	for _, c := range []struct{ name, org, token string }{{"no org", "", f.fx.ResponderToken}, {"no token", f.fx.Org, ""}} {
		f.env[EnvToken] = c.token
		for _, action := range []string{"github.activity", "github.persistence"} {
			env, rec := f.newEnv(report.ModeLive)
			params := map[string]any{"org": c.org}
			if action == "github.activity" {
				params["hashed_token"] = HashedToken(f.fx.LeakedToken)
			}
			out, err := run(t, env, action, params)
			k := rec.kinds()
			if err != nil || out["assessed"] != false || len(k["assessment.not_assessable"]) == 0 || len(k) != 1 {
				t.Errorf("%s, %s: %v, %v, findings %+v (want only not_assessable)", c.name, action, out, err, rec.findings)
			}
		}
	}
}

// TestPersistenceAgainstABaseline: a baseline taken before the attack; the
// footholds the scenario's truth names are found, and nothing it had before.
func TestPersistenceAgainstABaseline(t *testing.T) {
	for _, name := range []string{"github-pat-leak", "github-fine-grained-leak"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, name, false, nil)
			env, _ := f.newEnv(report.ModeLive)
			path := t.TempDir() + "/baseline.json"
			// Taken before the window: a baseline of the world before the leak.
			env.Now = func() time.Time { return f.fx.WindowStart.Add(-time.Hour) }
			if _, err := SaveBaseline(context.Background(), env, f.fx.Org, path); err != nil {
				t.Fatal(err)
			}
			f.fx.Attack(f.fx.State)
			env, rec := f.newEnv(report.ModeLive)
			out, err := run(t, env, "github.persistence", map[string]any{"org": f.fx.Org, "login": f.fx.LeakedLogin, "baseline": path})
			if err != nil || out["assessed"] != true {
				t.Fatalf("persistence: %v, %v", out, err)
			}
			got := map[string]bool{}
			for _, fd := range rec.findings {
				got[fd.Kind+" "+fd.Subject] = true
			}
			for _, e := range f.fx.Expected {
				if e.Kind != "github_activity" && !got[e.Kind+" "+e.Subject] {
					t.Errorf("missing %s %s; got %v", e.Kind, e.Subject, got)
				}
			}
			if n := len(got) - (len(f.fx.Expected) - 1); n != 0 {
				t.Errorf("%d findings beyond the truth: %v", n, got)
			}
		})
	}
}

// TestPersistenceWithoutBaselineSaysWhatItCannotJudge: items with a
// creation time are judged by the window; SSH keys and visibility cannot
// be, and a finding says so.
func TestPersistenceWithoutBaselineSaysWhatItCannotJudge(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.persistence", map[string]any{"org": f.fx.Org, "login": "devon"})
	if err != nil || out["assessed"] != true {
		t.Fatalf("persistence: %v, %v", out, err)
	}
	k := rec.kinds()
	if len(k["github_deploy_key_added"]) != 1 || len(k["github_webhook_added"]) != 1 || len(k["github_member_invited"]) != 1 {
		t.Errorf("window-judged findings: %+v", rec.findings)
	}
	var na []string
	for _, fd := range k["assessment.not_assessable"] {
		na = append(na, fd.Subject)
	}
	if !strings.Contains(strings.Join(na, ","), "ssh_keys") || !strings.Contains(strings.Join(na, ","), "visibility") {
		t.Errorf("not assessable: %v (want ssh_keys and visibility)", na)
	}
}

// TestSecretListIsRegistered: every token of revoke's list is a secret the
// runner registers with the redactor before the step runs.
func TestSecretListIsRegistered(t *testing.T) {
	info, _ := actions.Lookup("github.revoke_token")
	a, b := mint(t, "ghp_", 20), mint(t, "gho_", 21)
	act, err := actions.Decode(info, map[string]any{"keys": []string{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(actions.SecretValues(act), " ")
	if !strings.Contains(got, a) || !strings.Contains(got, b) {
		t.Fatal("the tokens of a secret list are not secret values")
	}
}

// TestA401WithoutBadCredentialsProvesNothing: only GitHub's own "Bad
// credentials" 401 is the token's death; a proxy's bare 401 is not, and
// confirm does not claim containment on it.
func TestA401WithoutBadCredentialsProvesNothing(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	f.srv.InjectFault(githubsim.Fault{Method: "GET", Route: "GET /user", Kind: githubsim.FaultStatus, Status: 401})
	env, rec := f.newEnv(report.ModeLive)
	if out, err := run(t, env, "github.token_liveness", map[string]any{"key": f.fx.LeakedToken}); err != nil || out["status"] != actions.StatusUnknown || len(rec.findings) != 0 {
		t.Fatalf("liveness on a bare 401: %v, %v, %+v", out, err, rec.findings)
	}
	env, rec = f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.confirm_revoked", map[string]any{"key": f.fx.LeakedToken, "interval": "50ms", "timeout": "300ms"})
	if err == nil || out["confirmed"] != false || rec.containment[0].Status != report.ContainmentNotConfirmed {
		t.Fatalf("confirm on a bare 401: %v, %v, %+v", out, err, rec.containment)
	}
}

// TestResponderRefusedFailsTheAssessment: a responder token GitHub refuses
// (401) fails the persistence and activity steps; it is not "not
// assessable", and never "nothing found".
func TestResponderRefusedFailsTheAssessment(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	f.env[EnvToken] = mint(t, "ghp_", 30)
	env, rec := f.newEnv(report.ModeLive)
	if _, err := run(t, env, "github.persistence", map[string]any{"org": f.fx.Org, "login": "devon"}); err == nil || !strings.Contains(err.Error(), "401") || len(rec.findings) != 0 {
		t.Fatalf("persistence with a refused responder: %v, %+v", err, rec.findings)
	}
	env, rec = f.newEnv(report.ModeLive)
	if _, err := run(t, env, "github.activity", map[string]any{"org": f.fx.Org, "hashed_token": HashedToken(f.fx.LeakedToken)}); err == nil || len(rec.findings) != 0 {
		t.Fatalf("activity with a refused responder: %v, %+v", err, rec.findings)
	}
}
