package githubsim

import "fmt"
import "math/rand/v2"
import "time"

import "github.com/keyir/keyir/sim/simhttp"
import "github.com/keyir/keyir/tokenfmt"

// Expected is one finding a scenario's ground truth says a complete
// assessment must report: its kind and, where it matters, its subject.
// Kinds and subjects (agreed with actions/ghtoken): github_activity (the
// org's login), github_ssh_key_added (login/key id), github_deploy_key_added
// (owner/repo/key id), github_webhook_added (owner/repo/hooks/id or
// org/hooks/id), github_member_invited (the invitee's login, else email),
// github_visibility_changed (owner/repo), github_authorization_added (an
// installed app's slug).
type Expected = simhttp.Expected

// Truth is a fixture's attack, faults and ground truth (simhttp.Truth).
type Truth = simhttp.Truth[*State, Item]

// Fixture is a scenario made concrete at a point in time.
type Fixture struct {
	State          *State
	Config         Config
	ResponderToken string // the on-call responder's own token (least privilege)
	ResponderLogin string
	Org            string // the organization the assessment reads
	LeakedToken    string
	LeakedKind     string // tokenfmt kind name
	LeakedLogin    string // the account the leaked token acts for
	WindowStart    time.Time
	WindowEnd      time.Time
	// Truth: a correct run confirms containment (the token's own 401 was
	// seen); footholds are what the attack left, Legitimate what the
	// organization had before and must keep.
	Truth
}

// Scenario is a rehearsable incident.
type Scenario = simhttp.Named[*Fixture]

var scenarios = []Scenario{
	{Name: "github-pat-leak", Description: "a developer's classic personal access token leaked; its holder added an SSH key, a deploy key and a webhook, and invited a member", Build: patLeak},
	{Name: "github-fine-grained-leak", Description: "a fine-grained personal access token leaked; its holder made a private repository public and added a webhook", Build: fineGrainedLeak},
	{Name: "github-pat-leak-flaky", Description: "github-pat-leak with 5xx answers, a secondary rate limit and connection resets along the way", Build: patLeakFlaky},
}

// Scenarios lists the built-in scenarios.
func Scenarios() []Scenario { return append([]Scenario(nil), scenarios...) }

// LookupScenario finds a scenario by name.
func LookupScenario(name string) (Scenario, bool) { return simhttp.Lookup(scenarios, name) }

// ResponderScopes are the classic scopes of the responder token the
// scenarios give out: reads for the assessment, nothing that writes.
func ResponderScopes() []string {
	return []string{"read:audit_log", "read:org", "read:public_key", "read:repo_hook", "admin:org_hook", "repo"}
}

// world is the organization every scenario starts from: acme-corp, owned by
// alice (the responder) and devon (whose token leaks), three repositories,
// an SSH key each, a deploy key, a repository and an organization webhook,
// a CI app, SSO-authorized tokens and three weeks of ordinary audit log.
type world struct {
	rng   *rand.Rand
	now   time.Time
	st    *State
	fx    *Fixture
	org   string
	devon User
}

const org = "acme-corp"

