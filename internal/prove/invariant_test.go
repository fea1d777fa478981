package prove

import "bytes"
import "context"
import "fmt"
import "math/rand/v2"
import "net/http"
import "sort"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// The invariant: keyir never exits 0, and never says "contained" or
// "confirmed", while the leaked key still authenticates somewhere. Checked
// over every scenario the simulator ships (and two ownership cases built
// here, in case a scenario for them is missing), both ways of naming the
// key (the key itself, or only its id), and the fault matrix on the steps
// that contain (locate, revoke, confirm). After each run the simulator is
// asked directly, over HTTP with the leaked key on both hosts, whether the
// key still works.

// ownership builds a world whose leaked key lives in a subuser (global or
// EU region) of a parent with several subusers, with no --subuser given.
func ownership(region string) func(time.Time) *sendgridsim.Fixture {
	return func(now time.Time) *sendgridsim.Fixture {
		st := sendgridsim.NewState()
		rng := rand.New(rand.NewPCG(5, 9))
		responder := sendgridsim.NewKey(rng, "responder", sendgridsim.ResponderScopes())
		st.AddKey(responder)
		for i := range 6 {
			r := "global"
			if i%3 == 2 {
				r = "eu"
			}
			st.AddSubuser(sendgridsim.Subuser{Username: fmt.Sprintf("brand-%d", i), Email: fmt.Sprintf("b%d@example.com", i), Region: r})
		}
		owner := "brand-4"
		if region == "eu" {
			owner = "brand-5"
		}
		leaked := sendgridsim.NewKey(rng, "shop mailer", []string{"mail.send"})
		leaked.Subuser = owner
		st.AddKey(leaked)
		other := sendgridsim.NewKey(rng, "parent mailer", []string{"mail.send"})
		st.AddKey(other)
		cfg := sendgridsim.DefaultConfig()
		cfg.Limits = nil
		return &sendgridsim.Fixture{State: st, Config: cfg, ResponderKey: responder.Token(), LeakedKey: leaked.Token(),
			WindowStart: now.Add(-48 * time.Hour), WindowEnd: now}
	}
}

type invScenario struct {
	name  string
	build func(time.Time) *sendgridsim.Fixture
	// faults: the fault matrix on the containment steps is run on it too.
	faults bool
}

func invariantScenarios() []invScenario {
	var out []invScenario
	have := map[string]bool{}
	for _, sc := range sendgridsim.Scenarios() {
		have[sc.Name] = true
		matrix := map[string]bool{"persistence": true, "subuser-key": true, "eu-subuser": true, "id-only": true}[sc.Name]
		out = append(out, invScenario{sc.Name, sc.Build, matrix})
	}
	if !have["subuser-key"] {
		out = append(out, invScenario{"local-subuser-key", ownership("global"), true})
	}
	if !have["eu-subuser"] {
		out = append(out, invScenario{"local-eu-subuser", ownership("eu"), true})
	}
	return out
}

// keyWorks asks both simulator hosts, with the leaked key itself, whether
// it still authenticates (200, or 403 for a restricted key).
func keyWorks(w *world) (bool, string) {
	for _, base := range []string{w.sgURL, w.sgEU} {
		req, _ := http.NewRequest(http.MethodGet, base+"/v3/scopes", nil)
		req.Header.Set("Authorization", "Bearer "+w.fx.LeakedKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return true, "could not ask " + base + ": " + err.Error() // unknown counts as live
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			return true, fmt.Sprintf("%s answered %d", base, resp.StatusCode)
		}
	}
	return false, ""
}

type invCell struct {
	scenario, naming, step, fault string
	exit                          int
	status                        string
	live                          bool
	err                           string
}

