package sendgrid

import "encoding/json"
import "errors"
import "fmt"
import "net/http"
import "net/url"
import "os"
import "path/filepath"
import "regexp"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// addSubusers adds n subusers named sub-000 … and returns their names.
func addSubusers(f *fixture, n int, region func(i int) string) []string {
	var names []string
	for i := range n {
		name := fmt.Sprintf("sub-%03d", i)
		r := "global"
		if region != nil {
			r = region(i)
		}
		f.st.AddSubuser(sendgridsim.Subuser{Username: name, Email: name + "@example.com", Region: r})
		names = append(names, name)
	}
	return names
}

// subuserKey is a key created inside a subuser.
func subuserKey(f *fixture, sub, name string, scopes []string) sendgridsim.Key {
	k := sendgridsim.NewKey(f.rng, name, scopes)
	k.Subuser = sub
	f.st.AddKey(k)
	return k
}

// withJournal makes env.Report return the outputs of earlier steps, as the
// runner's replay of the journal does.
func withJournal(env *actions.Env, steps ...report.Step) {
	env.Report = func() (*report.Report, error) { return &report.Report{Steps: steps}, nil }
}

func step(id, action string, out actions.Outputs) report.Step {
	b, _ := json.Marshal(out)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return report.Step{ID: id, Action: action, Status: report.StepOK, Outputs: m}
}

func deletesOf(f *fixture) []sendgridsim.Request {
	var out []sendgridsim.Request
	for _, r := range f.srv.Requests() {
		if r.Method == http.MethodDelete {
			out = append(out, r)
		}
	}
	return out
}

// The leaked key lives in a subuser and the run names none: the old code
// got 404 as the parent and said "already revoked" while the key worked.
// Now the search finds the owner, the revoke acts there, and the proof is
// the key's own 401.
func TestSubuserKeyIsFoundRevokedAndProven(t *testing.T) {
	f := newFixture(t, nil)
	addSubusers(f, 5, nil)
	leaked := subuserKey(f, "sub-003", "sub mailer", []string{"mail.send"})
	env, rec := f.env(report.ModeLive)
	loc, err := run(t, env, "sendgrid.locate_key", map[string]any{"key": leaked.Token(), "key_id": leaked.ID})
	if err != nil || loc["owner"] != "sub-003" || loc["owner_known"] != true || loc["status"] != StatusLive || loc["name"] != "sub mailer" {
		t.Fatalf("locate: %v %v", loc, err)
	}
	if len(rec.kinds()["key.blast_radius"]) != 1 || !strings.Contains(rec.kinds()["key.blast_radius"][0].Detail, "subuser sub-003") {
		t.Fatalf("blast radius: %+v", rec.kinds())
	}
	withJournal(env, step("locate", "sendgrid.locate_key", loc))
	out, err := run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": leaked.ID})
	if err != nil || len(out["revoked"].([]string)) != 1 || out["owner"] != "sub-003" {
		t.Fatalf("revoke: %v %v", out, err)
	}
	dels := deletesOf(f)
	if len(dels) != 1 || dels[0].Header.Get("On-Behalf-Of") != "sub-003" || dels[0].Status != 204 {
		t.Fatalf("the DELETE went to the wrong account: %+v", dels)
	}
	if f.srv.Authenticates(leaked.ID) {
		t.Fatal("the subuser's key still authenticates")
	}
	withJournal(env, step("locate", "sendgrid.locate_key", loc), step("revoke", "sendgrid.revoke_key", out))
	cout, err := run(t, env, "sendgrid.confirm_revoked", map[string]any{"key": leaked.Token(), "interval": "20ms", "timeout": "2s"})
	if err != nil || cout["confirmed"] != true || rec.containment[0].Status != report.ContainmentConfirmed {
		t.Fatalf("confirm: %v %v %+v", cout, err, rec.containment)
	}
	assertNoSecret(t, rec, out, leaked.Token(), f.responder.Token())
}