func newWorld(name string, now time.Time) *world {
	rng := simhttp.SeededRand(name)
	now = now.UTC().Truncate(time.Second)
	st := NewState()
	w := &world{rng: rng, now: now, st: st, org: org}
	alice := st.AddUser(User{Login: "alice", Name: "Alice Owner", Email: "alice@acme.example", CreatedAt: now.AddDate(-4, 0, 0)})
	w.devon = st.AddUser(User{Login: "devon", Name: "Devon Dev", Email: "devon@acme.example", CreatedAt: now.AddDate(-2, 0, 0)})
	st.AddUser(User{Login: "sam", Name: "Sam Support", CreatedAt: now.AddDate(-1, 0, 0)})
	st.AddOrg(Org{Login: org, Owners: []string{"alice", "devon"}, Members: []string{"sam"}})
	for _, r := range []Repo{{Name: "api", Visibility: "private"}, {Name: "web", Visibility: "private"}, {Name: "docs", Visibility: "public"}} {
		r.Owner, r.CreatedAt = org, now.AddDate(-1, 0, 0)
		st.AddRepo(r)
	}
	responder := st.AddToken(Token{Value: w.mint("ghp_"), Kind: "github_classic_pat", Login: alice.Login, Scopes: ResponderScopes(), CreatedAt: now.AddDate(0, -2, 0), ExpiresAt: now.AddDate(0, 1, 0)})
	daily := st.AddToken(Token{Value: w.mint("ghp_"), Kind: "github_classic_pat", Login: "devon", Scopes: []string{"repo"}, CreatedAt: now.AddDate(0, -5, 0)})
	aliceKey := st.AddSSHKey(SSHKey{Login: "alice", Title: "alice-laptop", Key: w.sshKey(), CreatedAt: now.AddDate(-1, 0, 0)})
	devonKey := st.AddSSHKey(SSHKey{Login: "devon", Title: "devon-workstation", Key: w.sshKey(), CreatedAt: now.AddDate(0, -8, 0)})
	ci := st.AddDeployKey(DeployKey{Repo: org + "/api", Title: "ci-deploy", Key: w.sshKey(), ReadOnly: true, AddedBy: "alice", CreatedAt: now.AddDate(0, -6, 0)})
	st.AddHook(Hook{Repo: org + "/web", URL: "https://ci.acme.example/github", Events: []string{"push", "pull_request"}, Active: true, CreatedAt: now.AddDate(0, -9, 0), UpdatedAt: now.AddDate(0, -9, 0)})
	st.AddHook(Hook{Org: org, URL: "https://chat.acme.example/hooks/github", Events: []string{"repository", "member"}, Active: true, CreatedAt: now.AddDate(0, -7, 0), UpdatedAt: now.AddDate(0, -7, 0)})
	app := st.AddInstallation(Installation{Org: org, AppID: 31337, AppSlug: "acme-ci", Permissions: map[string]string{"contents": "read", "checks": "write"}, Events: []string{"push"}, CreatedAt: now.AddDate(0, -10, 0)})
	st.AddCredentialAuthorization(CredentialAuthorization{Org: org, Login: "alice", CredentialType: "personal access token", TokenLastEight: last8(responder.Value), Scopes: ResponderScopes(), AuthorizedAt: responder.CreatedAt})
	st.AddCredentialAuthorization(CredentialAuthorization{Org: org, Login: "devon", CredentialType: "personal access token", TokenLastEight: last8(daily.Value), Scopes: daily.Scopes, AuthorizedAt: daily.CreatedAt})
	// Three weeks of ordinary work with devon's everyday token and in the web UI.
	for d := 21; d >= 1; d-- {
		at := now.AddDate(0, 0, -d).Add(time.Duration(9+rng.IntN(8)) * time.Hour)
		w.audit(AuditEvent{At: at, Action: "git.push", Actor: "devon", Repo: org + "/web"}, daily)
		w.audit(AuditEvent{At: at.Add(time.Hour), Action: "pull_request.merge", Actor: "alice", Repo: org + "/api"}, Token{})
	}
	w.fx = &Fixture{State: st, Config: DefaultConfig(), ResponderToken: responder.Value, ResponderLogin: "alice", Org: org,
		WindowStart: now.AddDate(0, 0, -7), WindowEnd: now, Truth: Truth{Containment: "confirmed",
			Legitimate: []Item{
				{Kind: "ssh_key", Subject: itoa(aliceKey.ID)}, {Kind: "ssh_key", Subject: itoa(devonKey.ID)},
				{Kind: "deploy_key", Subject: itoa(ci.ID)}, {Kind: "webhook", Subject: "ci.acme.example"},
				{Kind: "webhook", Subject: "chat.acme.example"}, {Kind: "installation", Subject: app.AppSlug},
				{Kind: "token", Subject: responder.Value}, {Kind: "token", Subject: daily.Value},
				{Kind: "visibility", Subject: org + "/docs=public"}, {Kind: "visibility", Subject: org + "/api=private"},
			}}}
	// Revocation takes a moment to reach every GitHub host: confirm must poll.
	w.fx.Config.PropagationDelay = 2 * time.Second
	return w
}

func itoa(n int64) string { return fmt.Sprint(n) }

func last8(s string) string { return s[len(s)-8:] }

