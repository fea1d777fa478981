package main

import "bufio"
import "context"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "maps"
import "slices"
import "strings"
import "time"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// runOptions are the options of `keyir run`, separate from the CLI framework
// so runPlaybook can be tested directly.
type runOptions struct {
	playbook string
	inputs   []string // NAME=VALUE
	incident string
	dryRun   bool
	reports  string
	output   string
	// keyFrom is "-" (stdin) or a file path; the leaked key never comes
	// from a flag value, which would sit in shell history and ps output.
	keyFrom string
	// flagInputs are convenience flags (--key-id, --window-start …) that set
	// the playbook input of the same name.
	flagInputs map[string]string
	notify     notifyOptions
	// keys are secret inputs already read, registered with the redactor and
	// recognised (keyir respond): input name -> key. keyFrom is then "".
	keys map[string]string
	// from and fromFormat are the scanner's report keyir respond --from
	// read the keys from: a resume of the run reads them there again.
	from, fromFormat string
}

// inputFlags map convenience flags to playbook inputs of the same meaning.
var inputFlags = []struct{ flag, input, usage string }{
	{"key-id", "key_id", "the leaked key's id (the middle segment of SG.<id>.<secret>), when the key itself is not at hand"},
	{"window-start", "window_start", "start of the exposure window: RFC 3339, a date (UTC), or a duration back from its end such as 72h or 7d (default: 7d)"},
	{"window-end", "window_end", "end of the exposure window: RFC 3339, a date (UTC), or a duration back from now (default: now)"},
	{"subuser", "subuser", "the SendGrid subuser the key belongs to"},
	{"region", "region", "SendGrid region: global or eu"},
	{"baseline", "baseline", "inventory baseline `FILE` saved by keyir inventory save"},
}

func commonRunFlags() []cli.Flag {
	return []cli.Flag{
		reportsFlag("root directory for evidence reports"),
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", EnvVars: []string{"KEYIR_OUTPUT"}, Usage: "text or json (one JSON document on stdout)"},
	}
}

// inputFlagsOf are the convenience flags named in only (all of them when
// only is nil), each also read from KEYIR_<FLAG>.
func inputFlagsOf(only []string) []cli.Flag {
	var out []cli.Flag
	for _, f := range inputFlags {
		if only == nil || slices.Contains(only, f.flag) {
			out = append(out, &cli.StringFlag{Name: f.flag, EnvVars: envOf(f.flag), Usage: f.usage})
		}
	}
	return out
}

// leakedKeyFlags are the flags of a run about one leaked key: run's and
// respond's.
func leakedKeyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "incident", EnvVars: []string{"KEYIR_INCIDENT"}, Usage: "incident id, e.g. INC-42"},
		dryRunFlag("run every read, refuse every write (recorded as planned changes)"),
		&cli.StringFlag{Name: "key", Usage: "read the leaked key from stdin: --key - (never pass the key itself)"},
		&cli.StringFlag{Name: "key-file", EnvVars: []string{"KEYIR_KEY_FILE"}, Usage: "read the leaked key from this file"},
	}
}

// runOptionsOf reads the options run and respond share.
func (a *app) runOptionsOf(c *cli.Context) (runOptions, error) {
	o := runOptions{
		incident:   c.String("incident"),
		dryRun:     c.Bool("dry-run"),
		reports:    c.String("reports"),
		output:     c.String("output"),
		notify:     notifyOptionsOf(c),
		flagInputs: map[string]string{},
	}
	var err error
	if o.keyFrom, err = a.keySource(c); err != nil {
		return o, err
	}
	for _, f := range inputFlags {
		if c.IsSet(f.flag) {
			o.flagInputs[f.input] = c.String(f.flag)
		}
	}
	return o, nil
}

// inputFlag is --input NAME=VALUE, the way to give a playbook any input
// that is not secret (run and respond).
func inputFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "input", Aliases: []string{"i"}, EnvVars: []string{"KEYIR_INPUT"}, Usage: "playbook input as NAME=VALUE (repeatable)"}
}

