// Package eradicate is `keyir eradicate DIR`: it carries out the eradication
// plan of a sealed run (the footholds its assessment found) as a new run of
// its own. The parent is verified against its MANIFEST before its plan is
// shown, the operator approves the plan (a typed "yes", or --yes), and the
// removal runs as the built-in playbook sendgrid-eradicate, so it has its own
// journal, evidence and MANIFEST, resumes like any run, and its dry run is
// enforced at the transport. The parent directory is only read.
package eradicate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/keyir/keyir/actions/sendgrid"
	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/runstore"
)

// PlaybookName is the built-in playbook an eradication runs.
const PlaybookName = "sendgrid-eradicate"

// Prepared is a verified parent run and the items to remove.
type Prepared struct {
	Dir   string // the parent run directory, absolute
	Head  string // its MANIFEST head
	Plan  *sendgrid.Plan
	Items []sendgrid.PlanItem // the selected items, in plan order
	Only  []string
}

// Prepare verifies the parent run (sealed by MANIFEST and unchanged) and
// selects the items of its plan. A directory that does not verify, has no
// MANIFEST or no plan is refused (exit 1); an --only id the plan does not
// have, or an item whose request is not the removal keyir derives for it, is
// a usage error (exit 2).
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
	plan, head, err := sendgrid.LoadParentPlan(abs)
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
	items, err := sendgrid.SelectItems(plan, only)
	if err != nil {
		return nil, &playbook.UsageError{Err: fmt.Errorf("--only: %w", err)}
	}
	for _, it := range items {
		if err := sendgrid.CheckItem(it); err != nil {
			return nil, &playbook.UsageError{Err: fmt.Errorf("%s: %w", report.PlanFile, err)}
		}
	}
	return &Prepared{Dir: abs, Head: head, Plan: plan, Items: items, Only: only}, nil
}

// WriteTable shows the plan as a table that fits width columns (80 when 0):
// one line per item, the request under it.
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
	if p.Plan.Incident != "" {
		inc = ", incident " + clean(p.Plan.Incident)
	}
	fmt.Fprintln(bw, fit(fmt.Sprintf("Eradication plan of run %s%s", clean(p.Plan.RunID), inc), width))
	fmt.Fprintln(bw, fit(fmt.Sprintf("%s %d item(s):", firstUpper(verb), len(p.Items)), width))
	if len(p.Items) == 0 {
		return bw.Flush()
	}
	fmt.Fprintln(bw, fit(fmt.Sprintf("%-6s %-8s %-15s %s", "ID", "SEVERITY", "KIND", "SUBJECT (ACCOUNT)"), width))
	for _, it := range p.Items {
		acct := "parent"
		if it.Account != "" {
			acct = "subuser " + it.Account
		}
		if it.Region == sendgrid.RegionEU {
			acct += ", eu"
		}
		fmt.Fprintln(bw, fit(fmt.Sprintf("%-6s %-8s %-15s %s (%s)", clean(it.ID), clean(it.Severity), clean(it.Kind), clean(it.Subject), clean(acct)), width))
		req := it.Remove.Method + " " + it.Remove.Path
		if len(it.Remove.Body) > 0 {
			var c bytes.Buffer
			if json.Compact(&c, it.Remove.Body) == nil {
				req += " " + c.String()
			}
		}
		fmt.Fprintln(bw, fit("       "+clean(req), width))
		if len(it.Why) > 0 {
			fmt.Fprintln(bw, fit("       why: "+clean(strings.Join(it.Why, "; ")), width))
		}
	}
	return bw.Flush()
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

// Run carries out the prepared plan as a new run of the built-in playbook,
// in the directory beside the parent's (o.ReportsRoot when set). o gives the
// operator, redactor, credentials, observer and transport; its mode is set
// from dryRun (a drill's stays ModeDrill), its incident from the parent's plan.
func Run(ctx context.Context, p *Prepared, dryRun bool, o playbook.Options) (*playbook.Result, error) {
	pb, err := playbook.Builtin(PlaybookName)
	if err != nil {
		return nil, err
	}
	switch {
	case dryRun:
		o.Mode = report.ModeDryRun
	case o.Mode != report.ModeDrill: // a drill's eradication stays a drill
		o.Mode = report.ModeLive
	}
	o.Incident = p.Plan.Incident
	if o.ReportsRoot == "" {
		o.ReportsRoot = filepath.Dir(p.Dir)
	}
	o.Given = map[string]string{"parent": p.Dir, "parent_head": p.Head, "only": strings.Join(p.Only, ",")}
	return playbook.Run(ctx, pb, o)
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