func (w *world) mint(prefix string) string {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(w.rng.Uint32())
	}
	t, err := tokenfmt.MintGitHub(prefix, rand.NewChaCha8(seed))
	if err != nil {
		panic(err) // only the known prefixes are minted
	}
	return t
}

// sshKey makes up an ed25519 public key line.
func (w *world) sshKey() string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(w.rng.Uint32())
	}
	return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + fmt.Sprintf("%x", b)[:43]
}

// audit adds an entry made with tok (zero Token: the web UI, no token).
func (w *world) audit(e AuditEvent, tok Token) AuditEvent {
	e.Org = w.org
	if tok.Value != "" {
		e.HashedToken = HashedToken(tok.Value)
		e.TokenID = tok.ID
		e.ProgrammaticAccessType = map[string]string{
			"github_classic_pat": "Personal access token (classic)", "github_fine_grained_pat": "Fine-grained personal access token",
			"github_oauth": "OAuth access token", "github_installation": "GitHub App server-to-server token",
		}[tok.Kind]
	}
	return w.st.AddAudit(e)
}

// leak adds devon's token that leaked.
func (w *world) leak(t Token) Token {
	t.Login, t.CreatedAt = "devon", w.now.AddDate(0, -1, 0)
	t = w.st.AddToken(t)
	w.fx.LeakedToken, w.fx.LeakedKind, w.fx.LeakedLogin = t.Value, t.Kind, t.Login
	return t
}

func patLeak(now time.Time) *Fixture {
	w := newWorld("github-pat-leak", now)
	tok := w.leak(Token{Value: w.mint("ghp_"), Kind: "github_classic_pat",
		Scopes: []string{"repo", "admin:org", "admin:public_key", "admin:repo_hook", "admin:org_hook"}, ExpiresAt: now.AddDate(0, 2, 0)})
	at := w.now.Add(-30 * time.Hour)
	// Keys and ids are made now, so the attack adds the same objects whenever it is applied.
	sshKey := SSHKey{ID: 880001, Login: "devon", Title: "build-runner", Key: w.sshKey(), CreatedAt: at}
	deploy := DeployKey{ID: 880002, Repo: org + "/api", Title: "backup", Key: w.sshKey(), AddedBy: "devon", CreatedAt: at.Add(10 * time.Minute)}
	hook := Hook{ID: 880003, Repo: org + "/api", URL: "https://relay.hooks-collect.example/gh", Events: []string{"push"}, Active: true, CreatedAt: at.Add(20 * time.Minute), UpdatedAt: at.Add(20 * time.Minute)}
	invite := Invitation{ID: 880004, Org: org, Login: "ops-helper-7", Role: "admin", Inviter: "devon", CreatedAt: at.Add(30 * time.Minute)}
	w.fx.Attack = func(st *State) {
		st.AddUser(User{ID: 880005, Login: "ops-helper-7", CreatedAt: at.AddDate(0, 0, -2)})
		st.AddSSHKey(sshKey)
		st.AddDeployKey(deploy)
		st.AddHook(hook)
		st.AddInvitation(invite)
		w.attackLog(st, tok, []AuditEvent{
			{At: at.Add(-time.Hour), Action: "git.clone", Actor: "devon", Repo: org + "/api"},
			{At: at.Add(-50 * time.Minute), Action: "git.clone", Actor: "devon", Repo: org + "/web"},
			{At: deploy.CreatedAt, Action: "public_key.create", Actor: "devon", Repo: deploy.Repo, Fields: map[string]any{"title": deploy.Title, "read_only": false}},
			{At: hook.CreatedAt, Action: "hook.create", Actor: "devon", Repo: hook.Repo, Fields: hookCreateFields(hook)},
			{At: invite.CreatedAt, Action: "org.invite_member", Actor: "devon", User: invite.Login, Fields: map[string]any{"permission": "admin"}},
		})
	}
	w.fx.Expected = []Expected{
		{Kind: "github_activity", Subject: org},
		{Kind: "github_ssh_key_added", Subject: "devon/" + itoa(sshKey.ID)},
		{Kind: "github_deploy_key_added", Subject: deploy.Repo + "/" + itoa(deploy.ID)},
		{Kind: "github_webhook_added", Subject: hook.Repo + "/hooks/" + itoa(hook.ID)},
		{Kind: "github_member_invited", Subject: invite.Login},
	}
	w.fx.ExitCode = 5 // contained, footholds of high severity open
	w.fx.Footholds = []Item{
		{Kind: "ssh_key", Subject: itoa(sshKey.ID)}, {Kind: "deploy_key", Subject: itoa(deploy.ID)},
		{Kind: "webhook", Subject: "relay.hooks-collect.example"}, {Kind: "invitation", Subject: invite.Login},
	}
	return w.fx
}

