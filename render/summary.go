package render

import "bufio"
import "encoding/json"
import "fmt"
import "io"
import "path/filepath"
import "sort"
import "strconv"
import "strings"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// RenderJSON writes report.json: the Report, indented.
func RenderJSON(w io.Writer, rep *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// maxSummaryFindings bounds the findings table in the terminal; the report
// has them all.
const maxSummaryFindings = 15

// RenderSummary writes what a responder sees in the terminal when a run ends:
// mode, steps, findings, containment, and where the evidence is. It is plain
// text without colour (the CLI adds colour), and text from APIs is stripped of
// control characters so it cannot drive the terminal.
func RenderSummary(w io.Writer, rep *report.Report, dir string) error {
	bw := bufio.NewWriter(w)
	if banner := Banner(rep); banner != "" {
		fmt.Fprintln(bw, banner)
	}
	if !Finished(rep) {
		fmt.Fprintf(bw, "INCOMPLETE — the run did not finish (status: %s); keyir resume %s continues it.\n", Plain(string(rep.Run.Status)), dirOr(dir))
	}
	head := []string{"Run " + Plain(rep.Run.ID)}
	if rep.Run.Incident != "" {
		head = append(head, Plain(rep.Run.Incident))
	}
	head = append(head, Plain(rep.Run.Playbook), string(rep.Run.Mode), Plain(string(rep.Run.Status)))
	if exited(rep) {
		head = append(head, fmt.Sprintf("exit %d (%s)", rep.ExitCode, report.ExitMeaning(rep.ExitCode)))
	}
	if !rep.Run.Finished.IsZero() {
		head = append(head, report.FormatDuration(rep.Run.Finished.Sub(rep.Run.Started)))
	}
	fmt.Fprintln(bw, strings.Join(head, " · "))

	if len(rep.Steps) > 0 {
		rows := make([][]string, 0, len(rep.Steps))
		for _, s := range rep.Steps {
			status := string(s.Status)
			if s.Error != "" {
				status += ": " + Truncate(Plain(s.Error), 60)
			}
			rows = append(rows, []string{strconv.Itoa(s.Index), s.ID, status, StepDuration(s), Attempts(s)})
		}
		if err := textTable(bw, []string{"#", "STEP", "STATUS", "DURATION", "ATTEMPTS"}, rows); err != nil {
			return err
		}
	}

	groups := GroupFindings(rep.Findings)
	fmt.Fprintf(bw, "Findings: %s\n", FindingCounts(groups, len(rep.Findings)))
	if len(rep.Findings) > 0 {
		var rows [][]string
		for _, g := range groups {
			for _, f := range g.Findings {
				if len(rows) == maxSummaryFindings {
					break
				}
				rows = append(rows, []string{string(g.Severity), Truncate(Plain(f.Title), 70), Truncate(Plain(f.Subject), 30)})
			}
		}
		if err := textTable(bw, []string{"SEVERITY", "FINDING", "SUBJECT"}, rows); err != nil {
			return err
		}
		if more := len(rep.Findings) - len(rows); more > 0 {
			fmt.Fprintf(bw, "… and %d more in the report\n", more)
		}
	}

	keysText(bw, rep)
	c := rep.Run.Containment
	line := "Containment: " + Plain(ContainmentLine(c))
	if c.TimeToContainment > 0 {
		line += " (time to containment " + report.FormatDuration(c.TimeToContainment) + ")"
	}
	fmt.Fprintln(bw, line)
	if len(rep.Planned) > 0 {
		fmt.Fprintf(bw, "Planned changes: %d (listed in the report)\n", len(rep.Planned))
	}
	if dir != "" {
		fmt.Fprintf(bw, "Report: %s (and report.html beside it)\n", filepath.Join(dir, runstore.ReportMD))
	}
	if rep.ManifestHead != "" {
		fmt.Fprintf(bw, "Manifest head: %s\n", rep.ManifestHead)
	} else {
		fmt.Fprintln(bw, "Manifest: not written (the run has not Finished)")
	}
	if rep.ExitCode == report.ExitFootholdsOpen {
		// Last, so the next step is what the responder sees.
		fmt.Fprintf(bw, "Outcome: %s\nNext: %s\n", report.FootholdsOutcome(report.OpenFootholds(rep.Findings)), report.FootholdsNext(rep.Findings, dir))
	}
	return bw.Flush()
}

func dirOr(dir string) string {
	if dir == "" {
		return "DIR"
	}
	return dir
}

func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