func (a *app) runCommand() *cli.Command {
	flags := append(commonRunFlags(), inputFlag())
	flags = append(flags, leakedKeyFlags()...)
	flags = append(flags, notifyFlags(true)...)
	flags = append(flags, inputFlagsOf(nil)...)
	return &cli.Command{
		Name:      "run",
		Usage:     "run a playbook (a built-in name or a file)",
		ArgsUsage: "PLAYBOOK",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr(fmt.Errorf("run takes exactly one PLAYBOOK (a built-in name or a file); see keyir playbooks"))
			}
			// --key and --input have their own, more precise refusals.
			if err := a.refuseKeyShapedFlags(c, "key", "input"); err != nil {
				return err
			}
			o, err := a.runOptionsOf(c)
			if err != nil {
				return err
			}
			o.playbook, o.inputs = c.Args().First(), c.StringSlice("input")
			if err := checkBaselineFlag(o.flagInputs["baseline"]); err != nil {
				return err
			}
			return a.runPlaybook(c.Context, o)
		},
	}
}

// keySource is where the leaked key is read from: "-" (stdin, --key -), the
// --key-file path, or "" for neither. --key with any other value is refused
// after registering it: a key on the command line ends up in shell history
// and process lists.
func (a *app) keySource(c *cli.Context) (string, error) {
	from := c.String("key-file")
	switch k := c.String("key"); {
	case k == "-":
		if from != "" {
			return "", usageErr(fmt.Errorf("--key - and --key-file are exclusive"))
		}
		return "-", nil
	case k != "":
		a.red.Add(k)
		return "", usageErr(fmt.Errorf("--key takes only \"-\" (read the key from stdin): a key on the command line ends up in shell history and process lists; use --key - or --key-file"))
	}
	return from, nil
}

func (a *app) runPlaybook(ctx context.Context, o runOptions) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	pb, err := playbook.Resolve(o.playbook)
	if err != nil {
		return a.reportLoadError(err)
	}
	return a.runResolved(ctx, pb, o)
}

// runResolved runs a loaded playbook the way `keyir run` does: inputs,
// incident, preflight, notifications, the run, its summary and exit code.
// `keyir respond` comes here too, with the playbook it recognised and the
// keys it already read (o.keys), so both commands are one path.
func (a *app) runResolved(ctx context.Context, pb *playbook.Playbook, o runOptions) error {
	pb.RegisterShapes(a.red)
	for _, cr := range pb.Credentials {
		if err := checkCredentialFile(cr.Env, a.getenv); err != nil {
			return err
		}
	}
	given, err := a.givenInputs(pb, o.inputs, o.flagInputs, o.keyFrom)
	if err != nil {
		return err
	}
	leaked := given["key"]
	for _, name := range slices.Sorted(maps.Keys(o.keys)) {
		a.red.Add(o.keys[name])
		given[name] = o.keys[name]
		if leaked == "" {
			leaked = o.keys[name]
		}
	}
	if err := normaliseTimes(pb, given, time.Now()); err != nil {
		return err
	}
	// Before anything is written or sent (the runner checks again, for
	// every other caller).
	a.red.AddShapes(o.incident)
	if err := report.ValidateIncident(o.incident, a.red); err != nil {
		return usageErr(fmt.Errorf("--incident: %w", err))
	}
	if err := a.checkBaselineAccount(ctx, given["baseline"]); err != nil {
		return err
	}
	mode := report.ModeLive
	if o.dryRun {
		mode = report.ModeDryRun
	}
	// Inputs are checked before the preflight, so a bad input is named as
	// such rather than hidden behind a credential problem (Run checks again).
	if _, err := pb.ResolveInputs(given); err != nil {
		return usageErr(err)
	}
	hub, err := a.startHub(o.notify, leaked)
	if err != nil {
		return err
	}
	defer a.stopHub(hub)
	if err := a.preflightRun(ctx, pb, given, o); err != nil {
		return err
	}
	var onPlan func(*playbook.Plan)
	if o.dryRun { // what the run would change, before it reads anything
		onPlan = func(p *playbook.Plan) {
			fmt.Fprintln(a.errOut, "DRY RUN — every step below that changes something is refused and recorded as planned.")
			_ = p.WriteText(a.errOut)
		}
	}
	res, err := playbook.Run(ctx, pb, withHub(playbook.Options{
		Mode:        mode,
		Incident:    o.incident,
		Operator:    a.operator(),
		ReportsRoot: o.reports,
		Given:       given,
		Redactor:    a.red,
		Getenv:      a.getenv,
		ReadFile:    a.readFile,
		Observer:    a.console(),
		Version:     version,
		OnPlan:      onPlan,
	}, hub))
	if err != nil {
		return err
	}
	err = a.printResult(res, o.output)
	switch {
	case res.ExitCode == report.ExitDone:
	case len(pb.Keys) > 0:
		// The keys are never stored: the resume reads the report again.
		again := " --from " + shellQuote(o.from)
		if o.fromFormat != "auto" {
			again += " --format " + o.fromFormat
		}
		a.resumeHint(res.Dir, again)
	case leaked != "":
		a.resumeHint(res.Dir, " --key - < FILE-WITH-THE-LEAKED-KEY")
	default:
		a.resumeHint(res.Dir, "")
	}
	return err
}

