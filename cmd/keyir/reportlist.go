package main

import "encoding/json"
import "errors"
import "fmt"
import "io"
import "io/fs"
import "os"
import "path/filepath"
import "sort"
import "strconv"
import "strings"
import "text/tabwriter"
import "time"
import "unicode"
import "unicode/utf8"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/safefile"

// maxListed bounds how many entries of a reports directory `report list`
// looks at: a directory of a million entries costs a bounded read.
const maxListed = 10000

func (a *app) reportListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list past runs under the reports directory, newest first",
		Flags: []cli.Flag{
			reportsFlag("root `DIR` the runs were written under"),
			outputFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr(fmt.Errorf("report list takes no arguments (did you mean --reports %s?)", c.Args().First()))
			}
			if err := checkOutput(c.String("output")); err != nil {
				return err
			}
			return a.reportList(c.String("reports"), c.String("output"))
		},
	}
}

// listedRun is one run in `keyir report list --output json`.
type listedRun struct {
	RunID       string    `json:"run_id"`
	Incident    string    `json:"incident"`
	Playbook    string    `json:"playbook"`
	Mode        string    `json:"mode"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished,omitzero"`
	Outcome     string    `json:"outcome"`
	Containment string    `json:"containment"`
	Path        string    `json:"path"`
}

// skippedDir is an entry of the reports directory that is not a readable run.
type skippedDir struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// listRuns reads run.json of each directory under root, without following
// links (a link in place of a run directory or of its run.json is skipped and
// named) and with run.json's size cap.
func listRuns(root string) ([]listedRun, []skippedDir, error) {
	if err := safefile.CheckDir(root); err != nil {
		return nil, nil, err
	}
	d, err := os.Open(root)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(maxListed)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	runs, skipped := []listedRun{}, []skippedDir{}
	if len(entries) == maxListed {
		skipped = append(skipped, skippedDir{root, fmt.Sprintf("holds more than %d entries; only the first %d were read", maxListed, maxListed)})
	}
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			skipped = append(skipped, skippedDir{p, "is a symbolic link (not followed)"})
			continue
		}
		if !e.IsDir() {
			continue // a file next to the runs (a baseline, a note) is not a run
		}
		b, err := safefile.ReadFile(filepath.Join(p, runstore.RunFile), runstore.MaxRunFile)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				skipped = append(skipped, skippedDir{p, runstore.RunFile + ": " + err.Error()})
			}
			continue
		}
		var r report.Run
		if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
			skipped = append(skipped, skippedDir{p, runstore.RunFile + " is not a keyir run record"})
			continue
		}
		runs = append(runs, listedRun{
			RunID: r.ID, Incident: r.Incident, Playbook: r.Playbook, Mode: string(r.Mode),
			Started: r.Started, Finished: r.Finished, Outcome: string(r.Status),
			Containment: r.Containment.Status, Path: p,
		})
	}
	sort.SliceStable(runs, func(i, j int) bool {
		if !runs[i].Started.Equal(runs[j].Started) {
			return runs[i].Started.After(runs[j].Started)
		}
		return runs[i].RunID > runs[j].RunID
	})
	return runs, skipped, nil
}

func (a *app) reportList(root, output string) error {
	runs, skipped, err := listRuns(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no reports directory %s (runs are written under --reports, default ./reports)", root)
		}
		return err
	}
	// What a run.json says is the run's own text (an incident id, a
	// playbook path): a key pasted there is shown as its token.
	for i := range runs {
		a.red.AddShapes(runs[i].Incident + " " + runs[i].Playbook)
	}
	if output == "json" {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			ReportsDir string       `json:"reports_dir"`
			Runs       []listedRun  `json:"runs"`
			Skipped    []skippedDir `json:"skipped"`
		}{root, runs, skipped})
	}
	a.printSkipped(skipped)
	if len(runs) == 0 {
		fmt.Fprintf(a.errOut, "no runs under %s\n", root)
		return nil
	}
	// Plain aligned columns, as gh run list: one run a line, so the list
	// greps and a long path does not wrap every cell.
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tINCIDENT\tPLAYBOOK\tMODE\tSTARTED\tOUTCOME\tCONTAINMENT\tPATH")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inert(r.RunID), inert(dash(r.Incident)), inert(strings.TrimPrefix(r.Playbook, playbook.BuiltinPrefix)), inert(r.Mode),
			r.Started.UTC().Format("2006-01-02T15:04Z"), inert(r.Outcome), inert(dash(r.Containment)), inert(r.Path))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printSkipped names on stderr the entries of a reports directory that are
// not readable runs.
func (a *app) printSkipped(skipped []skippedDir) {
	for _, s := range skipped {
		fmt.Fprintf(a.errOut, "keyir: skipped %s: %s\n", inert(s.Path), inert(s.Reason))
	}
}

// inert shows text read from a run directory (a file's name, a field of
// run.json: nothing vouches for either) on a terminal as what it is: text
// with a control or format character (an ANSI escape, a line break, a bidi
// override) or invalid UTF-8 is shown Go-quoted, so it can neither drive the
// terminal (move the cursor up over "TAMPERED") nor forge a line of output.
func inert(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}
