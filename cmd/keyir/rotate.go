package main

import "bufio"
import "context"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "net/http"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "time"

import "github.com/urfave/cli/v2"
import "golang.org/x/term"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/htmlreport"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/transport"

// isTerminal says whether a stream is a terminal; tests replace it.
var isTerminal = func(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func init() {
	commandHelp["rotate"] = struct {
		examples []string
		codes    []int
	}{[]string{
		"keyir rotate reports/RUN --out /run/secrets/sendgrid.key",
		"keyir rotate reports/RUN --exec 'my-vault-writer sendgrid'",
		"keyir rotate reports/RUN --dry-run",
	}, []int{0, 1, 2}}
}

// rotateBase is the HTTP transport under rotate's guarded client; tests
// may replace it.
var rotateBase http.RoundTripper = http.DefaultTransport

func (a *app) rotateCommand() *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "recover: create a replacement for the leaked key of a finished incident run, with exactly its recorded scopes",
		ArgsUsage: "DIR",
		Description: "DIR is the incident run's evidence directory; it must verify against its MANIFEST. The replacement gets the scopes the run " +
			"recorded for the leaked key (never more), in the account that held it, named after it with today's date. Its secret goes " +
			"only to --out FILE (a new file, mode 0600) or to the standard input of --exec CMD; nothing else ever holds it. The new " +
			"key's id, name, scopes and fingerprint are recorded as a new run linked to DIR.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the new secret to this new `FILE` (created 0600; an existing file or link is refused); \"-\" prints it, on a terminal only"},
			&cli.StringFlag{Name: "exec", Usage: "give the new secret to the standard input of `CMD` (split on blanks, run without a shell), e.g. a secret manager's CLI"},
			&cli.BoolFlag{Name: "yes", Usage: "create a full-access replacement without asking (a full-access original needs this, or a typed yes on a terminal)"},
			dryRunFlag("show the request that would create the key; create nothing"),
			outputFlag(),
			&cli.StringFlag{Name: "reports", EnvVars: []string{"KEYIR_REPORTS"}, Usage: "root directory for the new run (default: the one holding DIR)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr(fmt.Errorf("rotate takes one incident run directory (DIR)"))
			}
			if err := a.refuseKeyShapedFlags(c); err != nil {
				return err
			}
			o := rotateOpts{dir: c.Args().First(), out: c.String("out"), exec: strings.TrimSpace(c.String("exec")), yes: c.Bool("yes"),
				dryRun: c.Bool("dry-run"), output: c.String("output"), reports: c.String("reports")}
			return a.rotate(c.Context, o)
		},
	}
}

type rotateOpts struct {
	dir, out, exec, output, reports string
	yes, dryRun                     bool
}

// leakedKey is what the incident run recorded about the leaked key.
type leakedKey struct {
	ID, Name string
	Scopes   []string
	Account  sendgrid.Account
}

// recordedKey finds the leaked key in a run: the last locate/snapshot step
// that found it and knows its owner.
func recordedKey(rep *report.Report) (leakedKey, error) {
	var k leakedKey
	found := false
	for _, s := range rep.Steps {
		o := s.Outputs
		if o == nil || (s.Action != "sendgrid.locate_key" && s.Action != "sendgrid.snapshot_key") {
			continue
		}
		if f, _ := o["found"].(bool); !f {
			continue
		}
		if known, _ := o["owner_known"].(bool); !known {
			continue
		}
		id, _ := o["key_id"].(string)
		name, _ := o["name"].(string)
		sub, _ := o["owner"].(string)
		region, _ := o["owner_region"].(string)
		var scopes []string
		if list, ok := o["scopes"].([]any); ok {
			for _, v := range list {
				if s, ok := v.(string); ok {
					scopes = append(scopes, s)
				}
			}
		}
		k, found = leakedKey{ID: id, Name: name, Scopes: scopes, Account: sendgrid.Account{Subuser: sub, Region: region}}, true
	}
	if !found {
		return k, errors.New("the run recorded no leaked key with its owning account (no locate or snapshot step found it): there is nothing to copy, so nothing is created")
	}
	if k.Account.Region == "" {
		k.Account.Region = "global"
	}
	return k, nil
}

