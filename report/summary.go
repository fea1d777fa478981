package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/keyir/keyir/safefile"
)

// RenderJSON writes report.json: the Report, indented.
func RenderJSON(w io.Writer, rep *Report) error {
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
func RenderSummary(w io.Writer, rep *Report, dir string) error {
	bw := bufio.NewWriter(w)
	if banner := Banner(rep); banner != "" {
		fmt.Fprintln(bw, banner)
	}
	if !finished(rep) {
		fmt.Fprintf(bw, "INCOMPLETE — the run did not finish (status: %s); keyir resume %s continues it.\n", plain(string(rep.Run.Status)), dirOr(dir))
	}
	head := []string{"Run " + plain(rep.Run.ID)}
	if rep.Run.Incident != "" {
		head = append(head, plain(rep.Run.Incident))
	}
	head = append(head, plain(rep.Run.Playbook), string(rep.Run.Mode), plain(string(rep.Run.Status)))
	if exited(rep) {
		head = append(head, fmt.Sprintf("exit %d (%s)", rep.ExitCode, ExitMeaning(rep.ExitCode)))
	}
	if !rep.Run.Finished.IsZero() {
		head = append(head, FormatDuration(rep.Run.Finished.Sub(rep.Run.Started)))
	}
	fmt.Fprintln(bw, strings.Join(head, " · "))

	if len(rep.Steps) > 0 {
		rows := make([][]string, 0, len(rep.Steps))
		for _, s := range rep.Steps {
			status := string(s.Status)
			if s.Error != "" {
				status += ": " + truncate(plain(s.Error), 60)
			}
			rows = append(rows, []string{strconv.Itoa(s.Index), s.ID, status, stepDuration(s), attempts(s)})
		}
		if err := textTable(bw, []string{"#", "STEP", "STATUS", "DURATION", "ATTEMPTS"}, rows); err != nil {
			return err
		}
	}

	groups := groupFindings(rep.Findings)
	fmt.Fprintf(bw, "Findings: %s\n", findingCounts(groups, len(rep.Findings)))
	if len(rep.Findings) > 0 {
		var rows [][]string
		for _, g := range groups {
			for _, f := range g.findings {
				if len(rows) == maxSummaryFindings {
					break
				}
				rows = append(rows, []string{string(g.sev), truncate(plain(f.Title), 70), truncate(plain(f.Subject), 30)})
			}
		}
		if err := textTable(bw, []string{"SEVERITY", "FINDING", "SUBJECT"}, rows); err != nil {
			return err
		}
		if more := len(rep.Findings) - len(rows); more > 0 {
			fmt.Fprintf(bw, "… and %d more in the report\n", more)
		}
	}

	c := rep.Run.Containment
	line := "Containment: " + plain(containmentLine(c))
	if c.TimeToContainment > 0 {
		line += " (time to containment " + FormatDuration(c.TimeToContainment) + ")"
	}
	fmt.Fprintln(bw, line)
	if len(rep.Planned) > 0 {
		fmt.Fprintf(bw, "Planned changes: %d (listed in the report)\n", len(rep.Planned))
	}
	if dir != "" {
		fmt.Fprintf(bw, "Report: %s (and report.html beside it)\n", filepath.Join(dir, ReportMD))
	}
	if rep.ManifestHead != "" {
		fmt.Fprintf(bw, "Manifest head: %s\n", rep.ManifestHead)
	} else {
		fmt.Fprintln(bw, "Manifest: not written (the run has not finished)")
	}
	if rep.ExitCode == ExitFootholdsOpen {
		// Last, so the next step is what the responder sees.
		fmt.Fprintf(bw, "Outcome: %s\nNext: %s\n", FootholdsOutcome(OpenFootholds(rep.Findings)), EradicateCommand(dir))
	}
	return bw.Flush()
}

func dirOr(dir string) string {
	if dir == "" {
		return "DIR"
	}
	return dir
}

// Load reads a run directory's report for `keyir report show`: report.json
// when the run finished, otherwise a replay of run.json and the journal, so a
// crashed or still-running run can be inspected too (with a note saying so).
func Load(dir string) (*Report, error) {
	var rep Report
	err := readJSON(filepath.Join(dir, ReportJSON), &rep)
	switch {
	case err == nil:
		rep.ManifestHead = manifestHead(dir)
		return &rep, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	var run Run
	if err := readJSON(filepath.Join(dir, RunFile), &run); err != nil {
		return nil, fmt.Errorf("not a keyir run directory: %w", err)
	}
	events, torn, err := ReadJournal(dir)
	if err != nil {
		return nil, err
	}
	r := Replay(run, events)
	fillEvidence(dir, r)
	text := "This run did not finish: it crashed, was interrupted, or is still running. This report was rebuilt from the journal; `keyir resume` continues the run."
	if torn {
		text += " The journal's last line was cut off mid-write and is ignored."
	}
	r.Notes = append(r.Notes, Note{Text: text})
	return r, nil
}

// manifestHead reads the head line of MANIFEST, or "" if there is none (or
// it is not a regular file: a link is not followed, a FIFO does not block).
func manifestHead(dir string) string {
	f, err := safefile.Open(filepath.Join(dir, ManifestFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	head := ""
	sc := bufio.NewScanner(io.LimitReader(f, MaxManifest))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "head "); ok {
			head = h
		}
	}
	return head
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
