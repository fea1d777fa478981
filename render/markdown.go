package render

import "bytes"
import "fmt"
import "io"
import "slices"
import "strconv"
import "strings"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/olekukonko/tablewriter"
import "github.com/olekukonko/tablewriter/renderer"
import "github.com/olekukonko/tablewriter/tw"

// Banner is the first line of every human-readable artifact of a dry run or
// a drill, so nobody mistakes one for a real response. "" for a live run.
// It names every notification channel the run used: a dry run refuses the
// provider writes at the transport, but its notifications go out (marked),
// and a drill's --webhook-url receiver is real; "nothing was changed" or
// "nothing real was touched" alone would claim more than is true. It never
// says a delivery succeeded that the report shows failed: a notify step
// that failed (its error names the deliveries) is said in the banner.
func Banner(rep *report.Report) string {
	notified, failed := notifiedChannels(rep)
	undelivered := ""
	if failed {
		undelivered = " Not every notification was delivered: see the failed notify step."
	}
	switch rep.Run.Mode {
	case report.ModeDryRun:
		b := fmt.Sprintf("DRY RUN — no changes were made; %d %s refused and %s listed as planned changes.",
			len(rep.Planned), report.Plural(len(rep.Planned), "write was", "writes were"), report.Plural(len(rep.Planned), "is", "are"))
		switch {
		case len(notified) > 0 && failed:
			b += " Only notifications were attempted, marked DRY RUN: " + strings.Join(notified, ", ") + "." + undelivered
		case len(notified) > 0:
			b += " Only notifications went out, marked DRY RUN: " + strings.Join(notified, ", ") + "."
		}
		return b
	case report.ModeDrill:
		if slices.Contains(notified, "webhook") {
			// Whether its deliveries arrived is not the banner's to say
			// (the report cannot know of one made after it was sealed);
			// that it was the one real host the drill addressed is.
			return "DRILL — run against the built-in simulator; nothing real was touched but the --webhook-url receiver, whose deliveries are signed with a secret made up for the drill." + undelivered
		}
		return "DRILL — run against the built-in simulator; nothing real was touched." + undelivered
	}
	return ""
}

// notifiedChannels lists, sorted, the channels the run's notify steps sent
// to (their "channels" output; from a report read back, a []any), and says
// whether one of those steps failed (a closing step whose deliveries did
// not all succeed).
func notifiedChannels(rep *report.Report) (out []string, failed bool) {
	for _, s := range rep.Steps {
		var chans []string
		switch c := s.Outputs["channels"].(type) {
		case []string:
			chans = c
		case []any:
			for _, c := range c {
				if c, ok := c.(string); ok {
					chans = append(chans, c)
				}
			}
		}
		out = append(out, chans...)
		if len(chans) > 0 && s.Status == report.StepFailed {
			failed = true
		}
	}
	slices.Sort(out)
	return slices.Compact(out), failed
}

