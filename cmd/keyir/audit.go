package main

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "net/http"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// maxBaseline bounds a baseline file read (a 100-key account with every
// surface is a few hundred KiB).
const maxBaseline = 16 << 20

func (a *app) auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "check the account's API-key best practices, before anything leaks (reads only)",
		Description: "Practices checked: least privilege, rotation, monitoring, IP allow list, HTTPS, separate keys, no sharing, two-factor authentication, auditing.\n" +
			"The evidence (journal, audit.json/.txt/.html, MANIFEST) is written to a timestamped directory under --reports.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "subuser", EnvVars: envOf("subuser"), Usage: "audit this subuser only (on-behalf-of)"},
			&cli.BoolFlag{Name: "all-subusers", EnvVars: envOf("all-subusers"), Usage: "audit the parent account and every subuser"},
			&cli.StringSliceFlag{Name: "baseline", EnvVars: envOf("baseline"), Usage: "inventory saved by 'keyir inventory save' (repeatable: the oldest gives key ages, the newest the drift)"},
			&cli.StringFlag{Name: "fail-on", Value: "high", EnvVars: envOf("fail-on"), Usage: "lowest severity of a failure that makes the exit code 3: info, low, medium, high or critical"},
			outputFlagUsage("what stdout gets: text, json or html"),
			&cli.StringSliceFlag{Name: "trusted-domain", EnvVars: append(envOf("trusted-domain"), "KEYIR_TRUSTED_DOMAINS"), Usage: "domain forwarding and alert addresses may use (repeatable; default: the account owner's)"},
			reportsFlag("root directory for evidence reports"),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr(fmt.Errorf("audit takes no arguments (got %d)", c.NArg()))
			}
			if err := a.refuseKeyShapedFlags(c); err != nil {
				return err
			}
			o, err := a.auditOptions(c)
			if err != nil {
				return err
			}
			res, err := a.runAudit(c.Context, o)
			if res != nil && res.Dir != "" {
				fmt.Fprintf(a.errOut, "evidence: %s (MANIFEST head %s)\n", res.Dir, res.Head)
			}
			if err != nil {
				return err
			}
			out := res.Text
			switch o.output {
			case "json":
				out = res.JSON
			case "html":
				out = res.HTML
			}
			if _, err := a.out.Write(out); err != nil {
				return err
			}
			return withCode(res.ExitCode)
		},
	}
}

type auditOpts struct {
	read    audit.Options
	failOn  report.Severity
	output  string
	reports string
}

func (a *app) auditOptions(c *cli.Context) (auditOpts, error) {
	o := auditOpts{output: c.String("output"), reports: c.String("reports")}
	var err error
	if o.failOn, err = audit.ParseSeverity(c.String("fail-on")); err != nil {
		return o, usageErr(fmt.Errorf("--fail-on: %w", err))
	}
	switch o.output {
	case "text", "json", "html":
	default:
		return o, usageErr(fmt.Errorf("--output %q: want text, json or html", o.output))
	}
	o.read.Subuser = strings.TrimSpace(c.String("subuser"))
	o.read.AllSubusers = c.Bool("all-subusers")
	if o.read.Subuser != "" && o.read.AllSubusers {
		return o, usageErr(fmt.Errorf("--subuser and --all-subusers exclude each other"))
	}
	for _, d := range c.StringSlice("trusted-domain") {
		for _, p := range strings.Split(d, ",") {
			if p = strings.ToLower(strings.Trim(strings.TrimSpace(p), ".")); p != "" {
				o.read.Trusted = append(o.read.Trusted, p)
			}
		}
	}
	for _, p := range c.StringSlice("baseline") {
		b, err := loadBaseline(p)
		if err != nil {
			return o, usageErr(err)
		}
		o.read.Baselines = append(o.read.Baselines, b)
		o.read.BaselinePaths = append(o.read.BaselinePaths, p)
	}
	return o, nil
}

// loadBaseline reads an inventory file without following links, bounded.
func loadBaseline(path string) (*sendgrid.Baseline, error) {
	raw, err := safefile.ReadFile(path, maxBaseline)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	var b sendgrid.Baseline
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("--baseline %s: not an inventory file: %v", path, err)
	}
	if b.TakenAt.IsZero() {
		return nil, fmt.Errorf("--baseline %s: no taken_at: not an inventory file written by 'keyir inventory save'", path)
	}
	return &b, nil
}

// runAudit runs audit.Execute with the invocation's credentials, redactor
// and operator; the client's progress (rate-limit waits) goes to stderr.
func (a *app) runAudit(ctx context.Context, o auditOpts) (*audit.Outcome, error) {
	inputs := map[string]string{"fail_on": string(o.failOn), "output": o.output}
	if o.read.Subuser != "" {
		inputs["subuser"] = o.read.Subuser
	}
	if o.read.AllSubusers {
		inputs["all_subusers"] = "true"
	}
	if len(o.read.BaselinePaths) > 0 {
		inputs["baseline"] = strings.Join(o.read.BaselinePaths, ", ")
	}
	if len(o.read.Trusted) > 0 {
		inputs["trusted_domains"] = strings.Join(o.read.Trusted, ", ")
	}
	env := actions.StandaloneEnv("audit", a.getenv, a.readFile, a.red, http.DefaultTransport)
	// Waits for rate limits (Email Activity allows 6 queries a minute) are
	// shown, so a long audit does not look hung.
	env.Recorder = progressOnly{a}
	res, err := audit.Execute(ctx, audit.RunOptions{Read: o.read, FailOn: o.failOn, Reports: o.reports, RunID: playbook.NewRunID(),
		Operator: a.operator(), Version: version, Inputs: inputs, Env: env, Base: http.DefaultTransport})
	switch {
	case err == nil:
	case errors.Is(err, audit.ErrUnknownSubuser):
		return res, usageErr(fmt.Errorf("--subuser: %w", err))
	case res != nil && res.Dir != "":
		return res, fmt.Errorf("audit could not run: %w", err)
	}
	return res, err
}

// progressOnly prints the client's progress lines (rate-limit waits,
// retries) to stderr; an audit records its results itself.
type progressOnly struct{ a *app }

func (p progressOnly) Progress(text string)               { fmt.Fprintf(p.a.errOut, "audit: %s\n", text) }
func (progressOnly) Evidence(string, any) (string, error) { return "", nil }
func (progressOnly) Finding(report.Finding)               {}
func (progressOnly) Note(string)                          {}
func (progressOnly) Containment(report.Containment)       {}
func (progressOnly) Planned(report.PlannedChange)         {}
