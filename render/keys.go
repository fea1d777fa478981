package render

import "bytes"
import "fmt"
import "io"
import "strings"

import "github.com/keyir/keyir/report"

// A run that responds to several keys (keyir respond --from) lists each
// key's outcome: by kind and fingerprint, never by value.

// keysMarkdown is report.md's table: key (kind, fingerprint) → outcome.
func keysMarkdown(b *bytes.Buffer, rep *report.Report) error {
	if len(rep.Keys) == 0 {
		return nil
	}
	b.WriteString("## Keys\n\n")
	rows := make([][]string, 0, len(rep.Keys))
	for _, k := range rep.Keys {
		outcome := ContainmentLine(k.Containment)
		if k.Containment.TimeToContainment > 0 {
			outcome += " in " + report.FormatDuration(k.Containment.TimeToContainment)
		}
		rows = append(rows, []string{k.Label, k.Human, k.Fingerprint, outcome, Truncate(strings.Join(k.Found, "; "), 300)})
	}
	if err := mdTable(b, []string{"Key", "Kind", "Fingerprint", "Outcome", "Found at"}, rows); err != nil {
		return err
	}
	b.WriteString("\n")
	return nil
}

// keysText is the terminal summary's list, one key a line.
func keysText(w io.Writer, rep *report.Report) {
	if len(rep.Keys) == 0 {
		return
	}
	fmt.Fprintf(w, "Keys (%d):\n", len(rep.Keys))
	for _, k := range rep.Keys {
		fmt.Fprintf(w, "  %s\n", Plain(report.KeysLine(k)))
	}
}