// Without the journal (the locate step failed), the revoke still finds the
// owner: a 404 as the parent is never "already revoked" by itself.
func TestRevokeSearchesOnParent404(t *testing.T) {
	f := newFixture(t, nil)
	addSubusers(f, 3, nil)
	leaked := subuserKey(f, "sub-001", "sub mailer", []string{"mail.send"})
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": leaked.ID})
	if err != nil || len(out["revoked"].([]string)) != 1 || out["owner"] != "sub-001" || len(rec.kinds()["key.already_revoked"]) != 0 {
		t.Fatalf("revoke: %v %v %+v", out, err, rec.kinds())
	}
	if f.srv.Authenticates(leaked.ID) {
		t.Fatal("the key still authenticates")
	}
	// The --subuser shortcut pointing at the wrong subuser is no
	// requirement: the search still finds the key.
	k2 := subuserKey(f, "sub-002", "other", []string{"mail.send"})
	out, err = run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": k2.ID, "subuser": "sub-000"})
	if err != nil || out["owner"] != "sub-002" || f.srv.Authenticates(k2.ID) {
		t.Fatalf("wrong shortcut: %v %v", out, err)
	}
}

// A key id no account holds: a clear finding naming how many subusers were
// searched; the id-only confirmation says "not_found", never "confirmed".
func TestKeyIDNoAccountHolds(t *testing.T) {
	f := newFixture(t, nil)
	addSubusers(f, 4, nil)
	ghost := sendgridsim.NewKey(f.rng, "ghost", nil) // never added
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": ghost.ID})
	if err != nil || !slices.Contains(out["not_found"].([]string), ghost.ID) || out["owner_known"] != false {
		t.Fatalf("revoke: %v %v", out, err)
	}
	f1 := rec.kinds()["key.already_revoked"]
	if len(f1) != 1 || !strings.Contains(f1[0].Detail, "not found in the parent or any of its 4 subusers") {
		t.Fatalf("finding: %+v", f1)
	}
	withJournal(env, step("revoke", "sendgrid.revoke_key", out))
	cout, err := run(t, env, "sendgrid.confirm_revoked", map[string]any{"key_id": ghost.ID, "interval": "20ms", "timeout": "1s"})
	c := rec.containment
	if err == nil || cout["confirmed"] != false || len(c) != 1 || c[0].Status != report.ContainmentNotFound ||
		!strings.Contains(c[0].Detail, "not found in the parent or any of its 4 subusers") {
		t.Fatalf("confirm: %v %v %+v", cout, err, c)
	}
}

// A subuser listing that fails half-way: the search goes on with what it
// listed, and says which accounts were not searched; a key it could not
// reach is never "already revoked".
func TestSubuserListingFailsHalfway(t *testing.T) {
	fastRetries(t)
	f := newFixture(t, nil)
	names := addSubusers(f, subuserPage+20, nil)
	hidden := subuserKey(f, names[len(names)-1], "on page two", []string{"mail.send"})
	f.srv.InjectFault(sendgridsim.Fault{Route: "GET /v3/subusers", After: 1, Kind: sendgridsim.FaultStatus, Status: 500})
	env, rec := f.env(report.ModeLive)
	loc, err := run(t, env, "sendgrid.locate_key", map[string]any{"key_id": hidden.ID})
	if err != nil || loc["found"] != false || loc["owner_known"] != false {
		t.Fatalf("locate: %v %v", loc, err)
	}
	inc := rec.kinds()["key.search_incomplete"]
	if len(inc) != 1 || !strings.Contains(inc[0].Detail, fmt.Sprintf("stopped after %d subusers", subuserPage)) || len(rec.kinds()["key.not_found"]) != 0 {
		t.Fatalf("finding: %+v", rec.kinds())
	}
	if ns := loc["not_searched"].([]string); len(ns) != 1 || !strings.Contains(ns[0], "subusers after the first 100") {
		t.Fatalf("not_searched: %v", ns)
	}
	out, err := run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": hidden.ID})
	if err == nil || !strings.Contains(err.Error(), "not found in the") || len(out["failed"].([]string)) != 1 || len(rec.kinds()["key.already_revoked"]) != 0 {
		t.Fatalf("revoke must fail, not conclude: %v %v", out, err)
	}
	// With the listing healthy again, the key is found on page two.
	f.srv.ClearFaults()
	if out, err = run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": hidden.ID}); err != nil || out["owner"] != names[len(names)-1] {
		t.Fatalf("healthy: %v %v", out, err)
	}
	for _, r := range f.srv.Requests() {
		if r.Route == "GET /v3/subusers" && (!strings.Contains(r.RawQuery, "include_region=true") || r.Header.Get("On-Behalf-Of") != "") {
			t.Fatalf("subuser listing without include_region, or on behalf of someone: %s %v", r.RawQuery, r.Header)
		}
	}
}

