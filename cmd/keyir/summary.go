package main

import "bytes"
import "fmt"
import "io"
import "strings"
import "unicode"
import "unicode/utf8"

import "github.com/olekukonko/tablewriter"
import "github.com/olekukonko/tablewriter/tw"

import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

// liveConsole reports whether the run's progress is the live step list: a
// terminal on stderr that is not TERM=dumb.
func (a *app) liveConsole() bool { return a.tty && a.getenv("TERM") != "dumb" }

// colorOut reports whether stdout gets colour: a terminal, and no NO_COLOR
// (no-color.org: it turns off colour, nothing else).
func (a *app) colorOut() bool {
	return a.outTTY && a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
}

// renderRunSummary prints the end-of-run summary. When the live step list
// is on screen, it is the step list: the summary's step table would be a
// second copy, so only failed steps' errors are added, in full, wrapped.
func (a *app) renderRunSummary(w io.Writer, rep *report.Report, dir string) error {
	shown := rep
	var failed []report.Step
	if a.liveConsole() {
		cp := *rep
		cp.Steps = nil
		shown = &cp
		for _, s := range rep.Steps {
			if s.Error != "" {
				failed = append(failed, s)
			}
		}
	}
	var b bytes.Buffer
	if err := render.RenderSummary(&b, shown, dir); err != nil {
		return err
	}
	text, err := fitTables(b.String(), shown)
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		var f strings.Builder
		for _, s := range failed {
			f.WriteString(wrapText(fmt.Sprintf("%s %s: %s", s.ID, s.Status, plainText(s.Error)), columns(), "    ") + "\n")
		}
		// After the run's heading line, before the findings.
		if i := strings.Index(text, "\nFindings:"); i >= 0 {
			text = text[:i+1] + f.String() + text[i+1:]
		} else {
			text += f.String()
		}
	}
	if a.colorOut() {
		text = colorSummary(text)
	}
	_, err = io.WriteString(w, text)
	return err
}

// fitTables replaces the summary's fixed-width tables (steps, findings) by
// tables laid out for the terminal's width: cells wrap instead of running
// past the edge. A longer line (containment, the report's path) is wrapped
// at spaces; everything else is RenderSummary's text, unchanged.
func fitTables(text string, rep *report.Report) (string, error) {
	lines := strings.SplitAfter(text, "\n")
	var out strings.Builder
	table := 0
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "┌") {
			l := strings.TrimSuffix(lines[i], "\n")
			// A command to copy ("Next: keyir eradicate DIR") stays on one
			// line: the terminal folds it, a copy keeps it whole.
			if utf8.RuneCountInString(l) > columns() && !strings.HasPrefix(l, "Next: ") {
				l = wrapText(l, columns(), "  ")
			}
			out.WriteString(l)
			if strings.HasSuffix(lines[i], "\n") {
				out.WriteString("\n")
			}
			continue
		}
		for i < len(lines) && !strings.HasPrefix(lines[i], "└") {
			i++
		}
		var err error
		switch {
		case table == 0 && len(rep.Steps) > 0:
			err = stepsTable(&out, rep.Steps)
		default:
			err = findingsTable(&out, rep.Findings)
			// Its "… and N more" line stays: the count is the same.
		}
		if err != nil {
			return "", err
		}
		table++
	}
	return out.String(), nil
}

func stepsTable(w io.Writer, steps []report.Step) error {
	idW := len("STEP")
	for _, s := range steps {
		idW = max(idW, min(utf8.RuneCountInString(s.ID), 20))
	}
	numW := len(fmt.Sprint(len(steps)))
	// Borders and padding of five columns take 16; DURATION and ATTEMPTS 8 each.
	statusW := max(columns()-16-numW-idW-8-8, 12)
	t := laidOutTable(w)
	t.Header("#", "STEP", "STATUS", "DURATION", "ATTEMPTS")
	for _, s := range steps {
		status := string(s.Status)
		if s.Error != "" {
			status += ": " + clipText(plainText(s.Error), 300)
		}
		dur := ""
		if s.Duration > 0 {
			dur = report.FormatDuration(s.Duration)
		}
		if err := t.Append([]string{fmt.Sprint(s.Index), cellWrap(s.ID, idW), cellWrap(status, statusW), dur, fmt.Sprint(s.Attempts)}); err != nil {
			return err
		}
	}
	return t.Render()
}

