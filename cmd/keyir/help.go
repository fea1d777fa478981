package main

import "fmt"
import "runtime"
import "runtime/debug"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

// commandHelp is what every command's --help adds to urfave/cli's: examples
// a responder can paste, and the exit codes the command can end with. It is
// keyed by the command's path ("report show"), so the commands' own files
// stay about what they do.
var commandHelp = map[string]struct {
	examples []string
	codes    []int
}{
	"respond": {[]string{
		"pbpaste | keyir respond --key - --incident INC-42",
		"keyir respond --key-file leaked.txt --incident INC-42 --dry-run",
		"keyir respond --from gitleaks-report.json --incident INC-43 --dry-run",
		"keyir respond --from trufflehog.jsonl --format trufflehog --incident INC-44",
	}, []int{0, 1, 2, 3, 4, 5}},
	"run": {[]string{
		"keyir run sendgrid-key-compromise --key - --incident INC-42 < leaked.txt",
		"keyir run sendgrid-key-compromise --key-file leaked.txt --incident INC-42 --dry-run",
		"keyir run sendgrid-key-compromise --key-id AbCdEfGhIjKlMnOpQrStUv --incident INC-42 --window-start 72h",
		"keyir run my-playbook.yaml --input note=hello --incident INC-43",
	}, []int{0, 1, 2, 3, 4, 5}},
	"drill": {[]string{
		"keyir drill",
		"keyir drill --scenario persistence",
		"keyir drill --list --output json",
		"keyir drill --scenario persistence --eradicate",
	}, []int{0, 1, 2, 3, 4, 5}},
	"resume": {[]string{
		"keyir resume reports/20261201T100000Z-INC-42 --key - < leaked.txt",
	}, []int{0, 1, 2, 3, 4, 5}},
	"eradicate": {[]string{
		"keyir eradicate reports/20261201T100000Z-INC-42",
		"keyir eradicate --dry-run reports/20261201T100000Z-INC-42",
		"keyir eradicate --only fh-01 --only fh-03 --yes reports/20261201T100000Z-INC-42",
	}, []int{0, 1, 2, 3, 5}},
	"validate":             {[]string{"keyir validate my-playbook.yaml", "keyir validate playbooks/*.yaml"}, []int{0, 2}},
	"playbooks":            {[]string{"keyir playbooks", "keyir playbooks --output json", "keyir playbooks show sendgrid-key-compromise > mine.yaml"}, []int{0, 2}},
	"playbooks show":       {[]string{"keyir playbooks show sendgrid-key-compromise > mine.yaml", "keyir validate mine.yaml"}, []int{0, 2}},
	"actions":              {[]string{"keyir actions", "keyir actions --output json"}, []int{0, 2}},
	"report":               {[]string{"keyir report list", "keyir report show reports/20261201T100000Z-INC-42", "keyir report verify reports/20261201T100000Z-INC-42"}, []int{0, 1, 2}},
	"report list":          {[]string{"keyir report list", "keyir report list --reports /var/lib/keyir/reports --output json"}, []int{0, 1, 2}},
	"report show":          {[]string{"keyir report show reports/20261201T100000Z-INC-42", "keyir report show reports/20261201T100000Z-INC-42 --format json"}, []int{0, 1, 2}},
	"report prune":         {[]string{"keyir report prune --older-than 90d --dry-run", "keyir report prune --older-than 2026-01-01 --reports /var/lib/keyir/reports --output json"}, []int{0, 1, 2}},
	"report mark-archived": {[]string{"keyir report mark-archived reports/20261201T100000Z-INC-42 --note INC-42"}, []int{0, 1, 2}},
	"report open":          {[]string{"keyir report open reports/20261201T100000Z-INC-42"}, []int{0, 1, 2}},
	"report verify":        {[]string{"keyir report verify reports/20261201T100000Z-INC-42"}, []int{0, 1, 2}},
	"inventory":            {[]string{"SENDGRID_API_KEY_FILE=responder.key keyir inventory save baseline.json"}, []int{0, 1, 2}},
	"inventory save":       {[]string{"SENDGRID_API_KEY_FILE=responder.key keyir inventory save baseline.json", "GITHUB_TOKEN_FILE=gh.token keyir inventory save --github-org acme-corp gh-baseline.json"}, []int{0, 1, 2}},
	"doctor":               {[]string{"SENDGRID_API_KEY_FILE=responder.key keyir doctor", "keyir doctor my-playbook.yaml", "keyir doctor --slack-channel C0123 --webhook-url https://hooks.example.com/keyir --output json"}, []int{0, 1, 2}},
	"sim":                  {[]string{"keyir sim sendgrid --scenario persistence", "keyir sim slack"}, []int{0, 1, 2}},
	"sim sendgrid":         {[]string{"keyir sim sendgrid --scenario persistence --listen 127.0.0.1:8025"}, []int{0, 1, 2}},
	"sim slack":            {[]string{"keyir sim slack --listen 127.0.0.1:8026"}, []int{0, 1, 2}},
	"sim github":           {[]string{"keyir sim github --scenario github-fine-grained-leak", "keyir sim github --enterprise true"}, []int{0, 1, 2}},
	"serve":                {[]string{"keyir serve --config serve.yaml", "keyir serve --config serve.yaml --socket-mode"}, []int{0, 1, 2}},
	"version":              {[]string{"keyir version", "keyir --version"}, []int{0}},
	"audit": {[]string{
		"SENDGRID_API_KEY_FILE=responder.key keyir audit",
		"keyir audit --all-subusers --baseline baseline.json --fail-on medium",
		"keyir audit --output json > audit.json",
	}, []int{0, 1, 2, 3}},
	"completion": {[]string{"source <(keyir completion bash)", "keyir completion zsh > \"${fpath[1]}/_keyir\"", "keyir completion fish > ~/.config/fish/completions/keyir.fish"}, []int{0, 2}},
}