// RenderMarkdown writes report.md. Everything that did not come from keyir
// itself goes through md(), because finding text can be written by whoever
// holds the leaked key.
func RenderMarkdown(w io.Writer, rep *report.Report) error {
	var b bytes.Buffer
	if banner := Banner(rep); banner != "" {
		word, rest, _ := strings.Cut(banner, " — ")
		fmt.Fprintf(&b, "> **%s** — %s\n\n", word, rest)
	}
	if !Finished(rep) {
		fmt.Fprintf(&b, "> **INCOMPLETE** — this run did not finish (status: %s); `keyir resume DIR` continues it.\n\n", md(string(rep.Run.Status)))
	}
	if rep.ExitCode == report.ExitFootholdsOpen {
		if next := report.FootholdsNext(rep.Findings, ""); next == report.EradicateCommand("") {
			fmt.Fprintf(&b, "> **%s** — `%s` removes them (the plan is %s).\n\n", report.FootholdsOutcome(report.OpenFootholds(rep.Findings)), next, report.PlanFile)
		} else {
			fmt.Fprintf(&b, "> **%s** — %s.\n\n", report.FootholdsOutcome(report.OpenFootholds(rep.Findings)), next)
		}
	}
	title := rep.Run.Incident
	if title == "" {
		title = rep.Run.ID
	}
	fmt.Fprintf(&b, "# Incident report: %s\n\n", md(title))

	b.WriteString("## Summary\n\n")
	for _, kv := range SummaryFields(rep) {
		if kv[1] != "" {
			fmt.Fprintf(&b, "- **%s:** %s\n", kv[0], md(kv[1]))
		}
	}
	b.WriteString("\n")
	if err := keysMarkdown(&b, rep); err != nil {
		return err
	}

	if len(rep.Run.Inputs) > 0 {
		b.WriteString("## Inputs\n\n")
		rows := [][]string{}
		for _, k := range SortedKeys(rep.Run.Inputs) {
			rows = append(rows, []string{k, Truncate(rep.Run.Inputs[k], 200)})
		}
		if err := mdTable(&b, []string{"Input", "Value"}, rows); err != nil {
			return err
		}
		if len(rep.Run.SecretInput) > 0 {
			fmt.Fprintf(&b, "\nSecret inputs, recorded by fingerprint only: %s.\n", md(strings.Join(rep.Run.SecretInput, ", ")))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Steps\n\n")
	if len(rep.Steps) == 0 {
		b.WriteString("No steps were recorded.\n\n")
	} else {
		rows := make([][]string, 0, len(rep.Steps))
		for _, s := range rep.Steps {
			rows = append(rows, []string{strconv.Itoa(s.Index), s.ID, s.Action, string(s.Status),
				Attempts(s), StepDuration(s), Truncate(s.Error, 200)})
		}
		if err := mdTable(&b, []string{"#", "Step", "Action", "Status", "Attempts", "Duration", "Error"}, rows); err != nil {
			return err
		}
		b.WriteString("\n")
	}

	b.WriteString("## Findings\n\n")
	groups := GroupFindings(rep.Findings)
	fmt.Fprintf(&b, "%s.\n\n", FindingCounts(groups, len(rep.Findings)))
	for _, g := range groups {
		fmt.Fprintf(&b, "### %s (%d)\n\n", titleCase(string(g.Severity)), len(g.Findings))
		for _, f := range g.Findings {
			// One list item; a trailing backslash is a hard line break.
			lines := []string{"**" + md(f.Title) + "**"}
			if f.Subject != "" {
				lines[0] += " — " + md(f.Subject)
			}
			if f.Detail != "" {
				lines = append(lines, md(f.Detail))
			}
			meta := []string{}
			if f.Kind != "" {
				meta = append(meta, "kind: "+md(f.Kind))
			}
			if f.Step != "" {
				meta = append(meta, "step: "+md(f.Step))
			}
			if len(f.Evidence) > 0 {
				refs := make([]string, len(f.Evidence))
				for i, r := range f.Evidence {
					refs[i] = md(r)
				}
				meta = append(meta, "evidence: "+strings.Join(refs, ", "))
			}
			if len(meta) > 0 {
				lines = append(lines, strings.Join(meta, " · "))
			}
			fmt.Fprintf(&b, "- %s\n", strings.Join(lines, "\\\n  "))
		}
		b.WriteString("\n")
	}

	if len(rep.Planned) > 0 || rep.Run.Mode == report.ModeDryRun {
		b.WriteString("## Planned changes\n\n")
		if len(rep.Planned) == 0 {
			b.WriteString("No writes were attempted.\n\n")
		} else {
			b.WriteString("Writes refused at the HTTP transport; a live run would have sent them.\n\n")
			rows := make([][]string, 0, len(rep.Planned))
			for i, p := range rep.Planned {
				rows = append(rows, []string{strconv.Itoa(i + 1), p.Step, p.Method, Truncate(p.URL, 300), Truncate(p.Body, 300)})
			}
			if err := mdTable(&b, []string{"#", "Step", "Method", "URL", "Body (redacted)"}, rows); err != nil {
				return err
			}
			b.WriteString("\n")
		}
	}

	if len(rep.Notes) > 0 {
		b.WriteString("## Notes\n\n")
		for _, n := range rep.Notes {
			b.WriteString("- ")
			if !n.Time.IsZero() {
				fmt.Fprintf(&b, "%s ", FormatTime(n.Time))
			}
			if n.Step != "" {
				fmt.Fprintf(&b, "(%s) ", md(n.Step))
			}
			fmt.Fprintf(&b, "%s\n", md(n.Text))
		}
		b.WriteString("\n")
	}

	b.WriteString("## Evidence\n\n")
	for _, s := range rep.Steps {
		if s.Evidence != "" {
			fmt.Fprintf(&b, "- %s — step %s\n", md(s.Evidence), md(s.ID))
		}
	}
	fmt.Fprintf(&b, "- %s — run metadata\n", runstore.RunFile)
	fmt.Fprintf(&b, "- %s — every event, hash-chained; the source of this report\n", runstore.JournalFile)
	fmt.Fprintf(&b, "- %s — SHA-256 of every file, chained\n\n", runstore.ManifestFile)
	b.WriteString("Check this directory with `keyir report verify DIR`.\n")

	_, err := w.Write(b.Bytes())
	return err
}

// SummaryFields are the label/value pairs of the report's summary, shared by
// the Markdown and terminal renderers. Values are raw; each renderer escapes.
func SummaryFields(rep *report.Report) [][2]string {
	r := rep.Run
	out := [][2]string{{"Run id", r.ID}}
	if r.Incident != "" {
		out = append(out, [2]string{"Incident", r.Incident})
	}
	pb := r.Playbook
	if len(r.PlaybookSHA) >= 12 {
		pb += " (sha256 " + r.PlaybookSHA[:12] + ")"
	}
	operator := r.Operator
	if r.Host != "" {
		operator += " on " + r.Host
	}
	out = append(out,
		[2]string{"Playbook", pb},
		[2]string{"Mode", string(r.Mode)},
		[2]string{"Operator", operator},
		[2]string{"Started", FormatTime(r.Started)},
	)
	if !r.Finished.IsZero() {
		out = append(out, [2]string{"Finished", FormatTime(r.Finished)},
			[2]string{"Duration", report.FormatDuration(r.Finished.Sub(r.Started))})
	}
	out = append(out, [2]string{"Status", string(r.Status)}, [2]string{"Exit code", exitLine(rep)})
	out = append(out, [2]string{"Containment", ContainmentLine(r.Containment)})
	if r.Containment.TimeToContainment > 0 {
		out = append(out, [2]string{"Time to containment", report.FormatDuration(r.Containment.TimeToContainment)})
	}
	if r.Resumes > 0 {
		out = append(out, [2]string{"Resumed", report.Plural(r.Resumes, "once", strconv.Itoa(r.Resumes)+" times")})
	}
	if r.Version != "" {
		out = append(out, [2]string{"keyir version", r.Version})
	}
	return out
}

func Finished(rep *report.Report) bool {
	return rep.Run.Status != report.RunRunning && rep.Run.Status != report.RunInterrupted && rep.Run.Status != ""
}

// exited reports whether the process that ran the report ended with an exit
// code: the run finished, or was interrupted and exited.
func exited(rep *report.Report) bool { return !rep.Run.Finished.IsZero() }

func exitLine(rep *report.Report) string {
	if !exited(rep) {
		return "none yet — the run did not finish"
	}
	return fmt.Sprintf("%d — %s", rep.ExitCode, report.ExitMeaning(rep.ExitCode))
}

func ContainmentLine(c report.Containment) string {
	status := c.Status
	if status == "" {
		return "not attempted by this playbook"
	}
	if l := report.ContainmentLabel(status); l != status {
		status += " (" + l + ")"
	}
	if c.Detail != "" {
		status += " — " + c.Detail
	}
	return status
}

func Attempts(s report.Step) string {
	if s.Attempts == 0 {
		return ""
	}
	return strconv.Itoa(s.Attempts)
}

func StepDuration(s report.Step) string {
	if s.Duration == 0 && s.Started.IsZero() {
		return ""
	}
	return report.FormatDuration(s.Duration)
}

// FindingGroup is the findings of one severity, in the order they were found.
type FindingGroup struct {
	Severity report.Severity
	Findings []report.Finding
}

// GroupFindings orders findings by severity, most severe first, keeping the
// order they were found in within a severity. A severity keyir does not know
// is shown last rather than dropped.
func GroupFindings(fs []report.Finding) []FindingGroup {
	var groups []FindingGroup
	known := map[report.Severity]bool{}
	for _, sev := range report.Severities {
		known[sev] = true
		g := FindingGroup{Severity: sev}
		for _, f := range fs {
			if f.Severity == sev {
				g.Findings = append(g.Findings, f)
			}
		}
		if len(g.Findings) > 0 {
			groups = append(groups, g)
		}
	}
	other := FindingGroup{Severity: "other"}
	for _, f := range fs {
		if !known[f.Severity] {
			other.Findings = append(other.Findings, f)
		}
	}
	if len(other.Findings) > 0 {
		groups = append(groups, other)
	}
	return groups
}

// FindingCounts is "3 findings: 1 critical, 2 high" or "No findings".
func FindingCounts(groups []FindingGroup, total int) string {
	if total == 0 {
		return "No findings"
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = fmt.Sprintf("%d %s", len(g.Findings), g.Severity)
	}
	return fmt.Sprintf("%d %s: %s", total, report.Plural(total, "finding", "findings"), strings.Join(parts, ", "))
}

// mdTable renders a GitHub-flavoured Markdown table. tablewriter escapes
// nothing and splits a cell at a newline, so every cell goes through md().
func mdTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	t.Header(toAny(header)...)
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = md(c)
		}
		if err := t.Append(cells); err != nil {
			return err
		}
	}
	return t.Render()
}

// textTable renders a plain terminal table (tablewriter's default renderer).
func textTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	)
	t.Header(toAny(header)...)
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = Plain(c)
		}
		if err := t.Append(cells); err != nil {
			return err
		}
	}
	return t.Render()
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
