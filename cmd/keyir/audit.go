package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/actions"
	sgactions "github.com/keyir/keyir/actions/sendgrid"
	"github.com/keyir/keyir/audit"
	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/safefile"
	"github.com/keyir/keyir/transport"
)

// maxBaseline bounds a baseline file read (a 100-key account with every
// surface is a few hundred KiB).
const maxBaseline = 16 << 20

func (a *app) auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "check the SendGrid account's API-key best practices (least privilege, rotation, monitoring, IP allow list, HTTPS, separate keys, no sharing, 2FA, auditing); reads only",
		Description: "Exit 0 when no check fails at or above --fail-on, 3 when one does, 1 when the audit could not run, 2 on bad usage.\n" +
			"The evidence (journal, audit.json/.txt/.html, MANIFEST) is written to a timestamped directory under --reports.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "subuser", Usage: "audit this subuser only (on-behalf-of)"},
			&cli.BoolFlag{Name: "all-subusers", Usage: "audit the parent account and every subuser"},
			&cli.StringSliceFlag{Name: "baseline", Usage: "inventory saved by 'keyir inventory save' (repeatable: the oldest gives key ages, the newest the drift)"},
			&cli.StringFlag{Name: "fail-on", Value: "high", Usage: "lowest severity of a failure that makes the exit code 3: info, low, medium, high or critical"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "what stdout gets: text, json or html"},
			&cli.StringSliceFlag{Name: "trusted-domain", EnvVars: []string{"KEYIR_TRUSTED_DOMAINS"}, Usage: "domain forwarding and alert addresses may use (repeatable; default: the account owner's)"},
			&cli.StringFlag{Name: "reports", Value: "reports", EnvVars: []string{"KEYIR_REPORTS"}, Usage: "root directory for evidence reports"},
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
			if res != nil && res.dir != "" {
				fmt.Fprintf(a.errOut, "evidence: %s (MANIFEST head %s)\n", res.dir, res.head)
			}
			if err != nil {
				return err
			}
			var out []byte
			switch o.output {
			case "json":
				out = res.json
			case "html":
				out = res.html
			default:
				out = res.text
			}
			if _, err := a.out.Write(out); err != nil {
				return err
			}
			return withCode(res.code)
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
func loadBaseline(path string) (*sgactions.Baseline, error) {
	raw, err := safefile.ReadFile(path, maxBaseline)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	var b sgactions.Baseline
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("--baseline %s: not an inventory file: %v", path, err)
	}
	if b.TakenAt.IsZero() {
		return nil, fmt.Errorf("--baseline %s: no taken_at: not an inventory file written by 'keyir inventory save'", path)
	}
	return &b, nil
}

type auditResult struct {
	results          []audit.Result
	sum              audit.Summary
	text, json, html []byte // redacted
	dir, head        string
	code             int
}