// placeholders name the value of flags whose usage has no `NAME` of its own,
// so --help shows "--reports DIR", not "--reports value".
var placeholders = map[string]string{
	"reports": "DIR", "output": "FORMAT", "o": "FORMAT", "input": "NAME=VALUE", "i": "NAME=VALUE",
	"incident": "ID", "key": "-", "key-file": "FILE", "key-id": "ID", "window-start": "TIME",
	"window-end": "TIME", "subuser": "NAME", "region": "REGION", "baseline": "FILE",
	"scenario": "NAME", "from": "FILE", "s": "NAME", "format": "FORMAT", "listen": "ADDR", "config": "FILE",
	"slack-api-url": "URL", "slack-channel": "CHANNEL", "slack-drill-channel": "CHANNEL",
	"email-to": "ADDRESS", "email-from": "ADDRESS", "webhook-url": "URL",
	"listen-eu": "ADDR", "fail-on": "SEVERITY", "trusted-domain": "DOMAIN", "older-than": "TIME", "note": "TEXT",
	"github-org": "ORG", "enterprise": "true|false",
}

var defaultFlagStringer = cli.FlagStringer

func init() {
	cli.FlagStringer = flagString
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, versionString()) }
}

// flagString is urfave/cli's flag line with "value" replaced by the flag's
// placeholder, unless the usage names its own with backticks.
func flagString(f cli.Flag) string {
	s := defaultFlagStringer(f)
	df, ok := f.(cli.DocGenerationFlag)
	if !ok || strings.Contains(df.GetUsage(), "`") {
		return s
	}
	names, rest, ok := strings.Cut(s, "\t")
	if !ok {
		return s
	}
	ph := ""
	for _, n := range f.Names() {
		if p, ok := placeholders[n]; ok {
			ph = p
			break
		}
	}
	if ph == "" {
		return s
	}
	return strings.ReplaceAll(names, " value", " "+ph) + "\t" + rest
}

// describe adds to every command's help its examples and exit codes, and to
// run's the built-in playbooks. It leaves a Description a command set itself
// in front.
func (a *app) describe(app *cli.App) {
	app.HelpName = "keyir"
	app.Description = "Start with `keyir drill` (no credentials needed). Exit codes: keyir help exit-codes."
	var walk func(cmds []*cli.Command, path string)
	walk = func(cmds []*cli.Command, path string) {
		for _, c := range cmds {
			p := strings.TrimSpace(path + " " + c.Name)
			var b strings.Builder
			if c.Description != "" {
				b.WriteString(strings.TrimSpace(c.Description) + "\n\n")
			}
			if p == "run" {
				b.WriteString("PLAYBOOK is a file, or one of the built-in playbooks (keyir playbooks; keyir playbooks show NAME prints one's YAML):\n")
				// The names from the registry, not playbook.Builtins():
				// every command builds this help, and loading and
				// validating every built-in playbook to print its name
				// cost each run about 12 ms (BENCHMARKS.md, "Sixth
				// pass"). A built-in that does not load is refused by
				// the registry and each provider's tests.
				for _, name := range playbook.BuiltinNames() {
					b.WriteString("  " + name + "\n")
				}
				b.WriteString("\nTIME is RFC 3339 (2026-11-25T09:00:00Z), a date (2026-11-25, midnight UTC), or a duration back from the window's end (72h, 7d).\n\n")
			}
			if h, ok := commandHelp[p]; ok {
				b.WriteString("Examples:\n")
				for _, e := range h.examples {
					b.WriteString("  " + e + "\n")
				}
				b.WriteString("\nExit codes:\n")
				// The help template wraps a line longer than the
				// terminal again, folding its spaces and losing the
				// column: each code's meaning is wrapped here to fit
				// beside the template's indent of 3 and "  N  ".
				for _, code := range h.codes {
					fmt.Fprintf(&b, "  %d  %s\n", code, wrapText(exitWhen(p, code), columns()-3-5, "     "))
				}
			}
			c.Description = strings.TrimRight(b.String(), "\n")
			walk(c.Subcommands, p)
		}
	}
	walk(app.Commands, "")
}

// exitWhen is what exit code means for the command at path; report.ExitMeaning
// is the general meaning.
func exitWhen(path string, code int) string {
	switch {
	case path == "report verify" && code == report.ExitDone:
		return "intact: every file matches MANIFEST"
	case path == "report verify" && code == report.ExitCouldNotRun:
		return "tampered, or not a run directory"
	case path == "audit" && code == report.ExitDone:
		return "no check failed at or above --fail-on"
	case path == "audit" && code == report.ExitDegraded:
		return "a check failed at or above --fail-on"
	case path == "validate" && code == report.ExitUsage:
		return "a playbook has problems (each printed as FILE:LINE:COL)"
	}
	return report.ExitMeaning(code)
}

func (a *app) printExitCodes() error {
	fmt.Fprintln(a.out, "keyir exit codes (every command):")
	for _, e := range report.ExitCodes() {
		fmt.Fprintf(a.out, "  %d  %s\n", e.Code, wrapText(e.Meaning+": "+e.When, columns()-5, "     "))
	}
	return nil
}

// versionString is what `keyir version` and `keyir --version` print.
func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("keyir %s (%s, %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
