package eradicate_test

import "bytes"
import "context"
import "errors"
import "math/rand/v2"
import "net/http"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import _ "github.com/keyir/keyir/actions/all"
import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

func TestMain(m *testing.M) { os.Exit(contract.RunMain(m)) }

// assessYAML is the assessment half of the built-in playbook: the steps that
// write the eradication plan.
const assessYAML = `name: assess
inputs:
  baseline:
    type: string
steps:
  - id: persistence
    action: sendgrid.persistence
    on_error: continue
    with:
      baseline: "{{ .inputs.baseline }}"
      window_start: "%START%"
      window_end: "%END%"
  - id: inventory
    action: sendgrid.inventory
    on_error: continue
    with:
      baseline: "{{ .inputs.baseline }}"
`

// world is an account with legitimate items and, after attack, one foothold
// of every kind the plan knows, served on real loopback hosts.
type world struct {
	st        *sendgridsim.State
	srv       *sendgridsim.Server
	env       map[string]string
	responder sendgridsim.Key
	now       time.Time
	backdoor  sendgridsim.Key
	legit     []sendgridsim.Item
	footholds []sendgridsim.Item
	red       *redact.Redactor
}

func newWorld(t *testing.T, responderScopes []string) *world {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC().Truncate(time.Second)
	old := now.AddDate(0, -6, 0)
	st := sendgridsim.NewState()
	w := &world{st: st, now: now, red: redact.New()}
	w.responder = sendgridsim.NewKey(rng, "keyir-responder", responderScopes)
	st.AddKey(w.responder)
	prod := sendgridsim.NewKey(rng, "prod-mailer", []string{"mail.send"})
	st.AddKey(prod)
	st.AddTeammate(sendgridsim.Teammate{Username: "alice", Email: "alice@example.com", UserType: "owner", IsAdmin: true})
	st.AddEventWebhook(sendgridsim.EventWebhook{ID: "wh-legit", URL: "https://hooks.example.com/e", Enabled: true, Created: old, Updated: old})
	st.AddAlert(sendgridsim.Alert{Type: "usage_limit", EmailTo: "billing@example.com", Percentage: 90, CreatedAt: old, UpdatedAt: old})
	st.AddVerifiedSender(sendgridsim.VerifiedSender{Nickname: "support", FromEmail: "support@example.com", Verified: true})
	st.AddParseSetting(sendgridsim.ParseSetting{Hostname: "in.example.com", URL: "https://parse.example.com/in"})
	st.AddAllowListIP(sendgridsim.AllowListIP{IP: "198.51.100.10", CreatedAt: old, UpdatedAt: old})
	w.legit = []sendgridsim.Item{
		{Kind: "api_key", Subject: w.responder.ID}, {Kind: "api_key", Subject: prod.ID},
		{Kind: "teammate", Subject: "alice"}, {Kind: "event_webhook", Subject: "hooks.example.com"},
		{Kind: "alert", Subject: "billing@example.com"}, {Kind: "verified_sender", Subject: "support@example.com"},
		{Kind: "parse_setting", Subject: "in.example.com"}, {Kind: "ip_allow_entry", Subject: "198.51.100.10"},
	}
	w.backdoor = sendgridsim.NewKey(rng, "backup-2", sendgridsim.FullAccessScopes())
	cfg := sendgridsim.DefaultConfig()
	cfg.Limits = map[string]sendgridsim.Limit{"*": {Requests: 10000, Window: time.Minute}}
	w.srv = sendgridsim.New(st, cfg)
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", w.srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosts.Shutdown(context.Background()) })
	w.env = hosts.Env()
	w.env["SENDGRID_API_KEY"] = w.responder.Token()
	w.red.Add(w.responder.Token())
	return w
}