// runAudit reads the account, runs the checks and writes the evidence like
// a run: report.Create's timestamped directory, a journal (the plan, each
// failure as a finding, each gap as a note), audit.json/.txt/.html, then
// Finish (report.json/.md/.html and the chained MANIFEST). Every byte
// written has passed through the redactor, which knows the responder key.
func (a *app) runAudit(ctx context.Context, o auditOpts) (*auditResult, error) {
	now := time.Now().UTC()
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
	for k, v := range inputs {
		inputs[k] = a.red.String(v)
	}
	run := report.Run{ID: playbook.NewRunID(), Playbook: "keyir-audit", Mode: report.ModeDryRun, Operator: a.red.String(a.operator()),
		Version: version, Inputs: inputs, Started: now, Status: report.RunRunning}
	st, err := report.Create(o.reports, run)
	if err != nil {
		return nil, err
	}
	res := &auditResult{dir: st.Dir()}
	step := report.Step{Index: 1, ID: "audit", Action: "sendgrid.audit", Status: report.StepPending, Critical: true}
	if err := st.Append(report.Event{Type: report.EventRunStarted, Run: &run, Steps: []report.Step{step}}); err != nil {
		return res, err
	}
	_ = st.Append(report.Event{Type: report.EventStepStarted, Step: "audit", Index: 1, Attempt: 1})

	// The audit only reads: the dry-run transport refuses any write, so a
	// bug could never change the account.
	env := actions.StandaloneEnv("audit", a.getenv, a.readFile, a.red, http.DefaultTransport)
	env.HTTP = transport.NewClient(transport.Options{DryRun: true, Step: "audit", Redactor: a.red, Base: http.DefaultTransport})
	// Waits for rate limits (Email Activity allows 6 queries a minute) are
	// shown, so a long audit does not look hung.
	env.Recorder = progressOnly{a}
	started := time.Now()
	snap, rerr := audit.Read(ctx, env, o.read)
	if rerr != nil {
		code := report.ExitCouldNotRun
		_ = st.Append(report.Event{Type: report.EventStepFinished, Step: "audit", Index: 1, Status: report.StepFailed, Error: a.red.String(rerr.Error()), Duration: time.Since(started)})
		_ = st.Append(report.Event{Type: report.EventRunFinished, ExitCode: &code, RunStatus: report.RunFailed})
		res.head, _ = st.Finish(nil)
		if errors.Is(rerr, audit.ErrUnknownSubuser) {
			return res, usageErr(fmt.Errorf("--subuser: %w", rerr))
		}
		return res, fmt.Errorf("audit could not run: %w", rerr)
	}
	res.results = audit.Run(snap)
	res.sum = audit.Summarize(res.results, o.failOn)
	if err := st.WriteFile("evidence/001-audit-snapshot.json", a.redJSON(snap)); err != nil {
		return res, err
	}
	for _, r := range res.results {
		switch r.Status {
		case audit.Fail:
			f := report.Finding{Kind: "audit." + r.ID, Subject: a.red.String(r.Subject), Severity: r.Severity, Step: "audit",
				Title: a.red.String(r.ID + ": " + r.Subject), Detail: a.red.String(r.Detail + ". Fix: " + r.Fix)}
			if err := st.Append(report.Event{Type: report.EventFinding, Step: "audit", Finding: &f}); err != nil {
				return res, err
			}
		case audit.NotAssessable:
			n := report.Note{Step: "audit", Time: time.Now().UTC(), Text: a.red.String(r.ID + " (" + r.Subject + "): " + r.Detail)}
			_ = st.Append(report.Event{Type: report.EventNote, Step: "audit", Note: &n})
		}
	}
	var tb, jb, hb bytes.Buffer
	if err := audit.WriteText(&tb, res.results, res.sum); err != nil {
		return res, err
	}
	if err := audit.WriteJSON(&jb, res.results, res.sum); err != nil {
		return res, err
	}
	if err := audit.WriteHTML(&hb, res.results, res.sum, now); err != nil {
		return res, err
	}
	res.text, res.json, res.html = a.red.Bytes(tb.Bytes()), a.red.Bytes(jb.Bytes()), a.red.Bytes(hb.Bytes())
	for name, data := range map[string][]byte{"audit.txt": res.text, "audit.json": res.json, "audit.html": res.html} {
		if err := st.WriteFile(name, data); err != nil {
			return res, err
		}
	}
	res.code = report.ExitDone
	if res.sum.Breaches > 0 {
		res.code = report.ExitDegraded
	}
	outputs := map[string]any{"results": res.sum.Results, "fail": res.sum.Fail, "pass": res.sum.Pass, "not_assessable": res.sum.NotAssessable,
		"failed_checks": res.sum.FailedIDs, "fail_on": string(o.failOn), "breaches": res.sum.Breaches}
	if err := st.Append(report.Event{Type: report.EventStepFinished, Step: "audit", Index: 1, Status: report.StepOK, Outputs: outputs, Duration: time.Since(started)}); err != nil {
		return res, err
	}
	runStatus := report.RunSucceeded
	if res.code != report.ExitDone {
		runStatus = report.RunDegraded
	}
	if err := st.Append(report.Event{Type: report.EventRunFinished, ExitCode: &res.code, RunStatus: runStatus}); err != nil {
		return res, err
	}
	if res.head, err = st.Finish(nil); err != nil {
		return res, err
	}
	return res, nil
}

// redJSON is v as indented JSON, through the redactor.
func (a *app) redJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		b = []byte(fmt.Sprintf("%q", err.Error()))
	}
	return a.red.Bytes(append(b, '\n'))
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
