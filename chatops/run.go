package chatops

import "context"
import "errors"
import "fmt"
import "maps"
import "os"
import "sync"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/slacknotify"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// run executes an approved request: playbook.Run with the notification hub
// anchored on the approval message, so the run's progress, findings and
// report.md go to its thread.
func (s *Server) run(r *Request, secret string) {
	if r.Kind == KindEradicate {
		s.runEradication(r)
		return
	}
	ctx := s.runCtx
	red := redact.New(s.o.BotToken, secret)
	s.post(ctx, r.Channel, r.MessageTS, fmt.Sprintf("Approved by <@%s>. Run %s is starting (%s); progress follows in this thread.", r.DecidedBy, r.RunID, modeName(r)))
	s.updatePlan(ctx, r)

	fail := func(err error) {
		s.startFailed(r, red, r.MessageTS, "the run could not start: ", "The run could not start: ", err)
	}
	pb, err := playbook.Resolve(r.Playbook)
	if err == nil && pb.SHA256 != r.PlaybookSHA {
		// The file was edited (or unreadable) since the plan was posted:
		// the approval was given to other steps.
		err = fmt.Errorf("the playbook %s changed since its plan was posted for approval (sha256 %.12s, now %.12s): nothing was run; run /keyir revoke again to approve its new plan",
			r.Playbook, r.PlaybookSHA, pb.SHA256)
	}
	if err != nil {
		fail(err)
		return
	}
	getenv := func(k string) string {
		if k == "SLACK_BOT_TOKEN" {
			return s.o.BotToken
		}
		if s.o.Getenv != nil {
			return s.o.Getenv(k)
		}
		return os.Getenv(k)
	}
	hubCfg := notify.HubConfig{Channels: map[string]map[string]any{
		"slack": {"channel": r.Channel, "api_url": s.o.SlackAPIURL},
	}, MinUpdateInterval: s.o.MinUpdateInterval}
	hub, err := notify.StartRun(hubCfg, notify.HubEnv{Redactor: red, Getenv: getenv, ReadFile: s.o.ReadFile, LeakedKey: secret})
	if err != nil {
		fail(err)
		return
	}
	defer hub.Close()
	if n, ok := hub.Notifier("slack").(*slacknotify.Notifier); ok && r.MessageTS != "" {
		n.Anchor(r.Channel, r.MessageTS)
	}
	given := map[string]string{"region": s.cfg.Region}
	if r.TokenKind != "" {
		if secret == "" { // restoreRefusal expires such a request: never reached
			fail(errors.New("the token is not held in memory (keyir serve restarted?); run /keyir revoke again"))
			return
		}
		given = map[string]string{r.TokenInput: secret}
		maps.Copy(given, inputsFromEnv(r.TokenKind, s.o.Getenv))
	} else if secret != "" {
		given["key"] = secret
	} else {
		given["key_id"] = r.KeyID
	}
	mode := report.ModeLive
	if r.DryRun {
		mode = report.ModeDryRun
	}
	opts := playbook.Options{
		Mode:        mode,
		Incident:    r.Incident,
		Operator:    "slack:" + r.Requester + " approved by slack:" + r.DecidedBy,
		ReportsRoot: s.cfg.ReportsDir,
		Given:       given,
		Redactor:    red,
		Getenv:      s.o.Getenv,
		ReadFile:    s.o.ReadFile,
		RunID:       r.RunID,
		Version:     s.o.Version,
		Services:    hub.Services(),
		Observer:    playbook.Observers{hub, &tracker{s: s, id: r.ID}},
	}
	if s.o.RunOptions != nil {
		s.o.RunOptions(&opts)
	}
	s.auditf(AuditEvent{Event: AuditRunStarted, Request: r.ID, RunID: r.RunID, User: r.DecidedBy, Channel: r.Channel, KeyID: r.KeyID, Fingerprint: r.Fingerprint, DryRun: r.DryRun})
	res, err := playbook.Run(ctx, pb, opts)
	if err != nil {
		s.runFailed(r, red.String(err.Error()), fail)
		return
	}
	// Let the thread catch up (the closing step already waited for its own
	// delivery; an interrupted run is closed by the hub now), bounded.
	if ferr := hub.Finish(context.Background(), 20*time.Second); ferr != nil {
		s.logf("run %s notifications: %v", r.RunID, ferr)
	}

	snap := s.finishRequest(r, res, "", "the run")
	pctx, pcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer pcancel()
	s.post(pctx, r.Channel, r.MessageTS, summaryText(snap, res))
	if snap.State == StateFinished { // footholds of any provider with an eradication
		s.offerEradication(pctx, snap)
	}
}