// attack adds one foothold of every kind, created an hour ago.
func (w *world) attack() {
	at := w.now.Add(-time.Hour)
	st := w.st
	st.AddKey(w.backdoor)
	st.AddTeammate(sendgridsim.Teammate{Username: "mallory", Email: "mallory@evil.test"})
	st.AddInvite(sendgridsim.Invite{Email: "eve@evil.test", IsAdmin: true, Token: "tok-evil", Expiration: at.AddDate(0, 0, 7)})
	st.AddAllowListIP(sendgridsim.AllowListIP{IP: "203.0.113.66", CreatedAt: at, UpdatedAt: at})
	st.AddEventWebhook(sendgridsim.EventWebhook{ID: "wh-evil", URL: "https://collect.evil.test/sg", Enabled: true, Created: at, Updated: at})
	st.AddParseSetting(sendgridsim.ParseSetting{Hostname: "mx.evil.test", URL: "https://collect.evil.test/parse"})
	st.SetForwardBounce("", sendgridsim.Forward{Email: "drop@evil.test", Enabled: true})
	st.SetForwardSpam("", sendgridsim.Forward{Email: "spam@evil.test", Enabled: true})
	st.AddAlert(sendgridsim.Alert{Type: "stats_notification", EmailTo: "watch@evil.test", Frequency: "daily", CreatedAt: at, UpdatedAt: at})
	st.AddVerifiedSender(sendgridsim.VerifiedSender{Nickname: "ceo", FromEmail: "ceo@evil.test", Verified: true})
	w.footholds = []sendgridsim.Item{
		{Kind: "api_key", Subject: w.backdoor.ID}, {Kind: "teammate", Subject: "mallory"},
		{Kind: "pending_invite", Subject: "eve@evil.test"}, {Kind: "ip_allow_entry", Subject: "203.0.113.66"},
		{Kind: "event_webhook", Subject: "collect.evil.test"}, {Kind: "parse_setting", Subject: "mx.evil.test"},
		{Kind: "forward_bounce", Subject: "drop@evil.test"}, {Kind: "forward_spam", Subject: "spam@evil.test"},
		{Kind: "alert", Subject: "watch@evil.test"}, {Kind: "verified_sender", Subject: "ceo@evil.test"},
	}
}

func (w *world) getenv(k string) string { return w.env[k] }

