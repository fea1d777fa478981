package main

import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/sim/sendgridsim"

func TestInventorySaveRefusesToOverwriteWithoutForce(t *testing.T) {
	envv, _, _ := simAccount(t, sendgridsim.ResponderScopes())
	dir := t.TempDir()
	path := writeFile(t, dir, "baseline.json", "the trusted one\n")
	r := keyir(t, "", envv, "inventory", "save", path)
	if r.code != 2 || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("overwrite without --force: exit %d\n%s", r.code, r.stderr)
	}
	if raw, _ := os.ReadFile(path); string(raw) != "the trusted one\n" {
		t.Fatal("the existing baseline was changed")
	}
	link := filepath.Join(dir, "link.json")
	os.Symlink(filepath.Join(dir, "elsewhere"), link)
	if r := keyir(t, "", envv, "inventory", "save", link); r.code != 2 {
		t.Fatalf("a dangling link: exit %d", r.code)
	}
	r = keyir(t, "", envv, "inventory", "save", path, "--force")
	if r.code != 0 || !strings.Contains(r.stdout, "keyir-sim-parent") {
		t.Fatalf("--force: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if raw, _ := os.ReadFile(path); !strings.Contains(string(raw), `"user_id": 1000`) || !strings.Contains(string(raw), `"taken_at"`) {
		t.Fatalf("baseline without its account: %s", raw)
	}
}

// A run refuses, before it writes anything, a baseline of another account.
func TestRunRefusesBaselineOfAnotherAccount(t *testing.T) {
	envA, _, _ := simAccount(t, sendgridsim.ResponderScopes())
	dir := t.TempDir()
	baseline := filepath.Join(dir, "a.json")
	if r := keyir(t, "", envA, "inventory", "save", baseline); r.code != 0 {
		t.Fatalf("save: %d %s", r.code, r.stderr)
	}
	envB, srvB, leakedB := simAccount(t, sendgridsim.ResponderScopes())
	// simAccount's accounts share their owner; make B another company.
	srvB.State().SetOwner(sendgridsim.Owner{Username: "other-co", UserID: 2})
	reports := filepath.Join(dir, "reports")
	r := keyir(t, leakedB.Token()+"\n", envB, "run", "sendgrid-key-compromise", "--key", "-", "--reports", reports, "--baseline", baseline)
	if r.code != 2 || !strings.Contains(r.stderr, "another account") || !strings.Contains(r.stderr, "other-co") {
		t.Fatalf("baseline of another account: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(reports); err == nil && len(dirsIn(reports)) != 0 {
		t.Fatal("a refused run left a run directory")
	}
	if n := srvB.Count("DELETE", ""); n != 0 {
		t.Fatalf("%d deletes after the refusal", n)
	}
	// Its own account's baseline is accepted.
	own := filepath.Join(dir, "b.json")
	if r := keyir(t, "", envB, "inventory", "save", own); r.code != 0 {
		t.Fatalf("save B: %d %s", r.code, r.stderr)
	}
	if r := keyir(t, leakedB.Token()+"\n", envB, "run", "sendgrid-key-compromise", "--key", "-", "--reports", reports, "--baseline", own); r.code != 0 {
		t.Fatalf("own baseline: exit %d\n%s", r.code, r.stderr)
	}
}