// attackLog adds the holder's audit entries, each carrying the token's hashed_token.
func (w *world) attackLog(st *State, tok Token, es []AuditEvent) {
	prev := w.st
	w.st = st
	for _, e := range es {
		w.audit(e, tok)
	}
	w.st = prev
}

func fineGrainedLeak(now time.Time) *Fixture {
	w := newWorld("github-fine-grained-leak", now)
	tok := w.leak(Token{Value: w.mint("github_pat_"), Kind: "github_fine_grained_pat", Org: org,
		Permissions: map[string]string{"administration": "write", "repository_hooks": "write", "metadata": "read", "contents": "read"},
		ExpiresAt:   now.AddDate(0, 0, 30)})
	at := w.now.Add(-18 * time.Hour)
	hook := Hook{ID: 880011, Repo: org + "/web", URL: "https://webhook.exfil-sink.example/in", Events: []string{"push", "release"}, Active: true, CreatedAt: at.Add(5 * time.Minute), UpdatedAt: at.Add(5 * time.Minute)}
	w.fx.Attack = func(st *State) {
		st.SetVisibility(org+"/api", "public")
		st.AddHook(hook)
		w.attackLog(st, tok, []AuditEvent{
			{At: at.Add(-2 * time.Hour), Action: "git.clone", Actor: "devon", Repo: org + "/api"},
			{At: at, Action: "repo.access", Actor: "devon", Repo: org + "/api", Fields: map[string]any{"visibility": "public", "previous_visibility": "private"}},
			{At: hook.CreatedAt, Action: "hook.create", Actor: "devon", Repo: hook.Repo, Fields: hookCreateFields(hook)},
		})
	}
	w.fx.Expected = []Expected{
		{Kind: "github_activity", Subject: org},
		{Kind: "github_visibility_changed", Subject: org + "/api"},
		{Kind: "github_webhook_added", Subject: hook.Repo + "/hooks/" + itoa(hook.ID)},
	}
	w.fx.ExitCode = 5
	w.fx.Footholds = []Item{{Kind: "webhook", Subject: "webhook.exfil-sink.example"}, {Kind: "visibility", Subject: org + "/api=public"}}
	w.fx.Legitimate = w.fx.Legitimate[:len(w.fx.Legitimate)-1] // api is public now: that is the foothold
	return w.fx
}

func patLeakFlaky(now time.Time) *Fixture {
	fx := patLeak(now)
	fx.Faults = []Fault{
		{Method: "GET", Route: "GET /user", Times: 1, Kind: FaultStatus, Status: 502},
		{Method: "POST", Route: "POST /credentials/revoke", Times: 1, Kind: FaultStatus, Status: 500},
		{Method: "GET", Route: "GET /orgs/{org}/audit-log", Times: 1, Kind: FaultSecondary, RetryAfter: 1},
		// Resets come in pairs: net/http silently retries an idempotent request once.
		{Method: "GET", Route: "GET /orgs/{org}/hooks", Times: 2, Kind: FaultReset},
		{Method: "GET", Route: "GET /repos/{owner}/{repo}/hooks", Times: 1, Kind: FaultTruncate},
	}
	return fx
}

// hookCreateFields are a hook.create entry's own fields. GitHub's audit-log-event
// schema types config as an array of objects and events as an array of objects
// whose shape it does not give: the URL goes in config's one object, and events
// (strings here) are left out rather than invented.
func hookCreateFields(h Hook) map[string]any {
	return map[string]any{"hook_id": h.ID, "config": []map[string]any{{"url": h.URL}}}
}
