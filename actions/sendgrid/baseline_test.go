package sendgrid

import "context"
import "encoding/json"
import "errors"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// A baseline records when and of which account it was taken.
func TestBaselineRecordsTheAccount(t *testing.T) {
	f := newFixture(t, nil)
	f.st.SetOwner(sendgridsim.Owner{Username: "acme", UserID: 4242})
	env, _ := f.env(report.ModeLive)
	path := filepath.Join(t.TempDir(), "b.json")
	before := time.Now().UTC().Add(-time.Second)
	if err := SaveInventory(context.Background(), env, path); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version != BaselineVersion || b.TakenAt.Before(before) || b.Account == nil ||
		b.Account.UserID != 4242 || b.Account.Username != "acme" || b.Account.Region != RegionGlobal || b.Account.Unread != "" {
		t.Fatalf("baseline identity: %+v %+v", b, b.Account)
	}
}

// A run refuses a baseline of another account: the steps that use it fail
// and nothing is diffed against it.
func TestBaselineOfAnotherAccountIsRefused(t *testing.T) {
	f := newFixture(t, nil)
	f.st.SetOwner(sendgridsim.Owner{Username: "acme", UserID: 4242})
	env, _ := f.env(report.ModeLive)
	path := filepath.Join(t.TempDir(), "b.json")
	if err := SaveInventory(context.Background(), env, path); err != nil {
		t.Fatal(err)
	}
	f.st.SetOwner(sendgridsim.Owner{Username: "other-co", UserID: 777})
	for _, action := range []string{"sendgrid.inventory", "sendgrid.persistence"} {
		env, rec := f.env(report.ModeLive)
		_, err := run(t, env, action, map[string]any{"baseline": path})
		if !errors.Is(err, ErrBaselineAccount) || !strings.Contains(err.Error(), "acme") || !strings.Contains(err.Error(), "other-co") {
			t.Errorf("%s: %v", action, err)
		}
		if n := len(rec.kinds()["persistence.new_api_key"]) + len(rec.kinds()["persistence.teammate"]); n != 0 {
			t.Errorf("%s diffed against another account's baseline", action)
		}
	}
}

// A baseline taken inside the exposure window may hold the attacker's
// changes: a finding says so, and an item created inside the window is
// reported although the baseline lists it.
func TestBaselineInsideWindowVouchesForNothing(t *testing.T) {
	f := newFixture(t, nil)
	now := time.Now().UTC()
	f.st.AddEventWebhook(sendgridsim.EventWebhook{URL: "https://collector.attacker.example/hook", Enabled: true, Created: now.Add(-2 * time.Hour), Updated: now.Add(-2 * time.Hour)})
	f.st.AddEventWebhook(sendgridsim.EventWebhook{URL: "https://hooks.victim.example/sg", Enabled: true, Created: now.Add(-60 * 24 * time.Hour), Updated: now.Add(-60 * 24 * time.Hour)})
	env, _ := f.env(report.ModeLive)
	path := filepath.Join(t.TempDir(), "b.json")
	if err := SaveInventory(context.Background(), env, path); err != nil {
		t.Fatal(err)
	}
	// The window opened before the attacker's webhook and the baseline.
	env, rec := f.env(report.ModeLive)
	if _, err := run(t, env, "sendgrid.persistence", map[string]any{"baseline": path, "window_start": now.Add(-24 * time.Hour).Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	k := rec.kinds()
	if len(k["baseline.inside_window"]) != 1 || !strings.Contains(k["baseline.inside_window"][0].Title, "may already contain the attacker's changes") {
		t.Fatalf("no inside-window finding: %v", k)
	}
	hooks := k["persistence.event_webhook"]
	if len(hooks) != 1 || hooks[0].Subject != "collector.attacker.example" {
		t.Fatalf("webhook created in the window (and in the baseline) not reported, or the old one reported: %+v", hooks)
	}
	// The same baseline before the window: trusted, nothing to say.
	env, rec = f.env(report.ModeLive)
	if _, err := run(t, env, "sendgrid.persistence", map[string]any{"baseline": path, "window_start": time.Now().UTC().Add(time.Millisecond).Format(time.RFC3339Nano)}); err != nil {
		t.Fatal(err)
	}
	if k := rec.kinds(); len(k["baseline.inside_window"])+len(k["persistence.event_webhook"]) != 0 {
		t.Fatalf("a baseline before the window was distrusted: %v", k)
	}
}

// An old baseline (no account) is accepted with a finding that it cannot
// be checked.
func TestOldBaselineAcceptedWithWarning(t *testing.T) {
	f := newFixture(t, nil)
	env, _ := f.env(report.ModeLive)
	path := filepath.Join(t.TempDir(), "b.json")
	if err := SaveInventory(context.Background(), env, path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var m map[string]any
	json.Unmarshal(raw, &m)
	delete(m, "account")
	m["version"] = 1
	raw, _ = json.Marshal(m)
	os.WriteFile(path, raw, 0o600)
	f.st.SetOwner(sendgridsim.Owner{Username: "someone-else", UserID: 9})
	env, rec := f.env(report.ModeLive)
	if _, err := run(t, env, "sendgrid.persistence", map[string]any{"baseline": path, "window_start": time.Now().UTC().Add(time.Millisecond).Format(time.RFC3339Nano)}); err != nil {
		t.Fatalf("old baseline refused: %v", err)
	}
	if got := rec.kinds()["baseline.account_unchecked"]; len(got) != 1 || !strings.Contains(got[0].Detail, "older keyir") {
		t.Fatalf("no cannot-be-checked finding: %v", rec.kinds())
	}
	env, _ = f.env(report.ModeLive)
	if _, err := run(t, env, "sendgrid.inventory", map[string]any{"baseline": path}); err != nil {
		t.Fatalf("old baseline refused by inventory: %v", err)
	}
}
