// Package eradicate is `keyir eradicate DIR`: it carries out the eradication
// plan of a sealed run (the footholds its assessment found) as a new run of
// its own. The parent is verified against its MANIFEST before its plan is
// shown, the operator approves the plan (a typed "yes", or --yes), and the
// removal runs as the built-in eradication playbook of the items' provider
// (provider.Eradicator: sendgrid-eradicate, github-eradicate …), so it has
// its own journal, evidence and MANIFEST, resumes like any run, and its dry
// run is enforced at the transport. The parent directory is only read.
//
// This package knows no provider: each provider reads and checks its own
// items (rebuilding every removal request from the item's kind and ids) and
// says which it cannot remove (by hand). A plan with items of several
// providers (a composed run) is carried out as one run per provider.
package eradicate

import "bufio"
import "context"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "path/filepath"
import "slices"
import "strings"
import "unicode"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/planfile"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// Prepared is a verified parent run and the items of its plan to show.
type Prepared struct {
	Dir      string // the parent run directory, absolute
	Head     string // its MANIFEST head
	RunID    string // the parent's run id and incident, from its plan
	Incident string
	// Items are the selected items, in plan order: those keyir removes and
	// those left to a person (ByHand), each read and checked by its
	// provider.
	Items []provider.PlanItem
	Only  []string
	// whole: the selection is every item of the plan, all of one provider
	// and all removable (the run then needs no "only").
	whole bool
	// raw: each provider's selected items as the plan holds them, for its
	// Check.
	raw map[string][]json.RawMessage
}

// Prepare verifies the parent run (sealed by MANIFEST and unchanged) and
// selects the items of its plan. A directory that does not verify, has no
// MANIFEST or no plan is refused (exit 1); an --only id the plan does not
// have or that keyir cannot remove, or an item whose request is not the
// removal its provider derives for it, is a usage error (exit 2).
//
// A drill's plan names the simulator's resources: it is refused here (its
// ids mean nothing in a real account, and a forward setting would be
// switched off there); `keyir drill --eradicate` applies it (PrepareDrill).
func Prepare(dir string, only []string) (*Prepared, error) { return prepare(dir, only, false) }

// PrepareDrill is Prepare for a drill's own run, against its simulator.
func PrepareDrill(dir string) (*Prepared, error) { return prepare(dir, nil, true) }

func prepare(dir string, only []string, drill bool) (*Prepared, error) {
	d, err := runstore.ResolveRunDir(dir)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		return nil, err
	}
	f, head, err := planfile.LoadParent(abs)
	if errors.Is(err, runstore.ErrNoManifest) {
		return nil, fmt.Errorf("%s is not sealed (no MANIFEST): only a finished, verified run's plan is carried out; finish it with keyir resume %s first", dir, dir)
	}
	if err != nil {
		return nil, err
	}
	rep, err := runstore.Load(abs)
	if err != nil {
		return nil, err
	}
	if isDrill := rep.Run.Mode == report.ModeDrill; isDrill != drill {
		if isDrill {
			return nil, &playbook.UsageError{Err: fmt.Errorf("%s is a drill: its plan names the simulator's resources, not your account's; rehearse the eradication with keyir drill --scenario SCENARIO --eradicate", dir)}
		}
		return nil, fmt.Errorf("%s is not a drill run", dir)
	}
	heads := f.Heads()
	sel, err := planfile.Select(heads, only)
	if err != nil {
		return nil, &playbook.UsageError{Err: fmt.Errorf("--only: %w", err)}
	}
	items, raw, err := readItems(f, heads, sel)
	if err != nil {
		return nil, &playbook.UsageError{Err: err}
	}
	p := &Prepared{Dir: abs, Head: head, RunID: f.RunID, Incident: f.Incident, Items: items, Only: only, raw: raw}
	for _, it := range items {
		if len(only) > 0 && !it.Removable() {
			return nil, &playbook.UsageError{Err: fmt.Errorf("--only: keyir cannot remove %s (%s): %s", it.ID, it.Kind, it.ByHand)}
		}
	}
	p.whole = len(only) == 0 && len(p.Providers()) == 1 && len(p.Removable()) == len(heads)
	return p, nil
}

