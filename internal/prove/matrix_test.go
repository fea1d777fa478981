package prove

import "context"
import "errors"
import "fmt"
import "net/http"
import "sort"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"

// fault is one column of the matrix: what the simulators inject.
type fault struct {
	name   string
	kind   sendgridsim.FaultKind // SendGrid
	status int
	slack  string // Slack injector kind
	// retryable faults are also tried transiently (twice, then gone): the
	// clients' retries must absorb them.
	retryable bool
}

var faults = []fault{
	{"429", sendgridsim.FaultStatus, 429, "status", true},
	{"500", sendgridsim.FaultStatus, 500, "status", true},
	{"502", sendgridsim.FaultStatus, 502, "status", true},
	{"503", sendgridsim.FaultStatus, 503, "status", true},
	{"timeout", sendgridsim.FaultTimeout, 0, "timeout", false},
	{"reset", sendgridsim.FaultReset, 0, "reset", true},
	{"truncate", sendgridsim.FaultTruncate, 0, "truncate", true},
	{"401", sendgridsim.FaultStatus, 401, "status", false},
	{"403", sendgridsim.FaultStatus, 403, "status", false},
	{"404", sendgridsim.FaultStatus, 404, "status", false},
}

// notifySteps talk to Slack, not SendGrid: their faults go to the Slack
// injector, and stay until the run ends (delivery is asynchronous).
var notifySteps = map[string]bool{"notify_open": true, "notify_close": true}

// expectedExit is the documented exit code of a cell (BENCHMARKS.md §
// Fault matrix has the same table in prose):
//
//   - transient faults (a retryable fault twice, then gone) are absorbed by
//     the clients' retries: 0, wherever they hit;
//   - identify makes no request: 0;
//   - a hung request (timeout) fails its step: the step's deadline is also
//     the request's, so nothing is left to retry in. Non-critical steps: 3;
//     revoke and confirm: 4;
//   - a persistent fault on revoke or confirm leaves the key unproven: 4.
//     Exceptions: a truncated DELETE keeps its status (a 204 has no body to
//     cut): the key is revoked and proven dead, 0; and a 401 on confirm
//     with SendGrid's error body is SendGrid's word that the key is dead
//     (it is: the revoke went through): 0. A 401 whose body is cut short
//     is not SendGrid's word (nor a gateway's bare 401): asked again, and
//     when every answer is cut, the key is unproven, 4. A 404 on the DELETE is
//     read as "already revoked", and confirm then finds the key alive: 4;
//   - locate (liveness and the owner search at once) and the assessment
//     steps (activity, stats, persistence, inventory) report a 403 (a scope
//     the responder key lacks) as a "not assessable" finding: 0. A 401
//     means the responder's own key was refused: the step fails, 3. locate
//     reads 404s as "not found in the accounts it could search" (a
//     finding): 0; the revoke searches again. activity reads a 404 as
//     "Email Activity not assessable" (a finding saying what to check by
//     hand): 0. Any other persistent fault fails the step: 3;
//   - a notification channel that keeps failing fails notify_close: 3; so
//     does a Slack answer cut short, even once: Slack carried out the call,
//     and asking again would post the message twice.
func expectedExit(step string, f fault, transient bool) int {
	switch {
	case step == "identify":
		return 0
	case notifySteps[step] && f.kind == sendgridsim.FaultTruncate:
		// Slack carried out the call but its answer was cut: not retried
		// (chat.postMessage is not idempotent; a retry would post twice),
		// so the delivery fails even when the fault is transient.
		return 3
	case transient:
		return 0
	case notifySteps[step]:
		return 3
	case step == "revoke":
		if f.kind == sendgridsim.FaultTruncate {
			return 0
		}
		return 4
	case step == "confirm":
		if f.status == 401 {
			return 0
		}
		return 4
	case (step == "locate" || step == "activity") && f.status == 404:
		return 0
	}
	if f.status == 403 {
		return 0
	}
	return 3
}