func (w *world) saveBaseline(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "baseline.json")
	env := actions.StandaloneEnv("baseline", w.getenv, nil, w.red, http.DefaultTransport)
	if err := sendgrid.SaveInventory(context.Background(), env, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// assess runs the assessment steps as a sealed run and returns its directory.
func (w *world) assess(t *testing.T, root, baseline string) *playbook.Result {
	t.Helper()
	y := strings.NewReplacer("%START%", w.now.AddDate(0, 0, -7).Format(time.RFC3339), "%END%", w.now.Add(time.Minute).Format(time.RFC3339)).Replace(assessYAML)
	pb, err := playbook.Load("assess.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	res, err := playbook.Run(context.Background(), pb, playbook.Options{
		Mode: report.ModeLive, Incident: "INC-7", Operator: "test", ReportsRoot: root,
		Given: map[string]string{"baseline": baseline}, Redactor: w.red, Getenv: w.getenv,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (w *world) eradicate(t *testing.T, dir string, only []string, dry bool, getenv func(string) string) *playbook.Result {
	t.Helper()
	p, err := eradicate.Prepare(dir, only)
	if err != nil {
		t.Fatal(err)
	}
	if getenv == nil {
		getenv = w.getenv
	}
	res, err := eradicate.Run(context.Background(), p, dry, playbook.Options{Operator: "test", Redactor: w.red, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func allScopes() []string { return sendgridsim.FullAccessScopes() }

func planOf(t *testing.T, dir string) *sendgrid.Plan {
	t.Helper()
	p, ok, err := sendgrid.ReadPlan(dir)
	if err != nil || !ok {
		t.Fatalf("plan of %s: ok %v, %v", dir, ok, err)
	}
	return p
}

func kinds(p *sendgrid.Plan) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.Kind+" "+it.Subject)
	}
	slices.Sort(out)
	return out
}

func itemStrings(items []sendgridsim.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Kind+" "+it.Subject)
	}
	slices.Sort(out)
	return out
}

// With a baseline, the plan has exactly the footholds (one item per kind,
// with the spec's removal request), never a legitimate item or the
// responder's own key; findings of high severity cite their item, and the
// run ends exit 5.
func TestPlanWithBaseline(t *testing.T) {
	w := newWorld(t, allScopes())
	base := w.saveBaseline(t)
	w.attack()
	res := w.assess(t, t.TempDir(), base)
	p := planOf(t, res.Dir)
	if got, want := kinds(p), itemStrings(w.footholds); !slices.Equal(got, want) {
		t.Fatalf("plan items:\n  %v\nwant\n  %v", got, want)
	}
	paths := map[string]string{
		"api_key": "DELETE /v3/api_keys/" + w.backdoor.ID, "teammate": "DELETE /v3/teammates/mallory",
		"pending_invite": "DELETE /v3/teammates/pending/tok-evil", "event_webhook": "DELETE /v3/user/webhooks/event/settings/wh-evil",
		"parse_setting": "DELETE /v3/user/webhooks/parse/settings/mx.evil.test", "forward_bounce": "PATCH /v3/mail_settings/forward_bounce",
		"forward_spam": "PATCH /v3/mail_settings/forward_spam",
	}
	for _, it := range p.Items {
		if want, ok := paths[it.Kind]; ok && it.Remove.Method+" "+it.Remove.Path != want {
			t.Errorf("%s: request %s %s, want %s", it.ID, it.Remove.Method, it.Remove.Path, want)
		}
		if len(it.Why) == 0 || !strings.Contains(it.Why[0], "not in the baseline") || len(it.Evidence) == 0 {
			t.Errorf("%s: why %v, evidence %v", it.ID, it.Why, it.Evidence)
		}
		if it.Severity == "" || it.Region != "global" || it.Account != "" {
			t.Errorf("%s: severity %q region %q account %q", it.ID, it.Severity, it.Region, it.Account)
		}
	}
	if p.RunID != res.Report.Run.ID || p.Incident != "INC-7" || p.Version != 1 || p.Created.IsZero() {
		t.Errorf("plan header: %+v", p)
	}
	// 8 of the 10 are high (alert low, sender medium): exit 5, and the
	// findings cite their items.
	if res.ExitCode != report.ExitFootholdsOpen {
		t.Fatalf("exit %d, want 5", res.ExitCode)
	}
	if n := report.OpenFootholds(res.Report.Findings); n != 8 {
		t.Errorf("open footholds %d, want 8", n)
	}
}

// Without a baseline only what proves itself new goes into the plan: items
// created in the window, and active forwarding and invites; a teammate or a
// key without a creation time is only reviewed, never removed.
func TestPlanWithoutBaseline(t *testing.T) {
	w := newWorld(t, allScopes())
	w.attack()
	res := w.assess(t, t.TempDir(), "")
	got := kinds(planOf(t, res.Dir))
	want := []string{
		"alert watch@evil.test", "event_webhook collect.evil.test", "forward_bounce drop@evil.test",
		"forward_spam spam@evil.test", "ip_allow_entry 203.0.113.66", "pending_invite eve@evil.test",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan without a baseline:\n  %v\nwant\n  %v", got, want)
	}
}

// Eradication removes every foothold, keeps every legitimate item, leaves
// the parent untouched, records a new run naming the parent and its head; a
// second eradication has nothing to do and exits 0.
func TestEradicateIdempotent(t *testing.T) {
	w := newWorld(t, allScopes())
	base := w.saveBaseline(t)
	w.attack()
	root := t.TempDir()
	parent := w.assess(t, root, base)
	before := snapshot(t, parent.Dir)

	res := w.eradicate(t, parent.Dir, nil, false, nil)
	if res.ExitCode != 0 {
		t.Fatalf("eradication exit %d, want 0: %v", res.ExitCode, res.Report.Findings)
	}
	for _, f := range w.footholds {
		if w.st.Present(f) {
			t.Errorf("foothold still present: %v", f)
		}
	}
	for _, l := range w.legit {
		if !w.st.Present(l) {
			t.Errorf("legitimate item removed: %v", l)
		}
	}
	sum := eradicate.Summarize(res.Report)
	if sum.Removed != len(w.footholds) || sum.AlreadyGone != 0 || len(sum.Open) != 0 || sum.Parent != parent.Dir || sum.ParentHead != parent.Head {
		t.Errorf("summary %+v (parent %s head %s)", sum, parent.Dir, parent.Head)
	}
	if res.Dir == parent.Dir || filepath.Dir(res.Dir) != filepath.Dir(parent.Dir) || res.Head == "" {
		t.Errorf("eradication run at %s (parent %s), head %q", res.Dir, parent.Dir, res.Head)
	}
	if after := snapshot(t, parent.Dir); after != before {
		t.Error("the parent run directory changed")
	}
	again := w.eradicate(t, parent.Dir, nil, false, nil)
	s2 := eradicate.Summarize(again.Report)
	if again.ExitCode != 0 || s2.AlreadyGone != len(w.footholds) || s2.Removed != 0 || !strings.Contains(s2.Line(), "nothing left to do") {
		t.Errorf("second eradication: exit %d, %+v, %q", again.ExitCode, s2, s2.Line())
	}
}

// A removal the API refuses (the key lacks the scope) leaves that item open
// and the rest go on; the run lists what is left, writes it as its own plan,
// and exits 5. --only narrows the plan.
func TestEradicateRefusedItemStaysOpen(t *testing.T) {
	scopes := slices.DeleteFunc(allScopes(), func(s string) bool { return s == "teammates.delete" })
	w := newWorld(t, scopes)
	base := w.saveBaseline(t)
	w.attack()
	parent := w.assess(t, t.TempDir(), base)
	p := planOf(t, parent.Dir)
	var ids []string
	var teamIDs []string
	for _, it := range p.Items {
		if it.Kind == "teammate" || it.Kind == "pending_invite" || it.Kind == "api_key" {
			ids = append(ids, it.ID)
		}
		if it.Kind == "teammate" || it.Kind == "pending_invite" {
			teamIDs = append(teamIDs, it.ID)
		}
	}
	res := w.eradicate(t, parent.Dir, ids, false, nil)
	if res.ExitCode != report.ExitFootholdsOpen {
		t.Fatalf("exit %d, want 5", res.ExitCode)
	}
	sum := eradicate.Summarize(res.Report)
	slices.Sort(sum.Open)
	slices.Sort(teamIDs)
	if sum.Removed != 1 || !slices.Equal(sum.Open, teamIDs) {
		t.Errorf("summary %+v, want 1 removed and open %v", sum, teamIDs)
	}
	if w.st.Present(sendgridsim.Item{Kind: "api_key", Subject: w.backdoor.ID}) {
		t.Error("the backdoor key was not removed")
	}
	// Outside --only, nothing was touched.
	if !w.st.Present(sendgridsim.Item{Kind: "event_webhook", Subject: "collect.evil.test"}) {
		t.Error("an item outside --only was removed")
	}
	left := planOf(t, res.Dir)
	if len(left.Items) != 2 || !strings.Contains(strings.Join(left.Items[0].Why, " "), "403") {
		t.Errorf("what is left: %+v", left.Items)
	}
	if _, err := eradicate.Prepare(parent.Dir, []string{"fh-99"}); err == nil {
		t.Error("--only with an id the plan lacks was accepted")
	}
}

// A dry run sends no removal: the transport refuses it and records it as a
// planned change; the account is unchanged.
func TestEradicateDryRunRefusedAtTransport(t *testing.T) {
	w := newWorld(t, allScopes())
	base := w.saveBaseline(t)
	w.attack()
	parent := w.assess(t, t.TempDir(), base)
	n := w.srv.Count("DELETE", "") + w.srv.Count("PATCH", "")
	res := w.eradicate(t, parent.Dir, nil, true, nil)
	if got := w.srv.Count("DELETE", "") + w.srv.Count("PATCH", ""); got != n {
		t.Fatalf("a dry run sent %d write(s)", got-n)
	}
	for _, f := range w.footholds {
		if !w.st.Present(f) {
			t.Errorf("dry run removed %v", f)
		}
	}
	if len(res.Report.Planned) != len(w.footholds) || eradicate.Summarize(res.Report).Planned != len(w.footholds) {
		t.Errorf("planned changes %d, want %d", len(res.Report.Planned), len(w.footholds))
	}
	var out bytes.Buffer
	p, _ := eradicate.Prepare(parent.Dir, nil)
	p.WriteTable(&out, 80, true)
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("table line of %d columns: %q", n, line)
		}
	}
	if !strings.Contains(out.String(), "Dry run: would remove 10 item(s)") || !strings.Contains(out.String(), "DELETE /v3/teammates/mallory") {
		t.Errorf("table:\n%s", out.String())
	}
}

