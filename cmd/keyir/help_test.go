package main

import "encoding/json"
import "errors"
import "io"
import "os"
import "os/exec"
import "path/filepath"
import "regexp"
import "strconv"
import "strings"
import "testing"
import "unicode/utf8"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"

// commandPaths lists every command and subcommand keyir has ("report show").
func commandPaths(t *testing.T) []string {
	t.Helper()
	var out []string
	var walk func(cmds []*cli.Command, path string)
	walk = func(cmds []*cli.Command, path string) {
		for _, c := range cmds {
			if c.Name == "help" {
				continue
			}
			p := strings.TrimSpace(path + " " + c.Name)
			out = append(out, p)
			walk(c.Subcommands, p)
		}
	}
	walk(newApp(env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}).cli().Commands, "")
	if len(out) < 15 {
		t.Fatalf("only %d commands found: %v", len(out), out)
	}
	return out
}

func TestEveryCommandHelpHasSummaryExamplesAndExitCodes(t *testing.T) {
	valueRE := regexp.MustCompile(`--[a-z-]+ value`)
	for _, p := range commandPaths(t) {
		r := keyir(t, "", nil, append(strings.Fields(p), "--help")...)
		if r.code != 0 {
			t.Errorf("keyir %s --help: exit %d: %s", p, r.code, r.stderr)
			continue
		}
		if !regexp.MustCompile(`keyir ` + p + ` - \S`).MatchString(r.stdout) {
			t.Errorf("keyir %s --help has no one-line summary:\n%s", p, r.stdout)
		}
		for _, want := range []string{"Examples:\n     ", "Exit codes:\n     0  "} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("keyir %s --help lacks %q:\n%s", p, want, r.stdout)
			}
		}
		if m := valueRE.FindString(r.stdout); m != "" {
			t.Errorf("keyir %s --help has a placeholder that names no value: %q", p, m)
		}
	}
}

