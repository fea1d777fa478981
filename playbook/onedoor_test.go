package playbook_test

import "context"
import "errors"
import "io/fs"
import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"

// doorKey is the leaked key of these tests; doorSecret its secret segment.
const (
	doorKey    = "SG.DoorKeyIdDoorKeyIdDo01.DOORsecretSEGMENTpart0123456789abcdefghij"
	doorSecret = "DOORsecretSEGMENTpart0123456789abcdefghij"
)

const doorPlaybook = `
name: door
description: one door for secrets
inputs:
  key: {type: string, secret: true}
  subuser: {type: string}
  notes: {type: string}
steps:
  - id: n
    action: core.note
    with: {text: "incident {{ .run.incident }}"}
`

// leaksIn returns the files under dir (and names) holding 12 consecutive
// characters of secret, raw.
func leaksIn(t *testing.T, root, secret string) []string {
	t.Helper()
	var bad []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		hit := func(s string) bool {
			for i := 0; i+12 <= len(secret); i++ {
				if strings.Contains(s, secret[i:i+12]) {
					return true
				}
			}
			return false
		}
		if hit(d.Name()) {
			bad = append(bad, "name "+p)
		}
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			if hit(string(b)) {
				bad = append(bad, p)
			}
		}
		return nil
	})
	return bad
}

func TestRunRefusesKeyShapedIncidentBeforeWriting(t *testing.T) {
	pb := load(t, doorPlaybook)
	for name, incident := range map[string]string{
		"the leaked key":           doorKey,
		"the key cut short":        doorKey[:41],
		"the secret segment":       doorSecret,
		"INC- and 14 of its chars": "INC-" + doorSecret[5:19],
		"an unregistered SG key":   "SG.x" + doorKey[4:],
		"a GitHub token":           "ghp_" + strings.Repeat("Q", 36),
		"a Slack token":            "xoxp-1234567890-abc",
	} {
		root := filepath.Join(t.TempDir(), "reports")
		_, err := playbook.Run(context.Background(), pb, playbook.Options{
			ReportsRoot: root, Incident: incident, Operator: "alice",
			Given: map[string]string{"key": doorKey}, Redactor: redact.New(),
		})
		var ue *playbook.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: got %v, want a usage error", name, err)
			continue
		}
		if strings.Contains(err.Error(), incident[4:16]) {
			t.Errorf("%s: the error quotes the value: %v", name, err)
		}
		if _, serr := os.Stat(root); serr == nil {
			t.Errorf("%s: the reports directory was created", name)
		}
	}
}

// TestOperatorAndInputsPassTheRedactor: a key in KEYIR_OPERATOR, --subuser or
// --notes is recorded as a token in run.json, the journal and every report,
// and neither it nor its encodings reach any file.
func TestOperatorAndInputsPassTheRedactor(t *testing.T) {
	pb := load(t, doorPlaybook)
	root := filepath.Join(t.TempDir(), "reports")
	other := "ghp_" + strings.Repeat("OtherToken", 4)
	res, err := playbook.Run(context.Background(), pb, playbook.Options{
		ReportsRoot: root, Incident: "INC-7",
		Operator: "alice " + doorKey,
		Given:    map[string]string{"key": doorKey, "subuser": "sub " + doorKey[:50], "notes": "see " + other},
		Redactor: redact.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Run.Operator != "alice "+redact.Token(doorKey) {
		t.Errorf("operator recorded as %q", res.Report.Run.Operator)
	}
	for _, s := range []string{doorSecret, other[4:]} {
		if bad := leaksIn(t, root, s); len(bad) > 0 {
			t.Errorf("%.8s… leaked into %v", s, bad)
		}
	}
	if !strings.Contains(res.Dir, "INC-7") {
		t.Errorf("run directory %s", res.Dir)
	}
}

func TestResolveInputsNeverQuotesAKey(t *testing.T) {
	pb := load(t, `
name: q
description: q
inputs:
  key_id: {type: string, pattern: '[A-Za-z0-9_-]{22}'}
  n: {type: int}
  ids: {type: list, pattern: '[a-z]+'}
steps:
  - id: n
    action: core.note
    with: {text: x}
`)
	for name, given := range map[string]map[string]string{
		"key as key id":   {"key_id": doorKey},
		"key as integer":  {"n": doorKey},
		"key in a list":   {"ids": "abc," + doorKey},
		"key as a name":   {doorKey: "x"},
		"github as an id": {"key_id": "ghp_" + doorSecret},
	} {
		_, err := pb.ResolveInputs(given)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for i := 0; i+8 <= len(doorSecret); i++ {
			if strings.Contains(err.Error(), doorSecret[i:i+8]) {
				t.Errorf("%s: the error echoes secret characters: %v", name, err)
				break
			}
		}
	}
}