// The subuser search is bounded and paced: with a window of 5 reads, the
// 12 per-subuser reads wait for the window instead of drawing 429s.
func TestSearchStaysWithinTheRateLimit(t *testing.T) {
	f := newFixture(t, func(c *sendgridsim.Config) {
		c.Limits["GET /v3/api_keys/{api_key_id}"] = sendgridsim.Limit{Requests: 5, Window: time.Second}
	})
	addSubusers(f, 12, nil)
	ghost := sendgridsim.NewKey(f.rng, "ghost", nil)
	env, rec := f.env(report.ModeLive)
	if _, err := run(t, env, "sendgrid.locate_key", map[string]any{"key_id": ghost.ID}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.kinds()["key.not_found"]); n != 1 {
		t.Fatalf("not found findings: %d %+v", n, rec.kinds())
	}
	tooMany := 0
	for _, r := range f.srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			tooMany++
		}
	}
	// Concurrent workers may each spend the last slot of a window once.
	if tooMany > searchConcurrency {
		t.Fatalf("%d requests drew 429: the search does not pace itself", tooMany)
	}
}

// Verified senders page by lastSeenID (the spec has no offset), never on
// behalf of a subuser (the spec declares no such header there).
func TestVerifiedSendersPageByLastSeenID(t *testing.T) {
	f := newFixture(t, nil)
	for i := range 2*sendersPage + 17 {
		f.st.AddVerifiedSender(sendgridsim.VerifiedSender{FromEmail: fmt.Sprintf("s%03d@example.com", i), Nickname: "n", Verified: true})
	}
	env, _ := f.env(report.ModeLive)
	c, err := newClient(env, RegionGlobal, "sub-x")
	if err != nil {
		t.Fatal(err)
	}
	items, err := fetchSenders(t.Context(), c)
	if err != nil || len(items) != 2*sendersPage+17 {
		t.Fatalf("%d senders, %v", len(items), err)
	}
	calls := 0
	for _, r := range f.srv.Requests() {
		if r.Route != "GET /v3/verified_senders" {
			continue
		}
		calls++
		if strings.Contains(r.RawQuery, "offset") || r.Header.Get("On-Behalf-Of") != "" {
			t.Fatalf("undeclared parameter: %q %v", r.RawQuery, r.Header)
		}
		if calls > 1 && !strings.Contains(r.RawQuery, "lastSeenID=") {
			t.Fatalf("page %d without lastSeenID: %q", calls, r.RawQuery)
		}
	}
	if calls != 4 {
		t.Fatalf("%d calls, want 4 (three pages and the empty one)", calls)
	}
}