func (a *app) rotate(ctx context.Context, o rotateOpts) error {
	if o.output != "text" && o.output != "json" {
		return usageErr(fmt.Errorf("--output %q: want text or json", o.output))
	}
	if o.out != "" && o.exec != "" {
		return usageErr(errors.New("--out and --exec exclude each other: the new secret goes to exactly one place"))
	}
	if o.out == "" && o.exec == "" && !o.dryRun {
		return usageErr(errors.New("say where the new secret goes: --out FILE (a new file, mode 0600) or --exec CMD (its standard input); it is never printed"))
	}
	if o.out == "-" && !isTerminal(a.stdout) {
		return usageErr(errors.New("--out - prints the new secret, and only to a terminal: stdout is not one (use --out FILE or --exec CMD)"))
	}
	var argv []string
	if o.exec != "" {
		argv = strings.Fields(o.exec)
		if _, err := lookPath(argv[0]); err != nil {
			return usageErr(fmt.Errorf("--exec: %w", err))
		}
	}
	if o.out != "" && o.out != "-" {
		if _, err := os.Lstat(o.out); err == nil {
			return usageErr(fmt.Errorf("--out %s exists already: keyir never overwrites a file with a secret (choose a new path)", o.out))
		}
	}

	// The incident run: sealed, and exactly as sealed.
	res, err := runstore.Verify(o.dir)
	if err != nil {
		if errors.Is(err, runstore.ErrNoManifest) {
			return usageErr(fmt.Errorf("%w; rotate reads only a finished, sealed run", err))
		}
		return err
	}
	if res.Head == "" {
		// No MANIFEST: not a finished run, or its seal was removed.
		return usageErr(fmt.Errorf("%s is not a finished, sealed run (no MANIFEST): %s", o.dir, strings.Join(res.Reasons(), "; ")))
	}
	if !res.OK() {
		fmt.Fprintf(a.errOut, "keyir: refusing %s: it does not verify against its MANIFEST (TAMPERED):\n", o.dir)
		for _, r := range res.Reasons() {
			fmt.Fprintf(a.errOut, "  %s\n", r)
		}
		return withCode(report.ExitCouldNotRun)
	}
	if o.out != "" && o.out != "-" && inside(o.out, res.Dir) {
		return usageErr(fmt.Errorf("--out %s is inside the incident run's sealed directory: a secret never goes into evidence", o.out))
	}
	parent, err := runstore.Load(res.Dir)
	if err != nil {
		return err
	}
	if parent.Run.Mode == report.ModeDrill {
		return usageErr(fmt.Errorf("%s is a drill: its key lived in a simulator, there is nothing to replace", o.dir))
	}
	key, err := recordedKey(parent)
	if err != nil {
		return usageErr(fmt.Errorf("%s: %w", o.dir, err))
	}
	a.red.AddShapes(key.Name)
	scopes, err := sendgrid.GrantableScopes(key.Scopes)
	if err != nil {
		return usageErr(fmt.Errorf("%s: key %s: %w", o.dir, key.ID, err))
	}
	full := sendgrid.KeyType(scopes) == sendgrid.TypeFull
	if full && !o.yes && !o.dryRun {
		if err := a.confirmFullAccess(ctx, key); err != nil {
			return err
		}
	}

	// The secret file exists before the key does: there is always somewhere
	// to put the secret, and a path that cannot be created stops us first.
	var f *os.File
	if o.out != "" && o.out != "-" && !o.dryRun {
		if f, err = sendgrid.CreateSecretFile(o.out); err != nil {
			return usageErr(fmt.Errorf("--out: %w", err))
		}
	}
	deliver := a.deliverer(o, argv, f)
	out, rerr := a.rotateRun(ctx, o, res, parent, key, deliver)
	if f != nil && (out == nil || out.Replacement.Fingerprint == "") {
		// A file the secret never reached (or the key was deleted again);
		// once delivered, the secret file stays whatever failed after.
		f.Close()
		os.Remove(o.out)
	}
	if out == nil {
		return rerr
	}
	if err := a.printRotation(o, out, full); err != nil && rerr == nil {
		return err
	}
	if rerr != nil {
		// printRotation said what failed and where the evidence is.
		return &exitError{code: report.ExitCouldNotRun, err: rerr, reported: out.Error != ""}
	}
	return nil
}

// inside reports whether path is dir or lies under it.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// lookPath is exec.LookPath; tests may replace it.
var lookPath = execLookPath