// runFailed handles the error a run returned: before the run started (no
// directory recorded by the tracker) nothing ran, and fail says it could
// not start; after, brokenRun.
func (s *Server) runFailed(r *Request, why string, fail func(error)) {
	s.mu.Lock()
	dir := s.reqs[r.ID].RunDir
	s.mu.Unlock()
	if dir == "" {
		fail(errors.New(why))
		return
	}
	s.brokenRun(r, dir, why)
}

// brokenRun records a run that failed after it started (its end could not
// be written: a disk error, its directory gone): its steps may have acted,
// so it is not "could not start". Like a run cut short it is interrupted
// and keeps its key until `keyir resume` or /keyir abandon resolves it
// (interrupted.go); the thread and the approval message say so, claiming
// nothing about the key.
func (s *Server) brokenRun(r *Request, dir, why string) {
	s.mu.Lock()
	cur := s.reqs[r.ID]
	cur.State = StateInterrupted
	cur.Detail = "the run stopped with an error after it started (" + why + "); it may have changed things; finish it with: keyir resume " + dir
	delete(s.secrets, r.ID)
	s.saveLocked(cur)
	snap := cur.clone()
	s.unlockAndFlush()
	s.auditf(AuditEvent{Event: AuditRunOutcome, Request: r.ID, RunID: r.RunID, RunDir: dir, RunStatus: string(StateInterrupted), Reason: "run error after start",
		KeyID: r.KeyID, Fingerprint: r.Fingerprint, Channel: r.Channel})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s.post(ctx, r.Channel, threadOf(r), fmt.Sprintf("Run %s stopped with an error after it started: %s. It may already have changed things: nothing is confirmed. "+
		"Finish it on the server with `keyir resume %s`, or release it with `/keyir abandon %s`.", r.RunID, notify.SlackEscape(s.red.String(why)), dir, r.ID))
	s.updatePlan(ctx, snap)
}

// finishRequest records a finished run on its request (the state, run
// directory, exit code), releases its slot unless the run was interrupted (an
// interrupted run keeps its key until resolved: interrupted.go), drops any
// secret held for it, audits the outcome and returns the request as saved.
// what names the run in the resume hint ("the run", "the eradication").
func (s *Server) finishRequest(r *Request, res *playbook.Result, verb, what string) *Request {
	code := res.ExitCode
	status := string(res.Report.Run.Status)
	s.mu.Lock()
	cur := s.reqs[r.ID]
	cur.RunDir, cur.RunStatus, cur.ExitCode = res.Dir, status, &code
	cur.State = StateFinished
	if res.Report.Run.Status == report.RunInterrupted {
		cur.State = StateInterrupted
		cur.Detail = "keyir serve stopped during " + what + "; finish it with: keyir resume " + res.Dir
	} else {
		s.releaseLocked(cur)
	}
	delete(s.secrets, r.ID)
	s.saveLocked(cur)
	snap := cur.clone()
	s.unlockAndFlush()
	s.auditf(AuditEvent{Event: AuditRunOutcome, Request: r.ID, RunID: r.RunID, RunDir: res.Dir, RunStatus: status, ExitCode: &code,
		Verb: verb, KeyID: r.KeyID, Fingerprint: r.Fingerprint, Channel: r.Channel})
	return snap
}

func modeName(r *Request) string {
	if r.DryRun {
		return "DRY RUN: every write is refused and recorded as planned"
	}
	return "live"
}

func summaryText(r *Request, res *playbook.Result) string {
	label := ""
	if r.DryRun {
		label = "[DRY RUN] "
	}
	cont := res.Report.Run.Containment.Status
	if cont == "" {
		cont = "n/a"
	}
	txt := fmt.Sprintf("%sRun %s finished: %s, containment %s, exit %d (%s).\nEvidence on the keyir server: `%s` (MANIFEST head `%.16s`; check with `keyir report verify`).",
		label, r.RunID, res.Report.Run.Status, cont, res.ExitCode, report.ExitMeaning(res.ExitCode), res.Dir, res.Head)
	if r.State == StateInterrupted {
		txt = fmt.Sprintf("%sRun %s was interrupted: keyir serve is stopping. Finish it on the server with `keyir resume %s`.", label, r.RunID, res.Dir)
	}
	return txt
}

// tracker follows a run for /keyir status and records its directory as soon
// as it exists, so a crash leaves the resume path in the data dir.
type tracker struct {
	s  *Server
	id string
}

func (t *tracker) RunStarted(rep *report.Report, dir string) {
	t.s.mu.Lock()
	if r := t.s.reqs[t.id]; r != nil {
		r.RunDir, r.RunStatus = dir, string(report.RunRunning)
		t.s.saveLocked(r)
	}
	t.s.steps[t.id] = append([]report.Step(nil), rep.Steps...)
	t.s.unlockAndFlush()
}
func (t *tracker) StepStarted(st report.Step)         { t.set(st) }
func (t *tracker) StepProgress(report.Step, string)   {}
func (t *tracker) StepFinished(st report.Step)        { t.set(st) }
func (t *tracker) RunFinished(*report.Report, string) {}