// rotate_key never creates a key without explicit scopes: an omitted or
// null list would make SendGrid create a full-access key.
func TestRotateNeverSendsEmptyScopes(t *testing.T) {
	f := newFixture(t, nil)
	only2fa := sendgridsim.NewKey(f.rng, "odd", []string{"2fa_required"})
	f.st.AddKey(only2fa)
	env, _ := f.env(report.ModeLive)
	dir := t.TempDir()
	_, err := run(t, env, "sendgrid.rotate_key", map[string]any{"key_id": only2fa.ID, "secret_file": filepath.Join(dir, "a")})
	if err == nil || !strings.Contains(err.Error(), "full-access") {
		t.Fatalf("rotate with no real scopes: %v", err)
	}
	if n := f.srv.Count(http.MethodPost, "POST /v3/api_keys"); n != 0 {
		t.Fatalf("%d key creations", n)
	}
	out, err := run(t, env, "sendgrid.rotate_key", map[string]any{"key_id": f.leaked.ID, "secret_file": filepath.Join(dir, "b")})
	if err != nil || out["new_key_id"] == "" {
		t.Fatalf("rotate: %v %v", out, err)
	}
	for _, r := range f.srv.Requests() {
		if r.Method != http.MethodPost {
			continue
		}
		var body struct {
			Scopes *[]string `json:"scopes"`
		}
		if json.Unmarshal(r.Body, &body) != nil || body.Scopes == nil || len(*body.Scopes) == 0 || slices.Contains(*body.Scopes, "2fa_required") {
			t.Fatalf("creation body without explicit scopes: %s", r.Body)
		}
	}
}

// One subuser failing does not throw the inventory away: the parent's and
// the other subusers' keys are listed, the failure is a finding, and a
// disabled subuser is marked.
func TestInventoryDegradesPerAccount(t *testing.T) {
	f := newFixture(t, nil)
	addSubusers(f, 3, nil)
	f.st.AddSubuser(sendgridsim.Subuser{Username: "sub-off", Email: "off@example.com", Disabled: true})
	k0 := subuserKey(f, "sub-000", "k0", []string{"mail.send"})
	k2 := subuserKey(f, "sub-002", "k2", []string{"mail.send"})
	koff := subuserKey(f, "sub-off", "koff", []string{"mail.send"})
	// The listings go parent, sub-000, sub-001, …: the second one fails.
	f.srv.InjectFault(sendgridsim.Fault{Route: "GET /v3/api_keys", After: 1, Times: 1, Kind: sendgridsim.FaultStatus, Status: 403})
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "sendgrid.inventory", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	nl := out["not_listed"].([]string)
	if len(nl) != 1 || !strings.Contains(nl[0], "sub-000") {
		t.Fatalf("not listed: %v", nl)
	}
	if fs := rec.kinds()["inventory.accounts_not_listed"]; len(fs) != 1 || !strings.Contains(fs[0].Detail, "sub-000") {
		t.Fatalf("finding: %+v", rec.kinds())
	}
	lines := rec.kinds()["inventory.keys"]
	if len(lines) != 1 || !strings.Contains(lines[0].Detail, f.leaked.ID) || !strings.Contains(lines[0].Detail, k2.ID) ||
		strings.Contains(lines[0].Detail, k0.ID) || !strings.Contains(lines[0].Detail, koff.ID+` "koff" (restricted, 1 scopes, subuser sub-off, subuser disabled)`) {
		t.Fatalf("keys: %+v", lines)
	}
	if d := out["disabled_subusers"].([]string); !slices.Equal(d, []string{"sub-off"}) {
		t.Fatalf("disabled: %v", d)
	}
}

// Email Activity cannot be asked about a subuser's or an EU account's key:
// "not assessable" with what to check by hand, never "no mail sent", and no
// query that would search the parent instead.
func TestActivityNotAssessableForSubuserAndEU(t *testing.T) {
	f := newFixture(t, nil)
	for _, params := range []map[string]any{
		{"key_id": f.leaked.ID, "subuser": "sub-a"},
		{"key_id": f.leaked.ID, "region": "eu", "subuser": "sub-eu"},
	} {
		env, rec := f.env(report.ModeLive)
		out, err := run(t, env, "sendgrid.activity", params)
		na := rec.kinds()["activity.not_assessable"]
		if err != nil || out["assessable"] != false || len(na) != 1 || len(rec.kinds()["activity.none"]) != 0 ||
			!strings.Contains(na[0].Detail, "switch to subuser") {
			t.Fatalf("%v: %v %v %+v", params, out, err, rec.kinds())
		}
	}
	if n := f.srv.Count(http.MethodGet, "GET /v3/messages"); n != 0 {
		t.Fatalf("%d Email Activity queries for keys it cannot search", n)
	}
	// A 404 is "not assessable" too, not a failed step.
	f.srv.InjectFault(sendgridsim.Fault{Route: "GET /v3/messages", Kind: sendgridsim.FaultStatus, Status: 404})
	env, rec := f.env(report.ModeLive)
	if _, err := run(t, env, "sendgrid.activity", map[string]any{"key_id": f.leaked.ID}); err != nil || len(rec.kinds()["activity.not_assessable"]) != 1 {
		t.Fatalf("404: %v %+v", err, rec.kinds())
	}
}

