package planfile

import "encoding/json"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// dirWriter writes a run file straight into a directory (the runner's
// recorder journals it too).
type dirWriter string

func (d dirWriter) WriteRunFile(name string, data []byte, _ string) error {
	return safefile.WriteAtomic(filepath.Join(string(d), name), data, 0o600)
}

func items(t *testing.T, provider string, ids ...string) []json.RawMessage {
	var out []json.RawMessage
	for _, id := range ids {
		b, _ := json.Marshal(map[string]string{"id": id, "provider": provider, "kind": provider + "_thing", "subject": id})
		out = append(out, b)
	}
	return out
}

// Two providers write into one plan: each replaces only its own items, ids
// stay unique across both, the plan names no single provider once it has
// two, and an item of a plan without providers is SendGrid's.
func TestReplaceKeepsEveryOtherProvidersItems(t *testing.T) {
	dir := t.TempDir()
	w := dirWriter(dir)
	f, ok, err := Read(dir)
	if err != nil || ok {
		t.Fatalf("empty dir: %v %v", ok, err)
	}
	all := func(Head) bool { return true }
	ids := NewIDs(f, "sendgrid", all)
	if err := Replace(w, f, "sendgrid", all, items(t, "sendgrid", ids.New(), ids.New()), "r1", "INC", time.Now(), "n"); err != nil {
		t.Fatal(err)
	}
	f, _, _ = Read(dir)
	if f.Provider != "sendgrid" {
		t.Errorf("one provider's plan names %q", f.Provider)
	}
	ids = NewIDs(f, "github", all)
	gh := items(t, "github", ids.New(), ids.New())
	if err := Replace(w, f, "github", all, gh, "r1", "INC", time.Now(), "n"); err != nil {
		t.Fatal(err)
	}
	f, _, _ = Read(dir)
	var got []string
	for _, h := range f.Heads() {
		got = append(got, h.Provider+":"+h.ID)
	}
	if strings.Join(got, " ") != "sendgrid:fh-01 sendgrid:fh-02 github:fh-03 github:fh-04" || f.Provider != "" {
		t.Fatalf("plan %v (provider %q)", got, f.Provider)
	}
	// SendGrid's step runs again (a resume) with one item: GitHub's stay.
	ids = NewIDs(f, "sendgrid", all)
	if !ids.Reserve("fh-01") || ids.Reserve("fh-03") {
		t.Fatal("a replaced id must be free again and another provider's taken")
	}
	if err := Replace(w, f, "sendgrid", all, items(t, "sendgrid", "fh-01"), "r1", "INC", time.Now(), "n"); err != nil {
		t.Fatal(err)
	}
	f, _, _ = Read(dir)
	if n := len(f.Of("github")); n != 2 || len(f.Of("sendgrid")) != 1 {
		t.Fatalf("after SendGrid's rerun: %d GitHub items, %d SendGrid", n, len(f.Of("sendgrid")))
	}
	// Another provider's item may not be written under this one's name.
	if err := Replace(w, f, "sendgrid", all, items(t, "github", "fh-09"), "r1", "INC", time.Now(), "n"); err == nil {
		t.Error("a GitHub item written as SendGrid's was accepted")
	}
	// A plan from before providers: every item SendGrid's.
	old, err := Parse([]byte(`{"version":1,"run_id":"r","items":[{"id":"fh-01","kind":"api_key"}]}`))
	if err != nil || old.Heads()[0].Provider != "sendgrid" {
		t.Fatalf("old plan: %v %+v", err, old)
	}
}

// Parse refuses what is not a plan this keyir reads: another version,
// items without an id or with a repeated one, an item that is not an
// object. Select names the ids it lacks.
func TestParseAndSelectRefuse(t *testing.T) {
	for _, bad := range []string{
		`{"version":2,"items":[]}`, `{"version":1,"items":[{"kind":"x"}]}`,
		`{"version":1,"items":[{"id":"fh-01"},{"id":"fh-01"}]}`, `{"version":1,"items":["fh-01"]}`, `[]`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	f, _ := Parse([]byte(`{"version":1,"items":[{"id":"fh-01"},{"id":"fh-02","provider":"github"}]}`))
	if _, err := Select(f.Heads(), []string{"fh-02", "fh-07"}); err == nil || !strings.Contains(err.Error(), "fh-07") {
		t.Errorf("select of a missing id: %v", err)
	}
	if sel, _ := Select(f.Heads(), nil); !slices.Equal(sel, []int{0, 1}) {
		t.Errorf("select all: %v", sel)
	}
	_ = report.PlanFile
}

// FuzzParse: whatever the plan file holds, Parse never panics, and a plan
// it accepts has unique, non-empty ids and a provider for every item.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"provider":"github","items":[{"id":"fh-01","kind":"k"},{"id":"fh-02","provider":"sendgrid"}]}`))
	f.Add([]byte(`{"version":1,"items":[{"id":"fh-01"},{"id":"fh-01"}]}`))
	f.Add([]byte(`{"version":1,"items":[null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, h := range p.Heads() {
			if h.ID == "" || seen[h.ID] || h.Provider == "" {
				t.Fatalf("accepted %q: head %+v", b, h)
			}
			seen[h.ID] = true
		}
	})
}
