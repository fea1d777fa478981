package main

import "encoding/json"
import "fmt"
import "math/rand/v2"
import "os"
import "path/filepath"
import "strings"
import "syscall"
import "testing"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/tokenfmt"

// seededReader feeds tokenfmt.MintGitHub reproducible randomness.
type seededReader struct{ r *rand.ChaCha8 }

func (s seededReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func newChaCha(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed}) }

func mintGitHub(t *testing.T, rng seededReader, prefix string) string {
	t.Helper()
	tok, err := tokenfmt.MintGitHub(prefix, rng)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestCheck15RefusalsAreJSONWithOutputJSON: every way respond refuses its
// input (a key of no known shape, a GitHub token whose checksum fails, an
// empty stdin, a line far too long to be a key, a scanner report that is a
// FIFO, a link, a directory, malformed, or holding more keys than one
// incident takes, a mistyped flag) ends with exit 2, no run directory, no
// secret anywhere, and — asked for --output json — one JSON document on
// stdout naming the error and the exit code. Before, stdout was empty: a
// script parsing it got nothing to parse.
func TestCheck15RefusalsAreJSONWithOutputJSON(t *testing.T) {
	rng := seededReader{newChaCha(15)}
	good := mintGitHub(t, rng, "ghp_")
	last := good[len(good)-1]
	badChecksum := good[:len(good)-1] + map[bool]string{true: "B", false: "A"}[last == 'A']
	unknown := "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"
	dir := t.TempDir()
	var many []map[string]any
	var secrets = []string{good, badChecksum, unknown}
	for i := range 101 {
		tok := mintGitHub(t, rng, "ghp_")
		secrets = append(secrets, tok)
		many = append(many, map[string]any{"RuleID": "github-pat", "Secret": tok, "Match": tok, "File": "a.txt", "StartLine": i + 1})
	}
	b, err := json.Marshal(many)
	if err != nil {
		t.Fatal(err)
	}
	manyFile := writeFile(t, dir, "many.json", string(b))
	malformed := writeFile(t, dir, "malformed.json", `[{"RuleID":"github-pat","Secret":"`+good+`"}, {"RuleID": }]`)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(manyFile, link); err != nil {
		t.Fatal(err)
	}
	fifoPath := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifoPath, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, stdin string
		args        []string
	}{
		{"unknown shape", unknown + "\n", []string{"--key", "-"}},
		{"bad checksum", badChecksum + "\r\n", []string{"--key", "-"}},
		{"empty stdin", "", []string{"--key", "-"}},
		{"huge line", strings.Repeat("a", 1<<20) + good + "\n", []string{"--key", "-"}},
		{"from fifo", "", []string{"--from", fifoPath}},
		{"from link", "", []string{"--from", link}},
		{"from directory", "", []string{"--from", dir}},
		{"from malformed", "", []string{"--from", malformed}},
		{"from 101 keys", "", []string{"--from", manyFile}},
		{"mistyped flag", good + "\n", []string{"--key", "-", "--dryrun"}},
	} {
		for _, form := range [][]string{{"--output", "json"}, {"--output=json"}, {"-o", "json"}} {
			t.Run(fmt.Sprintf("%s %s", c.name, strings.Join(form, " ")), func(t *testing.T) {
				reports := filepath.Join(t.TempDir(), "reports")
				args := append(append([]string{"respond"}, c.args...), "--reports", reports)
				r := keyir(t, c.stdin, nil, append(args, form...)...)
				if r.code != 2 {
					t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
				}
				var doc errorJSON
				dec := json.NewDecoder(strings.NewReader(r.stdout))
				if err := dec.Decode(&doc); err != nil || dec.More() {
					t.Fatalf("stdout is not one JSON document (%v): %q\nstderr: %s", err, r.stdout, r.stderr)
				}
				if doc.ExitCode != 2 || doc.Error == "" || doc.ExitMeaning == "" {
					t.Errorf("document %+v", doc)
				}
				if msg := strings.TrimSpace(strings.TrimPrefix(r.stderr, "keyir: ")); !strings.Contains(msg, doc.Error) {
					t.Errorf("the JSON error %q is not what stderr says: %s", doc.Error, r.stderr)
				}
				if n := len(dirsIn(reports)); n != 0 {
					t.Errorf("%d run directories for a refusal", n)
				}
				notifytest.AssertLeaksNoSecret(t, secrets, []byte(r.stdout), []byte(r.stderr))
			})
		}
	}
	// Text output is unchanged: nothing on stdout.
	if r := keyir(t, unknown+"\n", nil, "respond", "--key", "-"); r.code != 2 || r.stdout != "" {
		t.Errorf("text refusal: exit %d, stdout %q", r.code, r.stdout)
	}
	// KEYIR_OUTPUT=json asks as the flag does; a command without --output
	// (version) is never answered in JSON.
	if r := keyir(t, "", map[string]string{"KEYIR_OUTPUT": "json"}, "respond", "--key", "-"); !strings.HasPrefix(r.stdout, "{") {
		t.Errorf("KEYIR_OUTPUT=json: stdout %q", r.stdout)
	}
	if r := keyir(t, "", nil, "version", "--output", "json"); strings.Contains(r.stdout, `"error"`) {
		t.Errorf("version answered in JSON: %q", r.stdout)
	}
}