// A window reaching past the 30-day retention is clipped, and the report
// says so; the findings say the window is matched on last_event_time.
func TestActivityClipsToRetention(t *testing.T) {
	f := newFixture(t, nil)
	end := time.Now().UTC().Truncate(time.Second)
	addMessages(f, f.leaked.ID, 5, end, time.Hour)
	env, rec := f.env(report.ModeLive)
	start := end.Add(-45 * 24 * time.Hour)
	out, err := run(t, env, "sendgrid.activity", map[string]any{"key_id": f.leaked.ID, "window_start": start.Format(time.RFC3339), "window_end": end.Format(time.RFC3339)})
	if err != nil || out["messages"] != 5 {
		t.Fatalf("%v %v", out, err)
	}
	if c := rec.kinds()["activity.window_clipped"]; len(c) != 1 || !strings.Contains(c[0].Detail, "30 days") {
		t.Fatalf("clip: %+v", rec.kinds())
	}
	if m := rec.kinds()["activity.messages_sent"]; len(m) != 1 || !strings.Contains(m[0].Detail, "last_event_time") {
		t.Fatalf("messages: %+v", m)
	}
	oldest := time.Now().Add(-30 * 24 * time.Hour).Add(-time.Minute)
	re := regexp.MustCompile(`BETWEEN TIMESTAMP "([^"]+)"`)
	for _, r := range f.srv.Requests() {
		if r.Route != "GET /v3/messages" {
			continue
		}
		q, _ := queryParam(r.RawQuery, "query")
		m := re.FindStringSubmatch(q)
		if m == nil {
			t.Fatalf("query %q", q)
		}
		if ts, _ := time.Parse(time.RFC3339, m[1]); ts.Before(oldest) {
			t.Fatalf("query reaches past the retention: %s", m[1])
		}
	}
	// A window entirely past the retention is not assessable.
	env, rec = f.env(report.ModeLive)
	if _, err := run(t, env, "sendgrid.activity", map[string]any{"key_id": f.leaked.ID, "window_start": end.Add(-50 * 24 * time.Hour).Format(time.RFC3339), "window_end": end.Add(-40 * 24 * time.Hour).Format(time.RFC3339)}); err != nil ||
		len(rec.kinds()["activity.not_assessable"]) != 1 || len(rec.kinds()["activity.none"]) != 0 {
		t.Fatalf("old window: %v %+v", err, rec.kinds())
	}
}

// specScopes is every scope named in the official spec files' scope lists.
func specScopes(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../../testdata/sendgrid-oai/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("spec files: %v", err)
	}
	scopeRE := regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
	out := map[string]bool{}
	var walk func(v any, underScopes bool)
	walk = func(v any, underScopes bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				walk(vv, k == "scopes")
			}
		case []any:
			for _, vv := range x {
				if s, ok := vv.(string); ok && underScopes && scopeRE.MatchString(s) {
					out[s] = true
				}
				walk(vv, underScopes)
			}
		}
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		walk(v, false)
	}
	if len(out) < 200 {
		t.Fatalf("only %d scopes found in the spec's scope lists", len(out))
	}
	return out
}

