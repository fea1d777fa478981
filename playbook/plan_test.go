package playbook_test

import "bytes"
import "context"
import "encoding/json"
import "reflect"
import "strings"
import "testing"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// planBook has a core.http read, a core.http write with a declared
// credential, a write whose method only an earlier step knows, a GET whose
// headers only an earlier step knows, and a note.
const planBook = `
name: plan
description: plan test
inputs:
  base: {type: string, required: true}
  host: {type: string, required: true}
credentials:
  admin: {env: EXAMPLE_ADMIN_TOKEN, host: '{{ .inputs.host }}'}
steps:
  - id: look
    action: core.http
    with: {url: "{{ .inputs.base }}/keys/1"}
  - id: revoke
    action: core.http
    with: {method: POST, url: "{{ .inputs.base }}/keys/1/revoke", credential: admin}
  - id: later
    action: core.http
    with: {method: "{{ .steps.look.body }}", url: "{{ .inputs.base }}/x"}
` + disguisedStep + `  - id: say
    action: core.note
    with: {text: done}
`

// disguisedStep is a GET whose headers only the run knows: they may ask
// the server to take it as a DELETE.
const disguisedStep = `  - id: disguised
    action: core.http
    with: {url: "{{ .inputs.base }}/y", headers: {X-HTTP-Method-Override: "{{ .steps.look.body }}"}}
`

// TestPlanDecidesFromTheStep: whether a core.http step mutates comes from
// its own method (core.http's registration says "mutates" for all of
// them), a method known only at run time counts as a write, and the
// credential and host a step touches are named.
func TestPlanDecidesFromTheStep(t *testing.T) {
	pb := load(t, planBook)
	inputs, err := pb.ResolveInputs(map[string]string{"base": "https://api.example.com", "host": "api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p := playbook.NewPlan(pb, inputs)
	got := map[string]bool{}
	for _, s := range p.Steps {
		got[s.ID] = s.Mutates
	}
	// disguised: a GET whose headers only the run knows may ask the server
	// to take it as a DELETE; the approver must not be shown a read.
	if want := map[string]bool{"look": false, "revoke": true, "later": true, "disguised": true, "say": false}; !reflect.DeepEqual(got, want) {
		t.Fatalf("mutates %v, want %v", got, want)
	}
	rv := p.Steps[1]
	if !strings.Contains(rv.Why, "POST") || !reflect.DeepEqual(rv.Credentials, []string{"EXAMPLE_ADMIN_TOKEN"}) || !reflect.DeepEqual(rv.Hosts, []string{"api.example.com"}) {
		t.Errorf("revoke step: %+v", rv)
	}
	if !strings.Contains(p.Steps[2].Why, "run time") {
		t.Errorf("later step's why: %q", p.Steps[2].Why)
	}

	// Before the inputs are known (an approval posted before the run), the
	// literal method still decides, and the host comes from nowhere.
	early := playbook.NewPlan(pb, nil)
	if !early.Steps[1].Mutates || early.Steps[0].Mutates {
		t.Errorf("plan without inputs: %+v", early.Steps)
	}
}

// TestDryRunShowsAndJournalsThePlan: a dry run prints the plan with the
// core.http POST as a change and the GET as a read, and run_started
// journals the same plan; the report's steps carry the same verdicts.
func TestDryRunShowsAndJournalsThePlan(t *testing.T) {
	c := newCounter(t)
	book := strings.Replace(planBook, disguisedStep, "", 1)
	pb := load(t, strings.Replace(book, `with: {method: "{{ .steps.look.body }}", url: "{{ .inputs.base }}/x"}`, `if: 'false'
    with: {method: "{{ .steps.look.body }}", url: "{{ .inputs.base }}/x"}`, 1))
	o := opts(t, c.srv.URL)
	o.Given["host"] = strings.TrimPrefix(c.srv.URL, "http://")
	o.Mode = report.ModeDryRun
	o.Getenv = func(k string) string {
		if k == "EXAMPLE_ADMIN_TOKEN" {
			return "example-admin-token-0123456789"
		}
		return ""
	}
	var out bytes.Buffer
	var shown *playbook.Plan
	o.OnPlan = func(p *playbook.Plan) { shown = p; _ = p.WriteText(&out) }
	res, err := playbook.Run(context.Background(), pb, o)
	if err != nil {
		t.Fatal(err)
	}
	if shown == nil {
		t.Fatal("OnPlan was not called")
	}
	text := out.String()
	for _, want := range []string{
		"Plan: 4 steps, 2 change something",
		"1. reads   look (core.http)",
		"2. CHANGES revoke (core.http)",
		"core.http POST: any method but GET or HEAD may change something",
		"credentials: EXAMPLE_ADMIN_TOKEN",
		"4. reads   say (core.note)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dry-run plan lacks %q:\n%s", want, text)
		}
	}
	if c.count("POST /keys/1/revoke") != 0 {
		t.Errorf("a dry run sent the POST")
	}

	events, _, err := runstore.ReadJournal(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Type != report.EventRunStarted {
		t.Fatalf("first event %+v", events)
	}
	var journaled struct{ Plan playbook.Plan }
	b, _ := json.Marshal(events[0].Data)
	if err := json.Unmarshal(b, &journaled); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&journaled.Plan, shown) {
		t.Errorf("journaled plan %+v\nshown plan %+v", journaled.Plan, *shown)
	}
	for i, s := range events[0].Steps {
		if s.Mutates != shown.Steps[i].Mutates {
			t.Errorf("run_started step %s mutates=%v, plan says %v", s.ID, s.Mutates, shown.Steps[i].Mutates)
		}
	}
	if events[0].Steps[0].Mutates {
		t.Errorf("the core.http GET is journaled as a write")
	}
}
