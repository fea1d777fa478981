package chatops

import "bytes"
import "context"
import "fmt"
import "net/http"
import "strings"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

// VerbAudit runs `keyir audit` on the account: reads only, so it needs no
// approval, only an allow-listed user in an allowed channel (HandleCommand
// authorizes every verb the same way).
const VerbAudit = "audit"

// auditTimeout bounds one audit (Email Activity's 6 queries a minute make a
// large account slow).
const auditTimeout = 30 * time.Minute

// startAudit runs the audit in the background and posts its summary, with
// audit.html attached, in the channel it was asked in.
func (s *Server) startAudit(c Command) Reply {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runAudit(c)
	}()
	return ephemeral("Auditing the SendGrid account's API-key practices (reads only); the summary and the HTML report will be posted here.")
}

func (s *Server) runAudit(c Command) {
	ctx, cancel := context.WithTimeout(s.runCtx, auditTimeout)
	defer cancel()
	env := actions.StandaloneEnv("audit", s.o.Getenv, s.o.ReadFile, s.red, http.DefaultTransport)
	env.Now = s.o.Now
	runID := playbook.NewRunID()
	s.auditf(AuditEvent{Event: AuditRunStarted, Transport: c.Transport, User: c.User, Channel: c.Channel, Verb: VerbAudit, RunID: runID})
	res, err := audit.Execute(ctx, audit.RunOptions{
		Read: audit.Options{AllSubusers: true}, FailOn: report.High, Reports: s.cfg.ReportsDir, RunID: runID,
		Operator: "slack:" + c.User, Version: s.o.Version, Inputs: map[string]string{"requested_in": c.Channel, "all_subusers": "true"}, Env: env,
	})
	ev := AuditEvent{Event: AuditRunOutcome, Transport: c.Transport, User: c.User, Channel: c.Channel, Verb: VerbAudit, RunID: runID}
	if res != nil {
		ev.RunDir, ev.ExitCode = res.Dir, &res.ExitCode
	}
	if err != nil {
		ev.RunStatus, ev.Reason = "failed", "audit could not run"
		s.auditf(ev)
		s.post(ctx, c.Channel, "", "keyir audit could not run: "+notify.SlackEscape(s.red.String(err.Error())))
		return
	}
	ev.RunStatus = "succeeded"
	s.auditf(ev)
	s.post(ctx, c.Channel, "", auditSummary(res))
	body := s.red.Bytes(res.HTML) // already redacted; it is leaving the process
	err = s.retry(ctx, func() error {
		_, err := s.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Filename: "keyir-audit.html", FileSize: len(body), Reader: bytes.NewReader(body), Channel: c.Channel, Title: "keyir audit " + runID,
		})
		return err
	})
	if err != nil {
		s.logf("audit %s: attaching the report: %v", runID, err)
	}
}

// auditSummary is the Slack message: the verdict, a line per practice with
// failures, and where the evidence is.
func auditSummary(res *audit.Outcome) string {
	sum := res.Summary
	var b strings.Builder
	verdict := ":white_check_mark: no failure at or above " + string(sum.FailOn)
	if sum.Pass == 0 && sum.Fail == 0 { // no check ran to a verdict: nothing to tick
		verdict = ":grey_question: nothing could be assessed (the report says why for each check)"
	}
	if sum.Breaches > 0 {
		verdict = fmt.Sprintf(":rotating_light: %d failure(s) at or above %s", sum.Breaches, sum.FailOn)
	}
	fmt.Fprintf(&b, "*keyir audit*: %s (%d checks: %d fail, %d pass, %d not assessable)\n", verdict, sum.Checks, sum.Fail, sum.Pass, sum.NotAssessable)
	for _, p := range audit.Practices {
		if c, ok := sum.ByPractice[p]; ok && c.Fail > 0 {
			fmt.Fprintf(&b, "• %s: %d fail\n", p, c.Fail)
		}
	}
	if len(sum.FailedIDs) > 0 {
		fmt.Fprintf(&b, "Failed checks: %s\n", notify.SlackEscape(strings.Join(sum.FailedIDs, ", ")))
	}
	fmt.Fprintf(&b, "Evidence on the keyir server: `%s` (MANIFEST head `%.16s…`)", notify.SlackEscape(res.Dir), res.Head)
	return b.String()
}