// maxSummaryFindings is the summary's bound (report.md has them all); the
// "… and N more" line RenderSummary wrote counts from the same bound.
const maxSummaryFindings = 15

func findingsTable(w io.Writer, fs []report.Finding) error {
	// Borders and padding of three columns take 10; SEVERITY 8. The subject
	// (an id, an address, a host) gets what it needs up to a third.
	avail := max(columns()-10-8, 30)
	subjW := len("SUBJECT")
	for _, f := range fs {
		subjW = max(subjW, utf8.RuneCountInString(plainText(f.Subject)))
	}
	subjW = min(subjW, max(avail/3, 24)) // a key id (22) stays whole
	findW := avail - subjW
	t := laidOutTable(w)
	t.Header("SEVERITY", "FINDING", "SUBJECT")
	n := 0
	for _, sev := range report.Severities {
		for _, f := range fs {
			if f.Severity != sev || n == maxSummaryFindings {
				continue
			}
			n++
			if err := t.Append([]string{string(sev), cellWrap(clipText(plainText(f.Title), 200), findW), cellWrap(plainText(f.Subject), subjW)}); err != nil {
				return err
			}
		}
	}
	return t.Render()
}

// plainText makes API text inert on a terminal: no control characters, no
// format characters (bidi overrides), one line.
func plainText(s string) string {
	return strings.Join(strings.Fields(inertRunes(s)), " ")
}

// inertRunes is plainText keeping the spacing: line breaks and tabs become
// spaces, other control and format characters go.
func inertRunes(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
}

// laidOutTable is newTable for cells already laid out by cellWrap: the
// table keeps their lines as they are (its own wrapping would re-break them
// at other widths).
func laidOutTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
}

// cellWrap lays s out in lines of at most width runes: at spaces, and a
// word longer than a line (a URL) cut into pieces, so the table's width is
// what was computed, whatever the text.
func cellWrap(s string, width int) string {
	var out []string
	for _, line := range strings.Split(wrapText(s, width, ""), "\n") {
		r := []rune(line)
		for len(r) > width {
			out = append(out, string(r[:width]))
			r = r[width:]
		}
		out = append(out, string(r))
	}
	return strings.Join(out, "\n")
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// severityColors and the SGR codes of the summary: red for critical and
// high, yellow medium, cyan low, dim info.
var severityColors = map[string]string{
	string(report.Critical): "1;31", string(report.High): "31", string(report.Medium): "33",
	string(report.Low): "36", string(report.Info): "2",
}

func sgr(code, s string) string { return "\x1b[" + code + "m" + s + "\x1b[0m" }

// colorSummary colours the severity cell of each findings row and the
// containment outcome; every other byte is as RenderSummary wrote it, so the
// text without colour is the plain summary.
func colorSummary(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "│ "):
			cell, rest, ok := strings.Cut(l[len("│ "):], " ")
			if code, known := severityColors[cell]; ok && known {
				lines[i] = "│ " + sgr(code, cell) + " " + rest
			}
		case strings.HasPrefix(l, "Containment: "):
			v := strings.TrimSuffix(strings.TrimPrefix(l, "Containment: "), "\n")
			word, more, _ := strings.Cut(v, " ")
			code := "33"
			switch word {
			case "confirmed":
				code = "32"
			case "failed", "not_found", "not":
				code = "1;31"
			}
			lines[i] = "Containment: " + sgr(code, word)
			if more != "" {
				lines[i] += " " + more
			}
			lines[i] += "\n"
		}
	}
	return strings.Join(lines, "")
}