// readItems has each provider read and check its selected items; an item
// of a provider keyir has no eradication for is shown, to be removed by
// hand. raw holds each provider's items as read, by provider.
func readItems(f *planfile.File, heads []planfile.Head, sel []int) (_ []provider.PlanItem, raw map[string][]json.RawMessage, _ error) {
	byProv := map[string][]int{}
	for _, i := range sel {
		byProv[heads[i].Provider] = append(byProv[heads[i].Provider], i)
	}
	got := map[string]provider.PlanItem{}
	raw = map[string][]json.RawMessage{}
	for prov, idx := range byProv {
		e, ok := provider.EradicatorOf(prov)
		if !ok {
			for _, i := range idx {
				got[heads[i].ID] = provider.PlanItem{ID: heads[i].ID, Provider: prov, Kind: heads[i].Kind,
					ByHand: "keyir has no eradication for provider " + prov + "'s items: follow " + report.PlanFile}
			}
			continue
		}
		mine := make([]json.RawMessage, len(idx))
		for j, i := range idx {
			mine[j] = f.Items[i]
		}
		raw[prov] = mine
		items, err := e.Items(mine)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", report.PlanFile, err)
		}
		for _, it := range items {
			it.Provider = prov
			got[it.ID] = it
		}
	}
	out := make([]provider.PlanItem, 0, len(sel))
	for _, i := range sel {
		it, ok := got[heads[i].ID]
		if !ok {
			return nil, nil, fmt.Errorf("%s: provider %s did not read item %s", report.PlanFile, heads[i].Provider, heads[i].ID)
		}
		out = append(out, it)
	}
	return out, raw, nil
}