// A parent that was changed after it was sealed, or never sealed, is
// refused before anything is shown.
func TestEradicateRefusesTamperedOrUnsealedParent(t *testing.T) {
	w := newWorld(t, allScopes())
	base := w.saveBaseline(t)
	w.attack()
	parent := w.assess(t, t.TempDir(), base)
	plan := filepath.Join(parent.Dir, report.PlanFile)
	b, _ := os.ReadFile(plan)
	if err := os.WriteFile(plan, bytes.Replace(b, []byte("mallory"), []byte("alice"), -1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := eradicate.Prepare(parent.Dir, nil); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("tampered plan: %v", err)
	}
	os.WriteFile(plan, b, 0o600)
	// A drill's plan names the simulator's resources: never applied to an
	// account by keyir eradicate.
	d, err := drill.Run(context.Background(), drill.Options{Scenario: "persistence", ReportsRoot: t.TempDir(), Operator: "test", Redactor: redact.New()})
	if err != nil {
		t.Fatal(err)
	}
	var ue *playbook.UsageError
	if _, err := eradicate.Prepare(d.Run.Dir, nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), "drill") {
		t.Errorf("a drill's plan: %v, want a usage error naming the drill", err)
	}
	os.Remove(filepath.Join(parent.Dir, "MANIFEST"))
	if _, err := eradicate.Prepare(parent.Dir, nil); err == nil {
		t.Fatal("a parent without MANIFEST was accepted")
	}
}