// withFootholds: the persistence scenario's attack leaves footholds of high
// severity (a pending admin invite, a bounce forward, a webhook and an
// allow-list entry made in the window), so a run whose persistence step reads
// them ends 5 where it would otherwise end 0 or 3 (report.ExitFootholdsOpen
// outranks a failed non-critical step). A persistent fault on the
// persistence step itself leaves them unread.
func withFootholds(step string, transient bool, code int) int {
	if (code == 0 || code == 3) && (step != "persistence" || transient) {
		return report.ExitFootholdsOpen
	}
	return code
}

// lyingNotFound is the one cell a resume cannot repair: a 404 the API
// invents for the DELETE is recorded as "already revoked" (a completed
// step, never repeated), so the resume's confirm finds the key alive again
// and ends 4 again: the key is never claimed contained. The remedy is a new
// `keyir run`, which the test does to show it works.
func lyingNotFound(step string, f fault, transient bool) bool {
	return step == "revoke" && f.status == 404 && !transient
}

type cell struct {
	step, fault, variant string
	want, got, resumed   int
	err                  string
	dur                  time.Duration
}

func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("fault matrix: ~200 runs")
	}
	pb, err := playbook.Builtin(pbName)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range pb.Steps {
		steps = append(steps, s.ID)
	}
	var mu sync.Mutex
	var cells []cell
	start := time.Now()
	// Cells run 8 at a time: most of a cell is waiting (a hung request, a
	// fsync), not computing.
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, step := range steps {
		for _, f := range faults {
			variants := []bool{false}
			if f.retryable {
				variants = append(variants, true)
			}
			for _, transient := range variants {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					c := runCell(t, step, f, transient)
					mu.Lock()
					cells = append(cells, c)
					mu.Unlock()
					if c.err != "" {
						t.Error(c.err)
					}
				}()
			}
		}
	}
	wg.Wait()
	// The table: one row per step, one column per fault; each entry is
	// "exit→resume" for the persistent fault, then the transient one.
	sort.Slice(cells, func(i, j int) bool { return cells[i].step+cells[i].fault < cells[j].step+cells[j].fault })
	byKey := map[string]cell{}
	passed := 0
	for _, c := range cells {
		byKey[c.step+"/"+c.fault+"/"+c.variant] = c
		if c.err == "" {
			passed++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fault matrix: %d/%d cells passed in %s (entry: persistent exit→resume exit [transient exit]; ✗ = failed)\n", passed, len(cells), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(&b, "%-13s", "step")
	for _, f := range faults {
		fmt.Fprintf(&b, " %-9s", f.name)
	}
	b.WriteString("\n")
	for _, step := range steps {
		fmt.Fprintf(&b, "%-13s", step)
		for _, f := range faults {
			p := byKey[step+"/"+f.name+"/persistent"]
			e := fmt.Sprintf("%d→%d", p.got, p.resumed)
			if p.err != "" {
				e = "✗" + e
			}
			if tr, ok := byKey[step+"/"+f.name+"/transient"]; ok {
				if tr.err != "" {
					e += "✗"
				}
				e += fmt.Sprintf("[%d]", tr.got)
			}
			fmt.Fprintf(&b, " %-9s", e)
		}
		b.WriteString("\n")
	}
	t.Log("\n" + b.String())
	if passed != len(cells) {
		t.Errorf("%d of %d cells failed", len(cells)-passed, len(cells))
	}
}

// runCell runs the playbook with the fault on one step, checks the exit
// code and the evidence, clears the fault, resumes, and checks that no
// mutation or notification was repeated.
func runCell(t *testing.T, step string, f fault, transient bool) (c cell) {
	c = cell{step: step, fault: f.name, variant: "persistent", want: withFootholds(step, transient, expectedExit(step, f, transient)), got: -1, resumed: -1}
	if transient {
		c.variant = "transient"
	}
	started := time.Now()
	defer func() { c.dur = time.Since(started) }()
	fail := func(format string, args ...any) cell {
		c.err = fmt.Sprintf("%s/%s/%s: ", step, f.name, c.variant) + fmt.Sprintf(format, args...)
		return c
	}
	w := newWorld(t)
	times := 0
	if transient {
		times = 2 // resets come in pairs: net/http silently retries one on a reused connection
	}
	hook := &stepHook{step: step}
	if notifySteps[step] {
		n := -1
		if transient {
			n = times
		}
		hook.on = func() { w.sf.set(f.slack, f.status, n) }
	} else {
		hook.on = func() { w.sg.InjectFault(sendgridsim.Fault{Kind: f.kind, Status: f.status, Times: times}) }
		hook.off = w.sg.ClearFaults
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := w.run(ctx, hook)
	w.sg.ClearFaults()
	w.sf.clear()
	if err != nil {
		return fail("run: %v", err)
	}
	c.got = res.ExitCode
	if verr := verify(res.Dir); verr != nil {
		return fail("evidence after the faulty run: %v", verr)
	}
	if c.got != c.want {
		var failed []string
		for _, s := range res.Report.Steps {
			if s.Status != "ok" && s.Status != "skipped" {
				failed = append(failed, fmt.Sprintf("%s=%s(%.160s)", s.ID, s.Status, s.Error))
			}
		}
		return fail("exit %d, want %d; steps: %s", c.got, c.want, strings.Join(failed, " "))
	}
	// A run that finished (not interrupted, not stopped by a critical
	// failure) is sealed: resume must refuse it and leave it as it is.
	st := res.Report.Run.Status
	sealed := st != report.RunInterrupted && st != report.RunFailed
	res2, err := w.resume(ctx, res.Dir)
	var se *runstore.SealedError
	switch {
	case sealed && errors.As(err, &se):
		res2 = res
	case sealed:
		return fail("resume of a sealed run (%s): %v, want it refused as sealed", st, err)
	case err != nil:
		return fail("resume: %v", err)
	}
	c.resumed = res2.ExitCode
	wantResume := c.got
	if !sealed && (c.got == 4 || c.got == 1) {
		wantResume = report.ExitFootholdsOpen // the critical step reran against a healthy API; the attack's footholds stay
	}
	if !sealed && lyingNotFound(step, f, transient) {
		wantResume = 4
	}
	if c.resumed != wantResume {
		return fail("resume exit %d, want %d", c.resumed, wantResume)
	}
	if verr := verify(res2.Dir); verr != nil {
		return fail("evidence after resume: %v", verr)
	}
	if lyingNotFound(step, f, transient) {
		if rerr := w.checkRevocations(0); rerr != nil {
			return fail("%v", rerr)
		}
		if res2.Report.Run.Containment.Status == "confirmed" {
			return fail("containment claimed for a key that is live")
		}
		// A fresh run against the healthy API contains it.
		res3, err := w.run(ctx, nil)
		if err != nil || res3.ExitCode != report.ExitFootholdsOpen {
			return fail("a fresh run after the lying 404: %v %+v", err, res3)
		}
	}
	if rerr := w.checkRevocations(1); rerr != nil {
		return fail("%v", rerr)
	}
	posts := w.slackPosts()
	if d := duplicatePosts(posts, w.unanswered); len(d) > 0 {
		return fail("notifications posted twice: %v", d)
	}
	if n := w.sg.Count(http.MethodDelete, ""); n == 0 {
		return fail("no DELETE at all")
	}
	return c
}

// genericFaults are the columns of the matrix every registered playbook
// gets: a few of each kind every simulator with a provider.FaultInjector
// understands.
var genericFaults = []fault{
	{"500", sendgridsim.FaultStatus, 500, "status", true},
	{"timeout", sendgridsim.FaultTimeout, 0, "timeout", false},
	{"reset", sendgridsim.FaultReset, 0, "reset", true},
	{"401", sendgridsim.FaultStatus, 401, "status", false},
}

// representatives picks, for each built-in playbook a drill scenario
// rehearses, the scenario the matrix and the crash tests run it in: one whose
// world can inject faults and tell whether the key lives, and whose truth
// proves containment with the most findings (ties: the first registered).
// A provider that registers such a scenario has its playbook covered without
// a change here.
func representatives(t testing.TB) []provider.Scenario {
	t.Helper()
	best := map[string]provider.Scenario{}
	var order []string
	for _, sc := range provider.Scenarios() {
		if sc.World == nil || sc.Truth == nil {
			continue
		}
		tr := sc.Truth(time.Now())
		if tr.Containment != report.ContainmentConfirmed {
			continue
		}
		cur, seen := best[sc.Playbook]
		if !seen {
			order = append(order, sc.Playbook)
		}
		if !seen || len(tr.Findings) > len(cur.Truth(time.Now()).Findings) {
			best[sc.Playbook] = sc
		}
	}
	var out []provider.Scenario
	for _, pb := range order {
		out = append(out, best[pb])
	}
	if len(out) == 0 {
		t.Fatal("no registered scenario to run the matrix in")
	}
	return out
}

// TestFaultMatrixEveryPlaybook runs every registered playbook (in its
// representative scenario's world) with each generic fault on each step, and
// holds it to what keyir promises whatever the provider: the evidence
// verifies; containment is never claimed, nor exit 0 given, while the leaked
// key still authenticates; a transient fault is absorbed (the run ends as
// the scenario's truth says); a run stopped by a fault resumes against the
// healthy API to the truth's outcome, and a finished one refuses to resume;
// no Slack message is posted twice. A playbook with its own exact table
// (SendGrid's: TestFaultMatrix, which checks all of this and more) is not run
// twice; the test-only provider "probe" (probe_test.go) shows a playbook
// found only through the registry is covered.
func TestFaultMatrixEveryPlaybook(t *testing.T) {
	if testing.Short() {
		t.Skip("fault matrix")
	}
	covered := 0
	for _, sc := range representatives(t) {
		if exactTable[sc.Playbook] {
			continue
		}
		covered++
		t.Run(sc.Playbook, func(t *testing.T) {
			probe := newRegisteredWorld(t, sc)
			if probe.fi == nil || probe.live == nil {
				t.Fatalf("scenario %s's world is not a provider.FaultInjector and provider.LiveKey: the matrix cannot cover %s", sc.Name, sc.Playbook)
			}
			pb, err := playbook.Builtin(sc.Playbook)
			if err != nil {
				t.Fatal(err)
			}
			truth := sc.Truth(time.Now())
			var failed, total int
			var mu sync.Mutex
			sem := make(chan struct{}, 8)
			var wg sync.WaitGroup
			start := time.Now()
			for _, s := range pb.Steps {
				for _, f := range genericFaults {
					variants := []bool{false}
					if f.retryable {
						variants = append(variants, true)
					}
					for _, transient := range variants {
						wg.Add(1)
						sem <- struct{}{}
						go func() {
							defer func() { <-sem; wg.Done() }()
							err := runGenericCell(t, sc, truth, s.ID, f, transient)
							mu.Lock()
							total++
							if err != nil {
								failed++
								t.Error(err)
							}
							mu.Unlock()
						}()
					}
				}
			}
			wg.Wait()
			t.Logf("%s in scenario %s: %d/%d cells passed in %s", sc.Playbook, sc.Name, total-failed, total, time.Since(start).Round(time.Millisecond))
		})
	}
	if covered == 0 {
		t.Error("no playbook covered: the test-only provider probe is not registered")
	}
}

// exactTable names the playbooks whose every cell has a documented exit code
// (TestFaultMatrix).
var exactTable = map[string]bool{pbName: true}

// runGenericCell runs one cell of TestFaultMatrixEveryPlaybook.
func runGenericCell(t *testing.T, sc provider.Scenario, truth provider.Truth, step string, f fault, transient bool) error {
	variant := "persistent"
	times := 0
	if transient {
		variant, times = "transient", 2
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s %s/%s/%s: %s", sc.Name, step, f.name, variant, fmt.Sprintf(format, args...))
	}
	w := newRegisteredWorld(t, sc)
	hook := &stepHook{step: step}
	if notifySteps[step] {
		n := -1
		if transient {
			n = times
		}
		hook.on = func() { w.sf.set(f.slack, f.status, n) }
	} else {
		hook.on = func() {
			w.fi.InjectFault(provider.Fault{Kind: provider.FaultKind(f.kind), Status: f.status, Times: times})
		}
		hook.off = w.fi.ClearFaults
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := w.run(ctx, hook)
	w.fi.ClearFaults()
	w.sf.clear()
	if err != nil {
		return fail("run: %v", err)
	}
	if err := verify(res.Dir); err != nil {
		return fail("evidence after the faulty run: %v", err)
	}
	if f.status == http.StatusUnauthorized {
		// A 401 is the provider's own word that the key is refused, the
		// proof keyir accepts; one forged on the confirm step cannot be
		// told from the real one. What must hold then is that the key was
		// really revoked: it stops working once the revocation propagates.
		if err := w.deadWithin(res, 15*time.Second); err != nil {
			return fail("%v", err)
		}
	} else if err := w.claimsOnlyWhatHolds(res, "the faulty run"); err != nil {
		return fail("%v", err)
	}
	if transient && res.ExitCode != truth.ExitCode {
		return fail("a transient fault was not absorbed: exit %d, the scenario's truth %d; steps: %s", res.ExitCode, truth.ExitCode, failedSteps(res))
	}
	if res.ExitCode == report.ExitDone && truth.ExitCode != report.ExitDone {
		return fail("exit 0 where a correct run exits %d", truth.ExitCode)
	}
	st := res.Report.Run.Status
	sealed := st != report.RunInterrupted && st != report.RunFailed
	res2, err := w.resume(ctx, res.Dir)
	var se *runstore.SealedError
	switch {
	case sealed && errors.As(err, &se):
		return w.checkSlack(fail)
	case sealed:
		return fail("resume of a sealed run (%s): %v, want it refused as sealed", st, err)
	case err != nil:
		return fail("resume: %v", err)
	}
	if err := verify(res2.Dir); err != nil {
		return fail("evidence after resume: %v", err)
	}
	if err := w.claimsOnlyWhatHolds(res2, "the resume"); err != nil {
		return fail("%v", err)
	}
	if res2.ExitCode != truth.ExitCode {
		return fail("resumed against the healthy API: exit %d, the scenario's truth %d; steps: %s", res2.ExitCode, truth.ExitCode, failedSteps(res2))
	}
	return w.checkSlack(fail)
}

// claimsOnlyWhatHolds: a run that says the key is contained, or exits 0,
// while the key still authenticates, claims more than was proven.
func (w *world) claimsOnlyWhatHolds(res *playbook.Result, what string) error {
	claims := res.Report.Run.Containment.Status == report.ContainmentConfirmed || res.ExitCode == report.ExitDone
	if claims && w.live.LeakedKeyLive() {
		return fmt.Errorf("%s ended %q, exit %d, while the leaked key still authenticates", what, res.Report.Run.Containment.Status, res.ExitCode)
	}
	return nil
}

// deadWithin: a run that claims containment leaves a key that stops
// authenticating within d.
func (w *world) deadWithin(res *playbook.Result, d time.Duration) error {
	if res.Report.Run.Containment.Status != report.ContainmentConfirmed && res.ExitCode != report.ExitDone {
		return nil
	}
	for end := time.Now().Add(d); w.live.LeakedKeyLive(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			return fmt.Errorf("the run ended %q, exit %d, and the leaked key still authenticates %s later", res.Report.Run.Containment.Status, res.ExitCode, d)
		}
	}
	return nil
}

func (w *world) checkSlack(fail func(string, ...any) error) error {
	if d := duplicatePosts(w.slackPosts(), w.unanswered); len(d) > 0 {
		return fail("notifications posted twice: %v", d)
	}
	return nil
}

func failedSteps(res *playbook.Result) string {
	var failed []string
	for _, s := range res.Report.Steps {
		if s.Status != report.StepOK && s.Status != report.StepSkipped {
			failed = append(failed, fmt.Sprintf("%s=%s(%.160s)", s.ID, s.Status, s.Error))
		}
	}
	return strings.Join(failed, " ")
}