// Check has each provider of the removable items check, with the
// credentials o gives (as the eradication run will read them), what its
// eradication step would refuse (provider.Eradicator.Check: another
// account, another host, no credential), so that a plan keyir will refuse
// is refused before anyone is asked to approve it, and before a run
// directory exists. A refusal is a usage error (exit 2, as for another
// account's baseline): the credentials given are not the plan's; nothing
// was sent. Check only reads; call it before WriteTable and Confirm.
func (p *Prepared) Check(ctx context.Context, o playbook.Options) error {
	var errs []error
	for _, prov := range p.Providers() {
		e, ok := provider.EradicatorOf(prov)
		if !ok || e.Check == nil {
			continue
		}
		env := actions.StandaloneEnv("eradicate-check", o.Getenv, o.ReadFile, o.Redactor, o.Transport)
		if err := e.Check(ctx, env, p.Dir, p.raw[prov]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &playbook.UsageError{Err: fmt.Errorf("refusing the eradication plan of %s before anything is sent: %w", p.Dir, err)}
	}
	return nil
}

// Removable are the selected items keyir removes.
func (p *Prepared) Removable() []provider.PlanItem {
	return slices.DeleteFunc(slices.Clone(p.Items), func(it provider.PlanItem) bool { return !it.Removable() })
}

// ByHand are the selected items left to a person.
func (p *Prepared) ByHand() []provider.PlanItem {
	return slices.DeleteFunc(slices.Clone(p.Items), provider.PlanItem.Removable)
}

// Providers are the providers of the removable items, in plan order: one
// eradication run each.
func (p *Prepared) Providers() []string {
	var out []string
	for _, it := range p.Removable() {
		if !slices.Contains(out, it.Provider) {
			out = append(out, it.Provider)
		}
	}
	return out
}

// WriteTable shows the plan as a table that fits width columns (80 when 0):
// one line per item, the request (or why it is left to a person) under it.
func (p *Prepared) WriteTable(w io.Writer, width int, dryRun bool) error {
	if width <= 0 {
		width = 80
	}
	bw := bufio.NewWriter(w)
	verb := "will remove"
	if dryRun {
		verb = "dry run: would remove"
	}
	inc := ""
	if p.Incident != "" {
		inc = ", incident " + clean(p.Incident)
	}
	fmt.Fprintln(bw, fit(fmt.Sprintf("Eradication plan of run %s%s", clean(p.RunID), inc), width))
	line := fmt.Sprintf("%s %d item(s):", firstUpper(verb), len(p.Removable()))
	if n := len(p.ByHand()); n > 0 {
		line = fmt.Sprintf("%s %d item(s); %d to remove by hand:", firstUpper(verb), len(p.Removable()), n)
	}
	fmt.Fprintln(bw, fit(line, width))
	if len(p.Items) == 0 {
		return bw.Flush()
	}
	fmt.Fprintln(bw, fit(fmt.Sprintf("%-6s %-8s %-15s %s", "ID", "SEVERITY", "KIND", "SUBJECT (WHERE)"), width))
	for _, it := range p.Items {
		fmt.Fprintln(bw, fit(fmt.Sprintf("%-6s %-8s %-15s %s (%s)", clean(it.ID), clean(it.Severity), clean(it.Kind), clean(it.Subject), clean(orDash(it.Where))), width))
		if it.Removable() {
			fmt.Fprintln(bw, fit("       "+clean(it.Request), width))
		} else {
			fmt.Fprintln(bw, fit("       by hand: "+clean(it.ByHand), width))
		}
		if len(it.Why) > 0 {
			fmt.Fprintln(bw, fit("       why: "+clean(strings.Join(it.Why, "; ")), width))
		}
	}
	return bw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// clean keeps API text on one line and drops control characters, so a
// subject chosen by the attacker cannot drive the terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s)
}

// fit cuts a line to width runes, marking the cut.
func fit(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}

// ErrNoTTY refuses a removal nobody confirmed: no terminal to ask on and no
// --yes.
var ErrNoTTY = errors.New("refusing to remove anything without confirmation: standard input is not a terminal; review the plan and pass --yes")

// ErrDeclined: the operator did not type yes.
var ErrDeclined = errors.New("not confirmed: nothing was removed")

// Confirm asks for a typed "yes" on a terminal. yes (--yes) skips the
// question; without a terminal and without yes it refuses (a usage error,
// exit 2). Anything but "yes" declines.
func Confirm(in io.Reader, prompt io.Writer, tty, yes bool, n int) error {
	if yes {
		return nil
	}
	if !tty {
		return &playbook.UsageError{Err: ErrNoTTY}
	}
	fmt.Fprintf(prompt, "Type yes to remove %d item(s): ", n)
	line, err := bufio.NewReader(io.LimitReader(in, 64)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if strings.TrimSpace(line) != "yes" {
		return ErrDeclined
	}
	return nil
}

// Run carries out the prepared plan's removable items of one provider as a
// new run of its eradication playbook, in the directory beside the
// parent's (o.ReportsRoot when set). o gives the operator, redactor,
// credentials, observer and transport; its mode is set from dryRun (a
// drill's stays ModeDrill), its incident from the parent's plan. A plan
// whose removable items span several providers is RunAll's.
func Run(ctx context.Context, p *Prepared, dryRun bool, o playbook.Options) (*playbook.Result, error) {
	provs := p.Providers()
	switch len(provs) {
	case 0:
		return nil, &playbook.UsageError{Err: fmt.Errorf("nothing in the plan of %s is for keyir to remove: %d item(s) by hand", p.Dir, len(p.ByHand()))}
	case 1:
	default:
		return nil, &playbook.UsageError{Err: fmt.Errorf("the plan of %s has items of %s: each is its own eradication run (keyir eradicate runs them in turn)", p.Dir, strings.Join(provs, " and "))}
	}
	e, ok := provider.EradicatorOf(provs[0])
	if !ok {
		return nil, fmt.Errorf("no eradication for provider %s", provs[0])
	}
	pb, err := playbook.Builtin(e.Playbook)
	if err != nil {
		return nil, err
	}
	switch {
	case dryRun:
		o.Mode = report.ModeDryRun
	case o.Mode != report.ModeDrill: // a drill's eradication stays a drill
		o.Mode = report.ModeLive
	}
	o.Incident = p.Incident
	if o.ReportsRoot == "" {
		o.ReportsRoot = filepath.Dir(p.Dir)
	}
	only := ""
	if !p.whole {
		// The provider's removable items only: a by-hand item or another
		// provider's is not this run's to touch.
		var ids []string
		for _, it := range p.Removable() {
			ids = append(ids, it.ID)
		}
		only = strings.Join(ids, ",")
	}
	o.Given = map[string]string{"parent": p.Dir, "parent_head": p.Head, "only": only}
	return playbook.Run(ctx, pb, o)
}

// RunAll carries out the removable items of every provider, one run each,
// in plan order of their providers; it stops at the first run that could
// not start.
func RunAll(ctx context.Context, p *Prepared, dryRun bool, o playbook.Options) ([]*playbook.Result, error) {
	var out []*playbook.Result
	for _, prov := range p.Providers() {
		part := *p
		part.Items = slices.DeleteFunc(slices.Clone(p.Items), func(it provider.PlanItem) bool { return it.Provider != prov })
		part.whole = p.whole
		res, err := Run(ctx, &part, dryRun, o)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// Summary is what an eradication run did, from its report.
type Summary struct {
	Parent      string `json:"parent"`
	ParentHead  string `json:"parent_head"`
	Removed     int    `json:"removed"`
	AlreadyGone int    `json:"already_gone"`
	// Status is the eradicate step's status: anything but ok means the
	// counts are not the whole story (the step failed or was interrupted).
	Status  string   `json:"status"`
	Planned int      `json:"planned"`
	Open    []string `json:"open"`
}

// Summarize reads the eradicate step's outputs from a finished run's report.
func Summarize(rep *report.Report) Summary {
	s := Summary{Parent: rep.Run.Inputs["parent"], ParentHead: rep.Run.Inputs["parent_head"], Open: []string{}}
	for _, st := range rep.Steps {
		if st.ID != "eradicate" {
			continue
		}
		s.Status = string(st.Status)
		s.Removed, s.AlreadyGone, s.Planned = num(st.Outputs["removed"]), num(st.Outputs["already_gone"]), num(st.Outputs["planned"])
		if l, ok := st.Outputs["open"].([]any); ok {
			for _, v := range l {
				s.Open = append(s.Open, fmt.Sprint(v))
			}
		} else if l, ok := st.Outputs["open"].([]string); ok {
			s.Open = append(s.Open, l...)
		}
	}
	return s
}

func num(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	case int64:
		return int(n)
	}
	return 0
}

// Line is the one-line result for the terminal.
func (s Summary) Line() string {
	switch {
	case s.Status != string(report.StepOK) && s.Status != string(report.StepPlanned):
		return fmt.Sprintf("Eradication did not complete (step %s): see the report; keyir resume continues it", orNone(s.Status))
	case s.Planned > 0:
		return fmt.Sprintf("Eradication (dry run): %d request(s) planned, none sent", s.Planned)
	case s.Removed == 0 && len(s.Open) == 0:
		return fmt.Sprintf("Eradication: nothing left to do (%d item(s) already gone)", s.AlreadyGone)
	}
	line := fmt.Sprintf("Eradication: %d removed, %d already gone, %d still open", s.Removed, s.AlreadyGone, len(s.Open))
	if len(s.Open) > 0 {
		line += " (" + strings.Join(s.Open, ", ") + ")"
	}
	return line
}

func orNone(s string) string {
	if s == "" {
		return "not run"
	}
	return s
}

// Playbook names the eradication playbook(s) the removable items run
// ("github-eradicate"; "sendgrid-eradicate+github-eradicate" for a plan
// of two providers).
func (p *Prepared) Playbook() string {
	var names []string
	for _, prov := range p.Providers() {
		if e, ok := provider.EradicatorOf(prov); ok {
			names = append(names, e.Playbook)
		}
	}
	return strings.Join(names, "+")
}