func TestContainmentInvariant(t *testing.T) {
	if testing.Short() {
		t.Skip("invariant: ~200 runs")
	}
	var (
		mu    sync.Mutex
		cells []invCell
		wg    sync.WaitGroup
		sem   = make(chan struct{}, 8)
	)
	type job struct {
		sc   invScenario
		byID bool
		step string
		f    *fault
	}
	var jobs []job
	for _, sc := range invariantScenarios() {
		for _, byID := range []bool{false, true} {
			jobs = append(jobs, job{sc: sc, byID: byID})
			if !sc.faults {
				continue
			}
			for _, step := range []string{"locate", "revoke", "confirm"} {
				for i := range faults {
					jobs = append(jobs, job{sc: sc, byID: byID, step: step, f: &faults[i]})
				}
			}
		}
	}
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c := runInvariantCell(t, j.sc, j.byID, j.step, j.f)
			mu.Lock()
			cells = append(cells, c)
			mu.Unlock()
			if c.err != "" {
				t.Error(c.err)
			}
		}()
	}
	wg.Wait()
	// One line per scenario and naming: exits seen, and how often the key
	// was still live at the end (each time with a non-zero exit).
	type agg struct {
		runs, live, bad int
		exits           map[int]int
	}
	by := map[string]*agg{}
	for _, c := range cells {
		k := c.scenario + " " + c.naming
		if by[k] == nil {
			by[k] = &agg{exits: map[int]int{}}
		}
		a := by[k]
		a.runs++
		a.exits[c.exit]++
		if c.live {
			a.live++
		}
		if c.err != "" {
			a.bad++
		}
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "containment invariant over %d runs:\n", len(cells))
	for _, k := range keys {
		a := by[k]
		fmt.Fprintf(&b, "  %-34s runs %3d  key still live after %3d  violations %d  exits %v\n", k, a.runs, a.live, a.bad, a.exits)
	}
	t.Log("\n" + b.String())
}

func runInvariantCell(t *testing.T, sc invScenario, byID bool, step string, f *fault) (c invCell) {
	c = invCell{scenario: sc.name, naming: "--key-file", step: step, exit: -1}
	if byID {
		c.naming = "--key-id"
	}
	if f != nil {
		c.fault = f.name
	}
	label := fmt.Sprintf("%s %s %s/%s", c.scenario, c.naming, step, c.fault)
	fx := sc.build(time.Now())
	if fx.Attack != nil {
		fx.Attack(fx.State)
	}
	w := newWorldFrom(t, fx)
	w.byID = byID
	for _, ft := range fx.Faults {
		w.sg.InjectFault(ft)
	}
	hook := &stepHook{step: step}
	if f != nil {
		hook.on = func() { w.sg.InjectFault(sendgridsim.Fault{Kind: f.kind, Status: f.status}) }
		hook.off = w.sg.ClearFaults
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := w.run(ctx, hook)
	w.sg.ClearFaults()
	if err != nil {
		c.err = label + ": run: " + err.Error()
		return c
	}
	c.exit, c.status = res.ExitCode, res.Report.Run.Containment.Status
	live, why := keyWorks(w)
	c.live = live
	if !live {
		// Without a fault, keyir must also have done its job: a run that
		// never contains would satisfy the invariant trivially.
		if f == nil && len(fx.Faults) == 0 && c.exit != 0 && c.exit != 3 && c.exit != report.ExitFootholdsOpen && !(byID && c.status == report.ContainmentNotFound) {
			c.err = fmt.Sprintf("%s: the key is dead but keyir exited %d (%s)", label, c.exit, c.status)
		}
		return c
	}
	var problems []string
	if c.exit == 0 || c.exit == report.ExitFootholdsOpen {
		problems = append(problems, fmt.Sprintf("exit %d", c.exit))
	}
	if c.status == report.ContainmentConfirmed || c.status == report.ContainmentRevokedUnproven {
		problems = append(problems, "containment "+c.status)
	}
	var sum, md bytes.Buffer
	_ = render.RenderSummary(&sum, res.Report, "")
	_ = render.RenderMarkdown(&md, res.Report)
	for name, text := range map[string]string{"terminal": sum.String(), "report.md": md.String()} {
		for _, claim := range []string{"Containment: confirmed", "**Containment:** confirmed", "contained"} {
			if strings.Contains(text, claim) {
				problems = append(problems, fmt.Sprintf("%s says %q", name, claim))
			}
		}
	}
	for _, p := range w.slackPosts() {
		if strings.Contains(p.Fields.Get("text")+p.Fields.Get("blocks"), "Containment confirmed") {
			problems = append(problems, "Slack says \"Containment confirmed\"")
		}
	}
	if f == nil && len(fx.Faults) == 0 && fx.Config.Limits == nil && !(byID && c.status == report.ContainmentNotFound) {
		problems = append(problems, "a run without faults left the key live")
	}
	if len(problems) > 0 {
		c.err = fmt.Sprintf("%s: the key still works (%s) but: %s", label, why, strings.Join(problems, "; "))
	}
	return c
}