func checkOutput(o string) error {
	if o != "text" && o != "json" {
		if redact.LooksLikeKey(o) {
			return usageErr(fmt.Errorf("--output must be text or json (the value given is not shown)"))
		}
		return usageErr(fmt.Errorf("--output must be text or json, not %q", o))
	}
	return nil
}

// reportLoadError prints every playbook problem as FILE:LINE:COL: message.
func (a *app) reportLoadError(err error) error {
	var probs playbook.Problems
	if pe, ok := err.(playbook.Problems); ok {
		probs = pe
	}
	if len(probs) == 0 {
		return usageErr(err)
	}
	for _, p := range probs {
		a.printProblem(p.Error())
	}
	return &exitError{code: report.ExitUsage, err: err, reported: true}
}

// printProblem prints one playbook problem. A problem may quote the
// playbook's text, a key pasted into it included: its key-shaped words are
// registered first, so the terminal shows their tokens.
func (a *app) printProblem(msg string) {
	a.red.AddShapes(msg)
	// One problem, one line: its FILE (and any name it quotes) may carry a
	// line break or an escape sequence that would forge or repaint a line.
	fmt.Fprintln(a.errOut, render.EscapedLine(msg))
}

// givenInputs collects NAME=VALUE inputs, the convenience flags, and the
// leaked key from stdin or a file. Inputs the playbook does not declare are
// reported by ResolveInputs with a suggestion.
//
// Secrets come only through their doors: the leaked key through --key - or
// --key-file, any other secret input NAME through the file named by
// KEYIR_INPUT_<NAME>_FILE. A secret input given with --input (or
// KEYIR_INPUT), and a value shaped like a key given for an input that is not
// secret (a key pasted as --key-id), are refused: the value would sit in shell
// history, ps output and the environment. The value is registered with the
// redactor first and never quoted.
func (a *app) givenInputs(pb *playbook.Playbook, raw []string, flagInputs map[string]string, keyFrom string) (map[string]string, error) {
	given := map[string]string{}
	secret := map[string]bool{}
	for _, n := range pb.SecretInputs() {
		secret[n] = true
	}
	for _, kv := range raw {
		name, value, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			a.red.Add(kv)
			return nil, usageErr(fmt.Errorf("--input %q: want NAME=VALUE", a.red.String(kv)))
		}
		if redact.LooksLikeKey(name) {
			a.red.AddShapes(name)
			return nil, usageErr(fmt.Errorf("--input: the input's name has the shape of an API key (it is not shown); want NAME=VALUE"))
		}
		if secret[name] {
			a.red.Add(value)
			return nil, usageErr(fmt.Errorf("--input %s: %s is a secret input and cannot be given with --input or KEYIR_INPUT (the value is not shown): %s", name, name, secretDoor(name)))
		}
		if err := a.notAKey("--input "+name, value); err != nil {
			return nil, err
		}
		if _, dup := given[name]; dup {
			return nil, usageErr(fmt.Errorf("--input %s given twice", name))
		}
		given[name] = value
	}
	for k, v := range flagInputs {
		if err := a.notAKey("--"+strings.ReplaceAll(k, "_", "-"), v); err != nil {
			return nil, err
		}
		if !declares(pb, k) {
			return nil, usageErr(fmt.Errorf("playbook %s has no input %s for this flag", pb.Name, k))
		}
		given[k] = v
	}
	if keyFrom != "" {
		if !declares(pb, "key") {
			return nil, usageErr(fmt.Errorf("playbook %s takes no leaked key (no input named key)", pb.Name))
		}
		key, err := a.readKey(keyFrom)
		if err != nil {
			return nil, err
		}
		if err := checkKeyKind(pb, key); err != nil {
			return nil, err
		}
		given["key"] = key
	}
	for _, n := range pb.SecretInputs() {
		if n == "key" {
			continue
		}
		env := secretInputEnv(n)
		path := a.getenv(env)
		if path == "" {
			continue
		}
		b, err := safefile.ReadFile(path, playbook.MaxInputSize)
		if err != nil {
			return nil, usageErr(fmt.Errorf("%s: %w", env, err))
		}
		v := strings.TrimSpace(string(b))
		a.red.Add(v)
		given[n] = v
	}
	// Secret inputs are registered before anything can print them.
	for _, n := range pb.SecretInputs() {
		a.red.Add(given[n])
	}
	return given, nil
}