// doctor requires only scopes SendGrid can grant: every one is in the
// spec's scope lists. (verified_senders.read, required before, is in none.)
func TestDoctorRequiresOnlyOfficialScopes(t *testing.T) {
	official := specScopes(t)
	for action, scopes := range requiredScopes {
		for _, s := range scopes {
			if !official[s] {
				t.Errorf("%s requires %q, which no scope list of the spec has", action, s)
			}
		}
	}
	for _, s := range []string{"2fa_required", "2fa_exempt", "sender_verification_eligible", "sender_verification_legacy"} {
		if !IsPseudoScope(s) {
			t.Errorf("%s is a pseudo-scope", s)
		}
	}
	// Pseudo-scopes are never "excess": the user cannot remove them.
	f := newFixture(t, nil)
	resp := sendgridsim.NewKey(f.rng, "responder", append(RequiredScopes([]string{"sendgrid.revoke_key"}), "2fa_exempt", "sender_verification_eligible", "2fa_required", "mail.send"))
	f.st.AddKey(resp)
	f.responder = resp
	env, _ := f.env(report.ModeLive)
	missing, excess, err := Doctor(t.Context(), env, RequiredScopes([]string{"sendgrid.revoke_key"}))
	if err != nil || len(missing) != 0 || !slices.Equal(excess, []string{"mail.send"}) {
		t.Fatalf("missing %v excess %v err %v", missing, excess, err)
	}
}

func queryParam(raw, name string) (string, bool) {
	v, err := url.ParseQuery(raw)
	if err != nil || !v.Has(name) {
		return "", false
	}
	return v.Get(name), true
}

// An EU regional subuser's key lives on the EU host: its 401 from the
// global host proves nothing. The search learns the region from the
// listing, acts on the EU host, and the proof is the EU host's 401.
func TestEUSubuserKey(t *testing.T) {
	f := newFixture(t, nil)
	addSubusers(f, 3, func(i int) string { return map[bool]string{true: "eu", false: "global"}[i == 2] })
	leaked := subuserKey(f, "sub-002", "eu mailer", []string{"mail.send"})
	env, rec := f.env(report.ModeLive)
	// Liveness with the owner unknown asks both hosts: live if either accepts.
	lv, err := run(t, env, "sendgrid.key_liveness", map[string]any{"key": leaked.Token()})
	if err != nil || lv["status"] != StatusLive {
		t.Fatalf("liveness: %v %v", lv, err)
	}
	// The host that accepted it is the EU host: a confirm counts this
	// witness only there (actions.SeenAccepted).
	if lv["api_url"] != f.euURL {
		t.Fatalf("liveness saw the key accepted at %v, want the EU host %s", lv["api_url"], f.euURL)
	}
	// Asked only on the global host, the key is refused there: that is not
	// "dead" for the account, only for that host.
	if lv, _ = run(t, env, "sendgrid.key_liveness", map[string]any{"key": leaked.Token(), "region": "global"}); lv["status"] != StatusDead {
		t.Fatalf("the simulator's global host accepts an EU key: %v", lv)
	}
	loc, err := run(t, env, "sendgrid.locate_key", map[string]any{"key": leaked.Token(), "key_id": leaked.ID})
	if err != nil || loc["owner"] != "sub-002" || loc["owner_region"] != RegionEU || loc["status"] != StatusLive {
		t.Fatalf("locate: %v %v", loc, err)
	}
	if loc["api_url"] != f.euURL {
		t.Fatalf("locate saw the key accepted at %v, want the EU host %s", loc["api_url"], f.euURL)
	}
	withJournal(env, step("locate", "sendgrid.locate_key", loc))
	out, err := run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": leaked.ID})
	if err != nil || len(out["revoked"].([]string)) != 1 || out["owner_region"] != RegionEU {
		t.Fatalf("revoke: %v %v", out, err)
	}
	for _, r := range deletesOf(f) {
		if r.Host != sendgridsim.RegionEU || r.Header.Get("On-Behalf-Of") != "sub-002" {
			t.Fatalf("DELETE on the %s host on behalf of %q", r.Host, r.Header.Get("On-Behalf-Of"))
		}
	}
	if f.srv.Authenticates(leaked.ID) {
		t.Fatal("the EU key still authenticates")
	}
	withJournal(env, step("locate", "sendgrid.locate_key", loc), step("revoke", "sendgrid.revoke_key", out))
	cout, err := run(t, env, "sendgrid.confirm_revoked", map[string]any{"key": leaked.Token(), "interval": "20ms", "timeout": "2s"})
	if err != nil || cout["confirmed"] != true || !strings.Contains(rec.containment[0].Detail, "from the eu host") {
		t.Fatalf("confirm: %v %v %+v", cout, err, rec.containment)
	}
	// Every request after the search went to the account's own host.
	for _, r := range f.srv.Requests() {
		if r.Header.Get("On-Behalf-Of") == "sub-002" && r.Host != sendgridsim.RegionEU {
			t.Fatalf("%s %s for the EU subuser on the %s host", r.Method, r.Path, r.Host)
		}
	}
}