func (t *tracker) set(st report.Step) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	steps := t.s.steps[t.id]
	for i := range steps {
		if steps[i].Index == st.Index {
			steps[i] = st
			return
		}
	}
	t.s.steps[t.id] = append(steps, st)
}

// maxDrills bounds concurrent drills: each runs its own simulator.
const maxDrills = 2

// startDrill runs a tabletop drill in the background, posting to the drill
// channel (or this one).
func (s *Server) startDrill(c Command, a Args) Reply {
	s.mu.Lock()
	if s.drills >= maxDrills {
		s.mu.Unlock()
		return ephemeral("%d drills are already running; try again when one finishes.", maxDrills)
	}
	s.drills++
	s.wg.Add(1)
	s.mu.Unlock()
	channel := s.cfg.DrillChannel
	if channel == "" {
		channel = c.Channel
	}
	scenario := a.Scenario
	if scenario == "" {
		scenario = "spam-burst"
	}
	go func() {
		defer s.wg.Done()
		defer func() { s.mu.Lock(); s.drills--; s.mu.Unlock() }()
		red := redact.New(s.o.BotToken)
		res, err := drill.Run(s.runCtx, drill.Options{
			Scenario: scenario, ReportsRoot: s.cfg.ReportsDir, Operator: "slack:" + c.User, Version: s.o.Version, Redactor: red,
			Env:    map[string]string{"SLACK_BOT_TOKEN": s.o.BotToken},
			Notify: &notify.HubConfig{Channels: map[string]map[string]any{"slack": {"channel": channel, "api_url": s.o.SlackAPIURL}}, MinUpdateInterval: s.o.MinUpdateInterval},
		})
		ev := AuditEvent{Event: AuditRunOutcome, Transport: c.Transport, User: c.User, Channel: c.Channel, Verb: VerbDrill}
		var msg string
		if err != nil {
			ev.RunStatus, ev.Reason = "failed", "drill could not run"
			msg = "The drill could not run: " + notify.SlackEscape(red.String(err.Error()))
		} else {
			code := res.Run.ExitCode
			ev.RunID, ev.RunDir, ev.RunStatus, ev.ExitCode = res.Run.Report.Run.ID, res.Run.Dir, string(res.Run.Report.Run.Status), &code
			msg = fmt.Sprintf("[DRILL] %s finished: found %d of %d expected findings, %d/%d steps passed, time to containment %s. Evidence on the keyir server: `%s`.",
				scenario, len(res.Score.Found), len(res.Score.Expected), res.Score.StepsPassed, res.Score.StepsTotal,
				report.FormatDuration(res.Score.TimeToContainment), res.Run.Dir)
		}
		s.auditf(ev)
		s.respond(c.ResponseURL, msg)
	}()
	return ephemeral("[DRILL] Drill %s starting against the built-in simulator (nothing real is touched); it posts in <#%s>.", scenario, channel)
}

// groupCache caches user group members briefly; a failed lookup is not
// cached and denies.
type groupCache struct {
	api *slack.Client
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[string]groupEntry
}

type groupEntry struct {
	members []string
	fetched time.Time
}

func (g *groupCache) members(ctx context.Context, group string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock() // one lookup at a time: a burst of commands costs one call
	if e, ok := g.m[group]; ok && g.now().Sub(e.fetched) < g.ttl {
		return e.members, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	users, err := g.api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		delete(g.m, group)
		return nil, err
	}
	g.m[group] = groupEntry{members: users, fetched: g.now()}
	return users, nil
}

// startFailed settles a request whose run or eradication could not start:
// failed, its key released, its secret dropped, audited, said in thread, and
// its approval message (which said "Approved … starting") turned to Failed
// rather than promising a run that never came.
func (s *Server) startFailed(r *Request, red *redact.Redactor, thread, detail, said string, err error) {
	msg := red.String(err.Error())
	s.mu.Lock()
	cur := s.reqs[r.ID]
	cur.State, cur.Detail = StateFailed, detail+msg
	s.releaseLocked(cur)
	delete(s.secrets, r.ID)
	s.saveLocked(cur)
	snap := cur.clone()
	s.unlockAndFlush()
	s.auditf(AuditEvent{Event: AuditRunOutcome, Request: r.ID, RunID: r.RunID, RunStatus: string(StateFailed), Reason: "could not start", KeyID: r.KeyID, Fingerprint: r.Fingerprint, Channel: r.Channel})
	s.post(context.Background(), r.Channel, thread, said+notify.SlackEscape(s.red.String(msg)))
	s.updatePlan(context.Background(), snap)
}