func TestHelpExitCodes(t *testing.T) {
	r := keyir(t, "", nil, "help", "exit-codes")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"  0  done", "  1  could not run", "  2  bad usage", "  3  finished with failed non-critical steps", "  4  containment not confirmed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help exit-codes lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestRunHelpNamesValuesAndBuiltins(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"run", "--help", "sendgrid-key-compromise"}, {"run", "sendgrid-key-compromise", "-h"}} {
		r := keyir(t, "", nil, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		for _, want := range append(playbook.BuiltinNames(), "--baseline FILE", "--reports DIR", "--window-start TIME", "--key -", "72h, 7d") {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v lacks %q:\n%s", args, want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "--baseline keyir") {
			t.Errorf("%v: backticked text is taken as --baseline's value name", args)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := keyir(t, "", nil, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "keyir ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
}

// The bash script is run in bash: what it completes is what keyir has.
func TestCompletionBashCompletesCommandsFlagsAndValues(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	r := keyir(t, "", nil, "completion", "bash")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	script := writeFile(t, t.TempDir(), "keyir.bash", r.stdout)
	cases := map[string]string{
		"keyir dr":                   "drill",
		"keyir report ":              "list prune mark-archived show open verify --help",
		"keyir drill --scenario per": "persistence",
		"keyir run --window-":        "--window-start --window-end",
		"keyir run send":             "sendgrid-eradicate sendgrid-key-compromise",
		"keyir report list --out":    "--output",
		"keyir completion ":          "--help",
	}
	for line, want := range cases {
		words := strings.Split(line, " ")
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+w+"'")
		}
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" + itoa(len(words)-1) + "; _keyir; echo \"${COMPREPLY[*]}\""
		out, err := exec.Command(bash, "--norc", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", line, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%q completes to %q, want %q", line, got, want)
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestCompletionZshAndFishCoverEveryCommand(t *testing.T) {
	for _, sh := range []string{"zsh", "fish"} {
		r := keyir(t, "", nil, "completion", sh)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", sh, r.code, r.stderr)
		}
		for _, p := range commandPaths(t) {
			last := p[strings.LastIndex(p, " ")+1:]
			if !strings.Contains(r.stdout, last) {
				t.Errorf("%s completion never mentions %s", sh, p)
			}
		}
	}
	if r := keyir(t, "", nil, "completion", "tcsh"); r.code != 2 {
		t.Errorf("an unknown shell: exit %d, want 2", r.code)
	}
}

// oneDocument decodes stdout as exactly one JSON document.
func oneDocument(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		t.Fatalf("more than one JSON document: %v\n%s", err, stdout)
	}
}

func TestListingsAsJSON(t *testing.T) {
	var scen struct {
		Scenarios []struct{ Name, Description, Provider string }
	}
	r := keyir(t, "", nil, "drill", "--list", "--output", "json")
	if r.code != 0 {
		t.Fatalf("drill --list: %d %s", r.code, r.stderr)
	}
	oneDocument(t, r.stdout, &scen)
	if len(scen.Scenarios) != len(provider.Scenarios()) || scen.Scenarios[0].Name == "" || scen.Scenarios[0].Description == "" || scen.Scenarios[0].Provider == "" {
		t.Errorf("drill --list json: %+v", scen)
	}
	var pbs struct {
		Playbooks []struct {
			Name   string
			Inputs []struct{ Name, Type string }
			Steps  []struct{ ID, Action string }
		}
	}
	r = keyir(t, "", nil, "playbooks", "-o", "json")
	if r.code != 0 {
		t.Fatalf("playbooks: %d %s", r.code, r.stderr)
	}
	oneDocument(t, r.stdout, &pbs)
	if len(pbs.Playbooks) != len(playbook.BuiltinNames()) || len(pbs.Playbooks[1].Steps) == 0 || pbs.Playbooks[1].Inputs[0].Type == "" {
		t.Errorf("playbooks json: %+v", pbs)
	}
	if r := keyir(t, "", nil, "playbooks", "-o", "yaml"); r.code != 2 {
		t.Errorf("playbooks -o yaml: exit %d, want 2", r.code)
	}
}

func TestDoctorAsJSON(t *testing.T) {
	envv, _, _ := simAccount(t, []string{"api_keys.read", "api_keys.delete", "mail.send"})
	r := keyir(t, "", envv, "doctor", "--output", "json")
	if r.code != 1 {
		t.Fatalf("missing scopes: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Playbook                string
		Needed, Missing, Excess []string
		OK                      bool
	}
	oneDocument(t, r.stdout, &doc)
	if doc.OK || doc.Playbook != "sendgrid-key-compromise" || !contains(doc.Missing, "stats.read") || !contains(doc.Excess, "mail.send") || len(doc.Needed) == 0 {
		t.Errorf("doctor json: %+v", doc)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPlaybooksShowPrintsYAMLThatValidates(t *testing.T) {
	dir := t.TempDir()
	for _, name := range playbook.BuiltinNames() {
		r := keyir(t, "", nil, "playbooks", "show", name)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "name: "+name+"\n") {
			t.Fatalf("playbooks show %s: exit %d, stdout %.80q, stderr %s", name, r.code, r.stdout, r.stderr)
		}
		p := writeFile(t, dir, name+".yaml", r.stdout)
		if v := keyir(t, "", nil, "validate", p); v.code != 0 {
			t.Errorf("the printed %s does not validate: %s", name, v.stderr)
		}
	}
	if r := keyir(t, "", nil, "playbooks", "show", "nope"); r.code != 2 || !strings.Contains(r.stderr, "built-ins: ") {
		t.Errorf("playbooks show nope: exit %d, %s", r.code, r.stderr)
	}
}

func TestReportListNewestFirstWithoutFollowingLinks(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hi}\n")
	reports := filepath.Join(dir, "reports")
	for _, inc := range []string{"INC-1", "INC-2"} {
		if r := keyir(t, "", nil, "run", pb, "--reports", reports, "--incident", inc); r.code != 0 {
			t.Fatalf("run: %d %s", r.code, r.stderr)
		}
	}
	// A run elsewhere, reached only through links, must not be listed.
	elsewhere := filepath.Join(dir, "elsewhere")
	if r := keyir(t, "", nil, "run", pb, "--reports", elsewhere, "--incident", "INC-LINKED"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	other := onlyRunDir(t, elsewhere)
	if err := os.Symlink(other, filepath.Join(reports, "linked-run")); err != nil {
		t.Fatal(err)
	}
	hollow := filepath.Join(reports, "hollow")
	os.Mkdir(hollow, 0o700)
	if err := os.Symlink(filepath.Join(other, "run.json"), filepath.Join(hollow, "run.json")); err != nil {
		t.Fatal(err)
	}
	r := keyir(t, "", nil, "report", "list", "--reports", reports)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "RUN ") || !strings.Contains(lines[1], "INC-2") || !strings.Contains(lines[2], "INC-1") {
		t.Errorf("want a header and INC-2 before INC-1:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "INC-LINKED") || !strings.Contains(r.stderr, "linked-run: is a symbolic link") || !strings.Contains(r.stderr, "hollow: run.json") {
		t.Errorf("a linked run was followed, or the links were not named:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
	var doc struct {
		Runs []struct {
			RunID, Incident, Playbook, Mode, Outcome, Path string
			Started                                        string
		}
		Skipped []struct{ Path, Reason string }
	}
	r = keyir(t, "", nil, "report", "list", "--reports", reports, "--output", "json")
	if r.code != 0 {
		t.Fatalf("json: exit %d: %s", r.code, r.stderr)
	}
	oneDocument(t, r.stdout, &doc)
	if len(doc.Runs) != 2 || doc.Runs[0].Incident != "INC-2" || doc.Runs[0].Mode != "live" || doc.Runs[0].Outcome != "succeeded" || doc.Runs[0].Started == "" || len(doc.Skipped) != 2 {
		t.Errorf("report list json: %+v", doc)
	}
	if _, err := os.Stat(doc.Runs[1].Path); err != nil {
		t.Errorf("the listed path is not the run directory: %v", err)
	}
	if r := keyir(t, "", nil, "report", "list", "--reports", filepath.Join(dir, "none")); r.code != 1 || !strings.Contains(r.stderr, "no reports directory") {
		t.Errorf("a missing reports directory: exit %d, %s", r.code, r.stderr)
	}
}

// A command's exit codes keep their column at any width: the help template
// re-wraps (and folds the spaces of) any line longer than the terminal.
func TestCommandHelpExitCodesFitTheTerminal(t *testing.T) {
	for _, cols := range []string{"80", "60"} {
		width, _ := strconv.Atoi(cols)
		for _, p := range commandPaths(t) {
			r := keyir(t, "", map[string]string{"COLUMNS": cols}, append(strings.Fields(p), "--help")...)
			_, codes, ok := strings.Cut(r.stdout, "Exit codes:\n")
			if !ok {
				t.Fatalf("keyir %s --help: no exit codes:\n%s", p, r.stdout)
			}
			codes, _, _ = strings.Cut(codes, "\n\n")
			for _, line := range strings.Split(codes, "\n") {
				if n := utf8.RuneCountInString(line); n > width {
					t.Errorf("COLUMNS=%s keyir %s --help: %d columns: %q", cols, p, n, line)
				}
				if !regexp.MustCompile(`^     (\d  \S|   \S)`).MatchString(line) {
					t.Errorf("COLUMNS=%s keyir %s --help: exit code line out of its column: %q", cols, p, line)
				}
			}
		}
	}
}
