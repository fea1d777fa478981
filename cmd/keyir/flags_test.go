package main

import "bytes"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"

import "github.com/urfave/cli/v2"

// TestEveryOutputFlagReadsKEYIROUTPUT: KEYIR_OUTPUT sets --output of every
// command that declares it (README: every flag also from KEYIR_<FLAG>),
// as it already chooses the JSON error document of each (wantsJSON): a
// command whose --output ignored it answered a failure in JSON and a
// success in text.
func TestEveryOutputFlagReadsKEYIROUTPUT(t *testing.T) {
	app := newApp(env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	seen := 0
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := path + " " + c.Name
			for _, f := range c.Flags {
				if !slices.Contains(f.Names(), "output") {
					continue
				}
				seen++
				sf, ok := f.(*cli.StringFlag)
				if !ok || !slices.Equal(sf.EnvVars, []string{"KEYIR_OUTPUT"}) || sf.Value != "text" || !slices.Equal(sf.Aliases, []string{"o"}) {
					t.Errorf("keyir%s --output: %#v, want outputFlag's (KEYIR_OUTPUT, -o, default text)", name, f)
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.cli().Commands)
	if seen < 8 {
		t.Errorf("found --output on %d commands; the walk missed some", seen)
	}
}

// flagsWithoutTheirVariable are the flags that do not read KEYIR_<FLAG>,
// with the variables they read instead (none: nil). Each is named in the
// README's Configuration section, with its reason.
var flagsWithoutTheirVariable = map[string][]string{
	// The leaked key is read from stdin only when the command line asks.
	"run --key": nil, "respond --key": nil, "resume --key": nil,
	"drill --list": nil,
	// KEYIR_FORMAT is report show's.
	"respond --format": nil, "resume --format": nil,
	// A drill is sealed off: no notification destination from the
	// environment of real incidents reaches it.
	"drill --email-to": nil, "drill --email-from": nil, "drill --webhook-url": nil,
	// A destruction is confirmed, and what a prune removes is said, on the
	// command line, never by a variable left in a shell.
	"eradicate --yes": nil, "rotate --yes": nil, "inventory save --force": nil,
	"report prune --force": nil, "report prune --older-than": nil,
	// Where a new secret goes is said on the command line.
	"rotate --out": nil, "rotate --exec": nil,
	// Named for what they are.
	"serve --config": {"KEYIR_SERVE_CONFIG"}, "serve --slack-api-url": {"SLACK_API_URL"},
}

// TestEveryFlagReadsItsEnvironmentVariable holds every command's flags to
// the README's rule (KEYIR_<FLAG>) and its list of exceptions: eradicate's
// and rotate's --dry-run ignored KEYIR_DRY_RUN, so a shell that had asked
// for dry runs removed footholds and created keys. A simulator's flags
// (keyir sim NAME) read the variables its help names.
func TestEveryFlagReadsItsEnvironmentVariable(t *testing.T) {
	app := newApp(env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	config := string(readme)
	if i := strings.Index(config, "## Configuration"); i >= 0 {
		config = config[i:]
	}
	seen := map[string]bool{}
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(path + " " + c.Name)
			if name == "sim" {
				continue
			}
			for _, f := range c.Flags {
				if slices.Contains(f.Names(), "help") {
					continue
				}
				id := name + " --" + f.Names()[0]
				var got []string
				if e, ok := f.(interface{ GetEnvVars() []string }); ok {
					got = e.GetEnvVars()
				}
				want, excepted := flagsWithoutTheirVariable[id]
				if excepted {
					seen[id] = true
					for _, v := range want {
						if !strings.Contains(config, "`"+v+"`") {
							t.Errorf("README's Configuration does not name %s, which keyir %s reads", v, id)
						}
					}
					if !strings.Contains(config, "--"+f.Names()[0]) {
						t.Errorf("README's Configuration does not name --%s among the flags without KEYIR_<FLAG>", f.Names()[0])
					}
				} else {
					want = envOf(f.Names()[0])
				}
				if len(got) == 0 && len(want) == 0 {
					continue
				}
				if len(got) == 0 || len(want) == 0 || got[0] != want[0] {
					t.Errorf("keyir %s reads %v from the environment, want %v first", id, got, want)
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.cli().Commands)
	for id := range flagsWithoutTheirVariable {
		if !seen[id] {
			t.Errorf("%s is listed as an exception but no command has it", id)
		}
	}
}

// An error quotes what it was given; a megabyte argument (a path, a flag's
// value) must still give a message that fits a terminal, in text and in
// the JSON error document, with the exit code of the error.
func TestErrorsQuotingAHugeArgumentStayShort(t *testing.T) {
	huge := strings.Repeat("x", 128<<10) // the most one argument of exec can be (MAX_ARG_STRLEN)
	for _, args := range [][]string{
		{"drill", "--scenario", huge},
		{"report", "show", huge},
		{"eradicate", huge, "--output", "json"},
	} {
		r := keyir(t, "", nil, args...)
		if r.code == 0 || len(r.stderr) > 2000 || !strings.Contains(r.stderr, "bytes]") || len(r.stdout) > 2000 {
			t.Errorf("keyir %s …: exit %d, %d bytes of stderr, %d of stdout:\n%.300s", args[0], r.code, len(r.stderr), len(r.stdout), r.stderr)
		}
	}
}

// An error quotes what it was given: a path or name carrying an ANSI
// sequence must reach the terminal escaped, never as a sequence that moves
// the cursor or clears the screen.
func TestErrorsQuotingControlCharactersShowThemEscaped(t *testing.T) {
	hostile := "run\x1b[2J\x1b[1A\rintact\u202e"
	for _, args := range [][]string{
		{"drill", "--scenario", hostile},
		{"report", "show", filepath.Join(t.TempDir(), hostile)},
		{"eradicate", hostile, "--output", "json"},
	} {
		r := keyir(t, "", nil, args...)
		if r.code == 0 || strings.ContainsAny(r.stderr, "\x1b\r\u202e") || !strings.Contains(r.stderr, `\x1b[2J`) {
			t.Errorf("keyir %s …: exit %d, stderr %q", args[0], r.code, r.stderr)
		}
	}
}

// A line break in a quoted argument must not start a line of its own that
// reads like a result: every line of an error starts "keyir: ", and the
// FILE:LINE:COL listing of validate keeps each problem on one line.
func TestNoArgumentStartsALineOfItsOwn(t *testing.T) {
	forged := "\nintact — every file matches MANIFEST"
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad\x1b[2K"+forged+".yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsteps:\n  - bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"report", "verify", filepath.Join(dir, "run"+forged)},
		{"run", filepath.Join(dir, "pb"+forged+".yaml")},
		{"validate", bad},
		{"validate", filepath.Join(dir, "missing"+forged+".yaml")},
	} {
		r := keyir(t, "", nil, args...)
		if r.code == 0 || strings.Contains(r.stderr, "\x1b") {
			t.Errorf("keyir %s …: exit %d, stderr %q", args[0], r.code, r.stderr)
		}
		for _, out := range []string{r.stdout, r.stderr} {
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if strings.HasPrefix(line, "intact") {
					t.Errorf("keyir %s …: a line of its own from the argument: %q", args[0], out)
				}
			}
		}
	}
}
