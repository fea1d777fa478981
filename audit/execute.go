package audit

import "bytes"
import "context"
import "encoding/json"
import "fmt"
import "net/http"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/htmlreport"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/transport"

// RunOptions say how to run an audit as a run with evidence.
type RunOptions struct {
	Read    Options
	FailOn  report.Severity
	Reports string // root of the evidence directories
	RunID   string // runstore.ValidateRunID
	// Operator, Version and Inputs go to run.json (through the redactor).
	Operator, Version string
	Inputs            map[string]string
	// Env carries the responder credential, the clock, the redactor and a
	// progress recorder; its HTTP client is replaced by the dry-run transport
	// over Base, so an audit can never write.
	Env  *actions.Env
	Base http.RoundTripper
}

// Outcome is a finished audit: the results, their renderings (redacted), the
// evidence directory and its MANIFEST head, and the exit code (0, or 3 when a
// failure is at or above FailOn).
type Outcome struct {
	Results          []Result
	Summary          Summary
	Text, JSON, HTML []byte
	Dir, Head        string
	ExitCode         int
}

// Execute reads the account, runs the checks and writes the evidence like a
// playbook run: runstore.Create's timestamped directory, a journal (the plan,
// each failure as a finding, each gap as a note), the snapshot read,
// audit.json/.txt/.html, then Finish (report.json/.md/.html and the chained
// MANIFEST). Every byte written has passed through the redactor. When the
// account cannot be read, the evidence records why, and the error is
// returned with the Outcome (Dir and Head set).
func Execute(ctx context.Context, o RunOptions) (*Outcome, error) {
	red := o.Env.Redactor
	now := time.Now().UTC()
	if o.Env.Now != nil {
		now = o.Env.Now().UTC()
	}
	inputs := map[string]string{}
	for k, v := range o.Inputs {
		inputs[k] = red.String(v)
	}
	run := report.Run{ID: o.RunID, Playbook: "keyir-audit", Mode: report.ModeDryRun, Operator: red.String(o.Operator),
		Version: o.Version, Inputs: inputs, Started: now, Status: report.RunRunning}
	st, err := runstore.Create(o.Reports, run)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Dir: st.Dir()}
	step := report.Step{Index: 1, ID: "audit", Action: "sendgrid.audit", Status: report.StepPending, Critical: true}
	if err := st.Append(report.Event{Type: report.EventRunStarted, Run: &run, Steps: []report.Step{step}}); err != nil {
		return out, err
	}
	if err := st.Append(report.Event{Type: report.EventStepStarted, Step: "audit", Index: 1, Attempt: 1}); err != nil {
		return out, err
	}
	base := o.Base
	if base == nil {
		base = http.DefaultTransport
	}
	o.Env.HTTP = transport.NewClient(transport.Options{DryRun: true, Step: "audit", Redactor: red, Base: base})
	started := time.Now()
	snap, rerr := Read(ctx, o.Env, o.Read)
	if rerr != nil {
		code := report.ExitCouldNotRun
		_ = st.Append(report.Event{Type: report.EventStepFinished, Step: "audit", Index: 1, Status: report.StepFailed, Error: red.String(rerr.Error()), Duration: time.Since(started)})
		_ = st.Append(report.Event{Type: report.EventRunFinished, ExitCode: &code, RunStatus: report.RunFailed})
		out.Head, _ = st.Finish(nil, htmlreport.Renderer{})
		out.ExitCode = code
		return out, rerr
	}
	out.Results = Run(snap)
	out.Summary = Summarize(out.Results, o.FailOn)
	snapJSON, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		return out, err
	}
	if err := st.WriteFile("evidence/001-audit-snapshot.json", red.Bytes(append(snapJSON, '\n'))); err != nil {
		return out, err
	}
	for _, r := range out.Results {
		switch r.Status {
		case Fail:
			f := report.Finding{Kind: "audit." + r.ID, Subject: red.String(r.Subject), Severity: r.Severity, Step: "audit",
				Title: red.String(r.ID + ": " + r.Subject), Detail: red.String(r.Detail + ". Fix: " + r.Fix)}
			if err := st.Append(report.Event{Type: report.EventFinding, Step: "audit", Finding: &f}); err != nil {
				return out, err
			}
		case NotAssessable:
			n := report.Note{Step: "audit", Time: now, Text: red.String(r.ID + " (" + r.Subject + "): " + r.Detail)}
			if err := st.Append(report.Event{Type: report.EventNote, Step: "audit", Note: &n}); err != nil {
				return out, err
			}
		}
	}
	var tb, jb, hb bytes.Buffer
	if err := WriteText(&tb, out.Results, out.Summary); err != nil {
		return out, err
	}
	if err := WriteJSON(&jb, out.Results, out.Summary); err != nil {
		return out, err
	}
	if err := WriteHTML(&hb, out.Results, out.Summary, now); err != nil {
		return out, err
	}
	out.Text, out.JSON, out.HTML = red.Bytes(tb.Bytes()), red.Bytes(jb.Bytes()), red.Bytes(hb.Bytes())
	for _, f := range []struct {
		name string
		data []byte
	}{{"audit.txt", out.Text}, {"audit.json", out.JSON}, {"audit.html", out.HTML}} {
		if err := st.WriteFile(f.name, f.data); err != nil {
			return out, err
		}
	}
	out.ExitCode = report.ExitDone
	runStatus := report.RunSucceeded
	if out.Summary.Breaches > 0 {
		out.ExitCode, runStatus = report.ExitDegraded, report.RunDegraded
	}
	outputs := map[string]any{"results": out.Summary.Results, "fail": out.Summary.Fail, "pass": out.Summary.Pass, "not_assessable": out.Summary.NotAssessable,
		"failed_checks": out.Summary.FailedIDs, "fail_on": string(o.FailOn), "breaches": out.Summary.Breaches}
	if err := st.Append(report.Event{Type: report.EventStepFinished, Step: "audit", Index: 1, Status: report.StepOK, Outputs: outputs, Duration: time.Since(started)}); err != nil {
		return out, err
	}
	if err := st.Append(report.Event{Type: report.EventRunFinished, ExitCode: &out.ExitCode, RunStatus: runStatus}); err != nil {
		return out, err
	}
	if out.Head, err = st.Finish(nil, htmlreport.Renderer{}); err != nil {
		return out, fmt.Errorf("sealing the evidence: %w", err)
	}
	return out, nil
}