// secretInputEnv is the variable naming the file of secret input name.
func secretInputEnv(name string) string {
	return "KEYIR_INPUT_" + strings.ToUpper(name) + "_FILE"
}

// secretDoor says how a secret input is given.
func secretDoor(name string) string {
	if name == "key" {
		return "give the key with --key - (stdin) or --key-file"
	}
	return "name a file holding it with " + secretInputEnv(name)
}

// refuseKeyShapedFlags refuses any string flag of c, but those excepted,
// whose value has the shape of a key: --incident, --subuser, --webhook-url,
// --email-to, a path … none of them is a door for a key.
func (a *app) refuseKeyShapedFlags(c *cli.Context, except ...string) error {
	skip := map[string]bool{}
	for _, n := range except {
		skip[n] = true
	}
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if skip[name] || !c.IsSet(name) {
			continue
		}
		var values []string
		switch f.(type) {
		case *cli.StringFlag:
			values = []string{c.String(name)}
		case *cli.StringSliceFlag:
			values = c.StringSlice(name)
		}
		for _, v := range values {
			if err := a.notAKey("--"+name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// notAKey refuses a value with the shape of a key where no key belongs (an
// input that is not secret, a convenience flag), after registering it.
func (a *app) notAKey(what, v string) error {
	if !redact.LooksLikeKey(v) {
		return nil
	}
	a.red.AddShapes(v)
	hint := "keys are given only with --key - or --key-file"
	if what == "--key-id" {
		hint = "--key-id takes the key id, the middle part of SG.<id>.<secret>; give the key itself with --key - or --key-file"
	}
	return usageErr(fmt.Errorf("%s: the value has the shape of an API key and is refused (it is not shown); %s", what, hint))
}

func declares(pb *playbook.Playbook, name string) bool {
	for _, in := range pb.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// maxKeyLine bounds the line a leaked key is read from.
const maxKeyLine = 4096

// readKey reads the leaked key from stdin ("-") or a file: the first
// non-empty line, bounded, so a pasted file of junk cannot exhaust memory.
func (a *app) readKey(from string) (string, error) {
	var r io.Reader
	what := "stdin"
	if from == "-" {
		r = a.stdin
	} else {
		b, err := a.readFile(from)
		if err != nil {
			return "", usageErr(fmt.Errorf("--key-file: %w", err))
		}
		r = strings.NewReader(string(b))
		what = from
	}
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	sc.Buffer(make([]byte, maxKeyLine), maxKeyLine)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			a.red.Add(line)
			return line, nil
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		// bufio's "token too long" tells the operator nothing.
		return "", usageErr(fmt.Errorf("the first line on %s is longer than %d bytes: no key keyir knows is that long (it is not shown)", what, maxKeyLine))
	} else if err != nil {
		return "", usageErr(fmt.Errorf("reading the leaked key from %s: %w", what, err))
	}
	return "", usageErr(fmt.Errorf("no leaked key on %s", what))
}

// runJSON is the document --output json prints.
type runJSON struct {
	RunID        string         `json:"run_id"`
	ReportDir    string         `json:"report_dir"`
	ExitCode     int            `json:"exit_code"`
	ExitMeaning  string         `json:"exit_meaning"`
	ManifestHead string         `json:"manifest_head"`
	Report       *report.Report `json:"report"`
}

func (a *app) printResult(res *playbook.Result, output string) error {
	if output == "json" {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(runJSON{RunID: res.Report.Run.ID, ReportDir: res.Dir, ExitCode: res.ExitCode, ExitMeaning: report.ExitMeaning(res.ExitCode), ManifestHead: res.Head, Report: res.Report}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.out)
		if err := a.renderRunSummary(a.out, res.Report, res.Dir); err != nil {
			return err
		}
	}
	return withCode(res.ExitCode)
}
