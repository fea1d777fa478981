package playbook

import "fmt"
import "io"
import "strings"
import "unicode"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// Plan is what a run of a playbook will do, computed once from the loaded
// playbook and its inputs before anything runs: each step, whether it
// changes anything and why, and which credentials and hosts it touches. It
// is one value for everyone who shows the plan: the dry-run output, the
// Slack approval message, the journal (run_started records it) and the
// report's step list, so they cannot disagree about a step. Whether a step
// mutates is decided from the step as configured (a core.http POST writes,
// a GET reads), not from its action's registration alone.
type Plan struct {
	Playbook string     `json:"playbook"`
	Steps    []PlanStep `json:"steps"`
}

// PlanStep is one step of a Plan.
type PlanStep struct {
	Index    int    `json:"index"` // 1-based, as in the report
	ID       string `json:"id"`
	Action   string `json:"action"`
	Mutates  bool   `json:"mutates"`
	Why      string `json:"why"`
	Critical bool   `json:"critical"` // on_error: stop
	Contains bool   `json:"containment,omitempty"`
	// If is the step's condition as written; "" when it always runs.
	If string `json:"if,omitempty"`
	// Credentials are the environment variables the step reads a secret
	// from (never the values).
	Credentials []string `json:"credentials,omitempty"`
	// Hosts are where the step sends requests, as far as is known before
	// the run (a URL built from an earlier step's output is not).
	Hosts []string `json:"hosts,omitempty"`
}

// NewPlan computes the plan of pb. inputs are the resolved inputs
// (ResolveInputs), or nil when they are not known yet (an approval posted
// before the run): a parameter whose value depends on what is not known
// (an earlier step's output, the run, a missing input) is left to the run,
// and each action answers cautiously without it.
func NewPlan(pb *Playbook, inputs map[string]any) *Plan {
	p := &Plan{Playbook: pb.Source, Steps: make([]PlanStep, len(pb.Steps))}
	sc := Scope{Inputs: inputs, Steps: map[string]map[string]any{}, Run: map[string]any{}}
	for i := range pb.Steps {
		p.Steps[i] = planStep(&pb.Steps[i], i, sc)
	}
	return p
}

func planStep(st *Step, i int, sc Scope) PlanStep {
	ps := PlanStep{Index: i + 1, ID: st.ID, Action: st.Action, Critical: st.OnError != Continue, Contains: st.Info.Contains}
	if st.If != nil {
		ps.If = st.If.Source()
	}
	info := st.Info
	if info.New == nil {
		var ok bool
		if info, ok = actions.Lookup(st.Action); !ok {
			// A playbook is validated at load; an unknown action here is
			// one unregistered since: count it as a write.
			ps.Mutates, ps.Why = true, st.Action+" is not registered: counted as a write"
			return ps
		}
	}
	known, pending := map[string]any{}, map[string]bool{}
	for name, v := range st.With {
		val, ok := planValue(v, sc)
		if !ok {
			pending[name] = true
			continue
		}
		known[name] = val
	}
	eff := actions.EffectOf(info, actions.Configure(info, known, pending))
	ps.Mutates, ps.Why = eff.Mutates, eff.Why
	reach := actions.ReachOf(st.Action)
	ps.Credentials = append(ps.Credentials, reach.Credentials...)
	hosts := eff.Hosts
	if c := st.Credential; c != nil {
		ps.Credentials = append(ps.Credentials, c.Env)
		if len(hosts) == 0 {
			if h := credentialHost(c, sc); h != "" {
				hosts = []string{h}
			}
		}
	}
	if len(hosts) == 0 {
		hosts = reach.Hosts
	}
	ps.Hosts = hosts
	return ps
}

// planValue renders a `with` value as far as it is known before the run.
func planValue(v Value, sc Scope) (any, bool) {
	if v.Template == nil {
		out, err := renderLiteral(v.Literal, sc)
		return out, err == nil
	}
	for _, r := range v.Template.Refs() {
		if r.Kind != "inputs" {
			return nil, false
		}
	}
	if sc.Inputs == nil {
		return nil, false
	}
	out, err := v.Template.Render(sc)
	return out, err == nil
}

// credentialHost is the host a declared credential is bound to, with a
// host taken from an input resolved when the inputs are known.
func credentialHost(c *Credential, sc Scope) string {
	if c.HostInput == "" {
		return c.Host
	}
	v, _ := sc.Inputs[c.HostInput].(string)
	return v
}

// Mutating counts the steps that change something.
func (p *Plan) Mutating() int {
	n := 0
	for _, s := range p.Steps {
		if s.Mutates {
			n++
		}
	}
	return n
}

// ReportSteps are the plan's steps as the report's step list starts: each
// pending, with whether it mutates as the plan decided.
func (p *Plan) ReportSteps() []report.Step {
	out := make([]report.Step, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = report.Step{Index: s.Index, ID: s.ID, Action: s.Action, Mutates: s.Mutates, Status: report.StepPending, Critical: s.Critical}
	}
	return out
}

// redact passes the plan's text through the run's redactor before it is
// journaled or shown: a host or method comes from an input, and a key
// pasted there is a key in the wrong place.
func (p *Plan) redact(r *redact.Redactor) {
	for i := range p.Steps {
		s := &p.Steps[i]
		s.Why, s.If = r.String(s.Why), r.String(s.If)
		for j := range s.Hosts {
			s.Hosts[j] = r.String(s.Hosts[j])
		}
	}
}

// journalData is the plan as run_started's data records it.
func (p *Plan) journalData() map[string]any { return map[string]any{"plan": p} }

// WriteText writes the plan for a terminal, one line per step and one for
// why: what a dry run prints before its first step.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan: %d steps, %d change something\n", len(p.Steps), p.Mutating())
	for _, s := range p.Steps {
		verb := "reads  "
		if s.Mutates {
			verb = "CHANGES"
		}
		fmt.Fprintf(&b, "  %2d. %s %s (%s)", s.Index, verb, s.ID, s.Action)
		if s.If != "" {
			fmt.Fprintf(&b, " if %s", oneLine(s.If))
		}
		b.WriteString("\n      " + s.Why)
		if len(s.Hosts) > 0 {
			b.WriteString("; hosts: " + oneLine(strings.Join(s.Hosts, ", ")))
		}
		if len(s.Credentials) > 0 {
			b.WriteString("; credentials: " + strings.Join(s.Credentials, ", "))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a playbook's text from driving the terminal: one line,
// no control characters, shortened.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return short(strings.Join(strings.Fields(s), " "))
}