// Removal is confirmed by a typed yes on a terminal; without one and
// without --yes it is refused as a usage error.
func TestConfirm(t *testing.T) {
	var prompt bytes.Buffer
	var ue *playbook.UsageError
	if err := eradicate.Confirm(strings.NewReader("yes\n"), &prompt, false, false, 3); !errors.As(err, &ue) {
		t.Errorf("no terminal, no --yes: %v, want a usage error", err)
	}
	if err := eradicate.Confirm(strings.NewReader("y\n"), &prompt, true, false, 3); !errors.Is(err, eradicate.ErrDeclined) {
		t.Errorf("typed y: %v, want declined", err)
	}
	if err := eradicate.Confirm(strings.NewReader(""), &prompt, true, false, 3); !errors.Is(err, eradicate.ErrDeclined) {
		t.Errorf("end of input: %v, want declined", err)
	}
	if err := eradicate.Confirm(strings.NewReader("yes\n"), &prompt, true, false, 3); err != nil {
		t.Errorf("typed yes: %v", err)
	}
	if err := eradicate.Confirm(strings.NewReader(""), &prompt, false, true, 3); err != nil {
		t.Errorf("--yes: %v", err)
	}
	if !strings.Contains(prompt.String(), "Type yes to remove 3 item(s)") {
		t.Errorf("prompt %q", prompt.String())
	}
}

// An eradication cut short in the middle of its removals is resumed like any
// run: the resume finishes the rest (what the first attempt removed is found
// already gone) and nothing is left.
func TestEradicateInterruptedAndResumed(t *testing.T) {
	w := newWorld(t, allScopes())
	base := w.saveBaseline(t)
	w.attack()
	parent := w.assess(t, t.TempDir(), base)
	p, err := eradicate.Prepare(parent.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Hold the third removal until the run is cancelled.
	w.srv.InjectFault(sendgridsim.Fault{Method: "DELETE", After: 2, Times: 1, Kind: sendgridsim.FaultLatency, Latency: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for w.srv.Count("DELETE", "") < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	res, err := eradicate.Run(ctx, p, false, playbook.Options{Operator: "test", Redactor: w.red, Getenv: w.getenv})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Run.Status != report.RunInterrupted {
		t.Fatalf("status %s, want interrupted", res.Report.Run.Status)
	}
	done := 0
	for _, f := range w.footholds {
		if !w.st.Present(f) {
			done++
		}
	}
	if done == 0 || done == len(w.footholds) {
		t.Fatalf("%d of %d removed before the interruption: not cut in the middle", done, len(w.footholds))
	}
	res2, err := playbook.Resume(context.Background(), res.Dir, playbook.Options{Operator: "test", Redactor: w.red, Getenv: w.getenv})
	if err != nil {
		t.Fatal(err)
	}
	if res2.ExitCode != 0 {
		t.Fatalf("resumed eradication exit %d: %v", res2.ExitCode, res2.Report.Findings)
	}
	for _, f := range w.footholds {
		if w.st.Present(f) {
			t.Errorf("after resume, still present: %v", f)
		}
	}
	for _, l := range w.legit {
		if !w.st.Present(l) {
			t.Errorf("legitimate item removed: %v", l)
		}
	}
}

// snapshot is every file of dir with its content, for an unchanged check.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString(p + "\n" + string(data) + "\n")
		}
		return nil
	})
	return b.String()
}