// TestCheck15HugeStdinSaysWhatIsWrong: 100 MB on stdin with no line break
// (a file piped by mistake) is refused with a sentence an operator
// understands, not bufio's "token too long", and without reading it all.
func TestCheck15HugeStdinSaysWhatIsWrong(t *testing.T) {
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, strings.Repeat("x", 100<<20), nil, "respond", "--key", "-", "--reports", reports)
	if r.code != 2 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "bufio") || !strings.Contains(r.stderr, "longer than 4096 bytes") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

// TestCheck15PreflightRefusalIsJSON: a live respond whose preflight stops
// it (no responder key) prints its reasons itself; with --output json the
// document on stdout carries them, redacted, and the exit code 2.
func TestCheck15PreflightRefusalIsJSON(t *testing.T) {
	envv, _, leaked := twoLeakedKeys(t)
	delete(envv, "SENDGRID_API_KEY")
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, leaked[0].Token()+"\n", envv, "respond", "--key", "-", "--output", "json", "--reports", reports)
	var doc errorJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 2 {
		t.Fatalf("exit %d, stdout %q (%v)\n%s", r.code, r.stdout, err, r.stderr)
	}
	if doc.ExitCode != 2 || !strings.Contains(doc.Error, "responder key is missing") {
		t.Errorf("document %+v", doc)
	}
	if n := len(dirsIn(reports)); n != 0 {
		t.Errorf("%d run directories", n)
	}
	notifytest.AssertLeaksNoSecret(t, []string{leaked[0].Secret, leaked[0].Token()}, []byte(r.stdout), []byte(r.stderr))
}

// TestCheck15UnrecognisedKeySaysWhatItIsNear: a key pasted with its quotes
// or its variable name, or cut short after a known prefix, is refused (exit
// 2, no run directory) with what it looks like, never quoting it; a key
// near nothing keeps the plain refusal.
func TestCheck15UnrecognisedKeySaysWhatItIsNear(t *testing.T) {
	good := mintGitHub(t, seededReader{newChaCha(20)}, "ghp_")
	for _, c := range []struct{ name, line, want string }{
		{"quoted", `"` + good + `",`, "holds what looks like a GitHub personal access token (classic) among other text"},
		{"assignment", "export GITHUB_TOKEN=" + good, "holds what looks like a GitHub personal access token (classic) among other text"},
		{"cut", good[:20], "starts like a GitHub personal access token (classic) (ghp_…) but the rest does not have that shape"},
		{"slack cut", "xoxb-123", "starts like a Slack bot token (xoxb-…)"},
		{"nothing", "qq_live_7fJ2kP9xL4mN8vB3cR6tY1wZ5", "has no shape keyir knows (it is not shown); keyir responds to"},
	} {
		reports := filepath.Join(t.TempDir(), "reports")
		r := keyir(t, c.line+"\n", nil, "respond", "--key", "-", "--reports", reports)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "keyir run generic-key-revoke") {
			t.Errorf("%s: exit %d\n%s", c.name, r.code, r.stderr)
		}
		if len(dirsIn(reports)) != 0 {
			t.Errorf("%s: a run directory", c.name)
		}
		notifytest.AssertLeaksNoSecret(t, []string{good, good[4:20], c.line}, []byte(r.stdout), []byte(r.stderr))
	}
}