// confirmFullAccess asks for a typed "yes" on a terminal; without one the
// answer is no.
func (a *app) confirmFullAccess(ctx context.Context, key leakedKey) error {
	refuse := usageErr(fmt.Errorf("the leaked key %s %q had FULL ACCESS, so its replacement would too: pass --yes to create it anyway (and narrow it afterwards), or create a narrower key by hand", key.ID, key.Name))
	if !isTerminal(a.stdin) || !isTerminal(a.stderr) {
		return refuse
	}
	fmt.Fprintf(a.errOut, "The leaked key %s %q had FULL ACCESS: the replacement will have full access too.\nType yes to create it: ", key.ID, key.Name)
	a.errOut.Flush()
	line, err := bufio.NewReader(newCtxReader(ctx, a.stdin)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if strings.TrimSpace(line) != "yes" {
		return refuse
	}
	return nil
}

// deliverer hands the secret to its one destination.
func (a *app) deliverer(o rotateOpts, argv []string, f *os.File) func(context.Context, string) error {
	switch {
	case f != nil:
		return func(_ context.Context, secret string) error { return sendgrid.WriteSecretFile(f, secret) }
	case o.out == "-":
		return func(_ context.Context, secret string) error {
			// The one place a secret bypasses the redactor: asked for, on a terminal.
			a.out.Flush()
			_, err := fmt.Fprintf(a.stdout, "%s\n", secret)
			return err
		}
	case len(argv) > 0:
		return func(ctx context.Context, secret string) error {
			// Its output is the child's, through the redactor, on stderr
			// (stdout stays keyir's own, one JSON document with --output json).
			err := sendgrid.SecretToCommand(ctx, argv, childEnviron(), secret, a.errOut, a.errOut)
			a.errOut.Flush()
			return err
		}
	}
	return nil
}

// childEnviron is keyir's environment without the credentials keyir reads:
// the secret manager's CLI needs its own, never the responder's key.
func childEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(credentialVars, name) || slices.Contains(credentialVars, strings.TrimSuffix(name, "_FILE")) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// rotation is the outcome printed and recorded.
type rotation struct {
	Replacement        sendgrid.Replacement   `json:"replacement"`
	DryRun             bool                   `json:"dry_run"`
	Destination        string                 `json:"destination,omitempty"`
	ReplacedKeyID      string                 `json:"replaced_key_id"`
	ParentRun          string                 `json:"parent_run"`
	ParentDir          string                 `json:"parent_dir"`
	ParentManifestHead string                 `json:"parent_manifest_head"`
	RunDir             string                 `json:"run_dir,omitempty"`
	ManifestHead       string                 `json:"manifest_head,omitempty"`
	Recommendation     string                 `json:"recommendation,omitempty"`
	Planned            []report.PlannedChange `json:"planned_requests,omitempty"`
	Error              string                 `json:"error,omitempty"`
}

const narrowAdvice = "The leaked key had FULL ACCESS, so its replacement has too. Narrow it: create a key with only the scopes the application uses (mail.send to send mail), deploy that, then delete this one."

// rotateRun records the rotation as a new run beside the incident run:
// run.json names the parent run and its MANIFEST head, the journal holds the
// plan, every request (redacted) as evidence, the outcome, and MANIFEST.
func (a *app) rotateRun(ctx context.Context, o rotateOpts, res runstore.VerifyResult, parent *report.Report, key leakedKey, deliver func(context.Context, string) error) (*rotation, error) {
	out := &rotation{DryRun: o.dryRun, ReplacedKeyID: key.ID, ParentRun: parent.Run.ID, ParentDir: res.Dir, ParentManifestHead: res.Head}
	switch {
	case o.out == "-":
		out.Destination = "stdout (terminal)"
	case o.out != "":
		out.Destination = "file " + o.out
	case o.exec != "":
		out.Destination = "stdin of " + strings.Fields(o.exec)[0]
	}
	root := o.reports
	if root == "" {
		root = filepath.Dir(res.Dir)
	}
	mode := report.ModeLive
	if o.dryRun {
		mode = report.ModeDryRun
	}
	now := time.Now().UTC()
	red := a.red
	inputs := map[string]string{
		"parent_run": parent.Run.ID, "parent_dir": res.Dir, "parent_manifest_head": res.Head,
		"key_id": key.ID, "account": key.Account.String(), "destination": out.Destination,
	}
	for k, v := range inputs {
		inputs[k] = red.String(v)
	}
	run := report.Run{ID: playbook.NewRunID(), Incident: parent.Run.Incident, Playbook: "keyir-rotate", Mode: mode,
		Operator: red.String(a.operator()), Version: version, Inputs: inputs, Started: now, Status: report.RunRunning}
	st, err := runstore.Create(root, run)
	if err != nil {
		return nil, err
	}
	out.RunDir = st.Dir()
	rec := &rotateRecorder{st: st, red: red, a: a}
	step := report.Step{Index: 1, ID: "rotate", Action: "sendgrid.rotate_key", Mutates: true, Status: report.StepPending, Critical: true}
	link := map[string]any{"parent_run": parent.Run.ID, "parent_dir": red.String(res.Dir), "parent_manifest_head": res.Head}
	if err := st.Append(report.Event{Type: report.EventRunStarted, Run: &run, Steps: []report.Step{step}, Data: link}); err != nil {
		return out, err
	}
	if err := st.Append(report.Event{Type: report.EventStepStarted, Step: "rotate", Index: 1, Attempt: 1}); err != nil {
		return out, err
	}
	env := &actions.Env{Step: "rotate", RunID: run.ID, Incident: run.Incident, Mode: mode, RunStarted: now, Now: time.Now,
		Redactor: red, Recorder: rec, Getenv: a.getenv, ReadFile: a.readFile, Dir: st.Dir()}
	// The secret is registered with the redactor by secretCatcher, under
	// the recording transport: before the exchange is written as evidence.
	env.HTTP = transport.NewClient(transport.Options{DryRun: o.dryRun, Step: "rotate", Redactor: red, Recorder: rec, Base: secretCatcher{red: red, next: rotateBase}})
	started := time.Now()
	repl, cerr := sendgrid.CreateReplacement(ctx, env, sendgrid.ReplacementRequest{Account: key.Account, Name: key.Name, Scopes: key.Scopes, Deliver: deliver})
	rec.close()
	out.Replacement = repl
	out.Planned = rec.planned
	if sendgrid.KeyType(repl.Scopes) == sendgrid.TypeFull {
		out.Recommendation = narrowAdvice
	}
	code, status, stepStatus := report.ExitDone, report.RunSucceeded, report.StepOK
	errText := ""
	switch {
	case cerr != nil:
		code, status, stepStatus = report.ExitCouldNotRun, report.RunFailed, report.StepFailed
		errText = red.String(cerr.Error())
		out.Error = errText
	case repl.Planned:
		stepStatus = report.StepPlanned
	}
	if cerr == nil && out.Recommendation != "" && !repl.Planned {
		rec.Finding(report.Finding{Kind: "rotate.full_access_replacement", Subject: repl.ID, Severity: report.High,
			Title: fmt.Sprintf("Replacement key %s has full access", repl.ID), Detail: narrowAdvice})
	}
	outputs := map[string]any{}
	if b, err := json.Marshal(out.Replacement); err == nil {
		_ = json.Unmarshal(red.Bytes(b), &outputs)
	}
	outputs["parent_run"], outputs["parent_manifest_head"] = parent.Run.ID, res.Head
	if err := st.Append(report.Event{Type: report.EventStepFinished, Step: "rotate", Index: 1, Status: stepStatus, Error: errText, Outputs: outputs, Duration: time.Since(started)}); err != nil {
		return out, errors.Join(cerr, err)
	}
	if err := st.Append(report.Event{Type: report.EventRunFinished, ExitCode: &code, RunStatus: status}); err != nil {
		return out, errors.Join(cerr, err)
	}
	head, err := st.Finish(nil, htmlreport.Renderer{})
	out.ManifestHead = head
	if err != nil {
		return out, errors.Join(cerr, fmt.Errorf("sealing the evidence: %w", err))
	}
	return out, cerr
}

func (a *app) printRotation(o rotateOpts, r *rotation, full bool) error {
	if o.output == "json" {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	w := a.out
	rp := r.Replacement
	switch {
	case r.Error != "":
		fmt.Fprintf(a.errOut, "rotation failed: %s\n", r.Error)
	case rp.Planned:
		fmt.Fprintf(w, "DRY RUN: would create %q in %s with %d scopes (%s):\n", rp.Name, rp.Account, len(rp.Scopes), rp.KeyType)
		for _, p := range r.Planned {
			fmt.Fprintf(w, "  %s %s %s\n", p.Method, p.URL, p.Body)
		}
	default:
		fmt.Fprintf(w, "Replacement key created: %s %q\n", rp.ID, rp.Name)
		fmt.Fprintf(w, "  account:     %s\n", rp.Account)
		fmt.Fprintf(w, "  scopes:      %d (%s): %s\n", len(rp.Scopes), rp.KeyType, strings.Join(rp.Scopes, ", "))
		fmt.Fprintf(w, "  fingerprint: %s\n", rp.Fingerprint)
		fmt.Fprintf(w, "  secret:      delivered to %s, nowhere else\n", r.Destination)
	}
	fmt.Fprintf(w, "replaces key %s of incident run %s (MANIFEST head %s)\n", r.ReplacedKeyID, r.ParentRun, r.ParentManifestHead)
	if r.RunDir != "" {
		fmt.Fprintf(w, "evidence: %s (MANIFEST head %s)\n", r.RunDir, r.ManifestHead)
	}
	if full || r.Recommendation != "" {
		fmt.Fprintln(w, narrowAdvice)
	}
	return nil
}
