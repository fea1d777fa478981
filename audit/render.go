package audit

import "encoding/json"
import "fmt"
import "io"
import "slices"
import "strings"

import "github.com/keyir/keyir/report"

// Counts are results by status.
type Counts struct {
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	NotAssessable int `json:"not_assessable"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	default:
		c.NotAssessable++
	}
}

// Summary is the "summary" object of the JSON report.
type Summary struct {
	Results    int                     `json:"results"`
	Counts                             // pass, fail, not_assessable
	Checks     int                     `json:"checks"`
	FailedIDs  []string                `json:"failed_checks"`
	ByPractice map[Practice]Counts     `json:"by_practice"`
	BySeverity map[report.Severity]int `json:"failures_by_severity"`
	FailOn     report.Severity         `json:"fail_on"`
	Breaches   int                     `json:"failures_at_or_above_fail_on"`
}

// rank orders severities: higher is worse.
func rank(s report.Severity) int {
	return len(report.Severities) - slices.Index(report.Severities, s)
}

// ParseSeverity reads a --fail-on value.
func ParseSeverity(s string) (report.Severity, error) {
	for _, v := range report.Severities {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("severity %q: want info, low, medium, high or critical", s)
}

// Summarize counts results and the failures at or above failOn.
func Summarize(rs []Result, failOn report.Severity) Summary {
	s := Summary{Results: len(rs), ByPractice: map[Practice]Counts{}, BySeverity: map[report.Severity]int{}, FailOn: failOn, FailedIDs: []string{}}
	ids := map[string]bool{}
	for _, r := range rs {
		s.Counts.add(r.Status)
		c := s.ByPractice[r.Practice]
		c.add(r.Status)
		s.ByPractice[r.Practice] = c
		if !ids[r.ID] {
			ids[r.ID] = true
			s.Checks++
		}
		if r.Status == Fail {
			s.BySeverity[r.Severity]++
			if !slices.Contains(s.FailedIDs, r.ID) {
				s.FailedIDs = append(s.FailedIDs, r.ID)
			}
			if rank(r.Severity) >= rank(failOn) {
				s.Breaches++
			}
		}
	}
	slices.Sort(s.FailedIDs)
	return s
}

// WriteJSON writes {"checks":[…],"summary":{…}}.
func WriteJSON(w io.Writer, rs []Result, sum Summary) error {
	if rs == nil {
		rs = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Checks  []Result `json:"checks"`
		Summary Summary  `json:"summary"`
	}{rs, sum})
}

// textWidth is the terminal width the text report fits.
const textWidth = 80

// WriteText writes the report grouped by practice, a summary line per
// practice, every line at most 80 columns (long details wrap).
func WriteText(w io.Writer, rs []Result, sum Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "keyir audit: %d checks, %d results: %d fail, %d pass, %d not assessable\n",
		sum.Checks, sum.Results, sum.Fail, sum.Pass, sum.NotAssessable)
	for _, p := range Practices {
		c, ok := sum.ByPractice[p]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "\n== %s: %d fail, %d pass, %d not assessable\n", p, c.Fail, c.Pass, c.NotAssessable)
		for _, st := range []Status{Fail, NotAssessable, Pass} {
			for _, r := range rs {
				if r.Practice != p || r.Status != st {
					continue
				}
				tag := map[Status]string{Fail: "FAIL", Pass: "pass", NotAssessable: "n/a "}[st]
				head := fmt.Sprintf("%s %-8s %s %s", tag, r.Severity, r.ID, r.Subject)
				wrap(&b, head, "", textWidth)
				wrap(&b, r.Detail, "      ", textWidth)
				if st == Fail && r.Fix != "" {
					wrap(&b, "fix: "+r.Fix, "      ", textWidth)
				}
			}
		}
	}
	verdict := "OK"
	if sum.Breaches > 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "\n%s: %d failure(s) at or above %s\n", verdict, sum.Breaches, sum.FailOn)
	_, err := io.WriteString(w, b.String())
	return err
}

// wrap writes s indented, broken at spaces so no line passes width (a
// single word longer than the line is cut).
func wrap(b *strings.Builder, s, indent string, width int) {
	line := indent
	flush := func() {
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
		line = indent + "  "
	}
	for _, word := range strings.Fields(s) {
		for len(indent)+2+len(word) > width {
			if len(line) > len(indent)+2 {
				flush()
			}
			cut := width - len(line)
			line += word[:cut]
			word = word[cut:]
			flush()
		}
		if len(line)+len(word)+1 > width && strings.TrimSpace(line) != "" {
			flush()
		}
		if strings.TrimSpace(line) != "" {
			line += " "
		}
		line += word
	}
	if strings.TrimSpace(line) != "" {
		flush()
	}
}