// A simulator or proxy run without SENDGRID_API_URL_EU: the EU host is
// unknown, said so, and never replaced by the global URL (whose 401 would
// read as "dead") nor by the real EU host.
func TestEUHostUnknownBehindASimulator(t *testing.T) {
	env := &actions.Env{Getenv: func(k string) string {
		return map[string]string{EnvAPIURL: "http://127.0.0.1:9"}[k]
	}}
	u, err := baseURL(env, RegionEU)
	var uh *UnknownHostError
	if err == nil || !errors.As(err, &uh) || u != "" || !strings.Contains(err.Error(), EnvAPIURLEU) {
		t.Fatalf("eu host behind a simulator: %q %v", u, err)
	}
	env.Getenv = func(k string) string {
		return map[string]string{EnvAPIURL: "http://127.0.0.1:9", EnvAPIURLEU: "http://127.0.0.1:10"}[k]
	}
	if u, err := baseURL(env, RegionEU); err != nil || u != "http://127.0.0.1:10" {
		t.Fatalf("%q %v", u, err)
	}
	env.Getenv = func(string) string { return "" }
	if u, _ := baseURL(env, RegionEU); u != EUURL {
		t.Fatal(u)
	}
	// With the owner unknown, a key the global host refuses is not "dead"
	// while the EU host could not be asked.
	h := hostLiveness{By: map[string]liveness{RegionGlobal: {Status: StatusDead, HTTP: 401}, RegionEU: {Status: StatusUnknown}},
		Err: map[string]error{RegionEU: &UnknownHostError{Region: RegionEU}}}
	if v := h.verdict(""); v.Status == StatusDead {
		t.Fatalf("dead on one host of two: %+v", v)
	}
}

// A key no account holds, behind a simulator without SENDGRID_API_URL_EU:
// its global 401 is no proof (it could live on the EU host), and the
// confirmation says why at once instead of polling out its timeout.
func TestUnknownEUHostFailsFastAndHonestly(t *testing.T) {
	f := newFixture(t, nil)
	gone := sendgridsim.NewKey(f.rng, "gone", nil) // never added: 401 everywhere
	env, rec := f.env(report.ModeLive)
	getenv := env.Getenv
	env.Getenv = func(k string) string {
		if k == EnvAPIURLEU {
			return ""
		}
		return getenv(k)
	}
	out, err := run(t, env, "sendgrid.revoke_key", map[string]any{"key_id": gone.ID})
	if err != nil || !slices.Contains(out["not_found"].([]string), gone.ID) {
		t.Fatalf("revoke: %v %v", out, err)
	}
	withJournal(env, step("revoke", "sendgrid.revoke_key", out))
	start := time.Now()
	cout, err := run(t, env, "sendgrid.confirm_revoked", map[string]any{"key": gone.Token(), "interval": "50ms", "timeout": "20s"})
	if err == nil || cout["confirmed"] != false || time.Since(start) > 5*time.Second {
		t.Fatalf("confirm: %v %v after %s", cout, err, time.Since(start))
	}
	if c := rec.containment; len(c) != 1 || c[0].Status == report.ContainmentConfirmed || !strings.Contains(c[0].Detail, "eu host") {
		t.Fatalf("containment: %+v", c)
	}
}
