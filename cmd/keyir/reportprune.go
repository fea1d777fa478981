package main

import "bufio"
import "encoding/json"
import "errors"
import "fmt"
import "io/fs"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "time"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/safefile"

// HeadsLog is the file, in the reports directory, that lists the MANIFEST
// heads recorded elsewhere. A sealed run's head is what a ticket or an
// archive quotes to prove the evidence unchanged; once it is recorded there
// the directory may go. keyir cannot see a ticket, so the operator says it:
// `keyir report mark-archived DIR` appends the run's head, after checking
// the directory against it, one line per run:
//
//	<head> <run directory name> <time, RFC 3339> <note>
//
// `keyir report prune` removes only runs whose verified head is in it.
const HeadsLog = "archived-heads.log"

// maxHeadsLog caps the heads log read by prune (a line is ~150 bytes).
const maxHeadsLog = 16 << 20

func (a *app) reportMarkArchivedCommand() *cli.Command {
	return &cli.Command{
		Name:      "mark-archived",
		Usage:     "record that a sealed run's MANIFEST head is kept elsewhere (a ticket, an archive), so report prune may remove it",
		ArgsUsage: "DIR",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "note", EnvVars: envOf("note"), Usage: "where the head is recorded, e.g. the `TICKET`"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr(errors.New("report mark-archived takes one run directory"))
			}
			return a.markArchived(c.Args().First(), c.String("note"))
		},
	}
}

func (a *app) markArchived(dir, note string) error {
	dir = filepath.Clean(dir)
	if err := safefile.CheckDir(dir); err != nil {
		return usageErr(err)
	}
	a.red.AddShapes(note)
	note = strings.Join(strings.Fields(a.red.String(note)), " ")
	res, err := runstore.Verify(dir)
	if err != nil {
		if errors.Is(err, runstore.ErrNoManifest) {
			return usageErr(fmt.Errorf("%s is not sealed (no MANIFEST): only a finished run has a head to archive", dir))
		}
		return err
	}
	if res.Unfinished != "" {
		fmt.Fprintf(a.errOut, "keyir: %s is not sealed yet, so it has no head to archive: %s; not marked\n", dir, res.Unfinished)
		return withCode(1)
	}
	if !res.OK() {
		fmt.Fprintf(a.errOut, "keyir: %s does not match its MANIFEST (keyir report verify %s says what changed); not marked\n", dir, shellQuote(dir))
		return withCode(1)
	}
	f, err := safefile.OpenFile(filepath.Join(filepath.Dir(dir), HeadsLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%s %s %s %s\n", res.Head, filepath.Base(dir), time.Now().UTC().Format(time.RFC3339), note)
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "%s: head %s recorded in %s\n", dir, res.Head, filepath.Join(filepath.Dir(dir), HeadsLog))
	return nil
}

// archivedHeads reads the heads log of root: head -> run directory names.
func archivedHeads(root string) (map[string][]string, error) {
	b, err := safefile.ReadFile(filepath.Join(root, HeadsLog), maxHeadsLog)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string][]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	heads := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 {
			heads[f[0]] = append(heads[f[0]], f[1])
		}
	}
	return heads, sc.Err()
}

func (a *app) reportPruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "remove runs older than a time whose MANIFEST head is recorded elsewhere (keyir report mark-archived)",
		Flags: []cli.Flag{
			reportsFlag("root `DIR` the runs were written under"),
			&cli.StringFlag{Name: "older-than", Usage: "prune runs started before this `TIME`: a duration back from now (30d, 720h), a date (UTC) or RFC 3339"},
			dryRunFlag("say what would be removed, remove nothing"),
			&cli.BoolFlag{Name: "force", Usage: "also remove runs whose head is not recorded elsewhere, unsealed runs and runs that do not verify"},
			outputFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr(fmt.Errorf("report prune takes no arguments (did you mean --reports %s?)", c.Args().First()))
			}
			if err := checkOutput(c.String("output")); err != nil {
				return err
			}
			if !c.IsSet("older-than") {
				return usageErr(errors.New("report prune needs --older-than (e.g. 90d): it never removes everything by default"))
			}
			cutoff, err := parseTimeArg(c.String("older-than"), time.Now())
			if err != nil {
				return usageErr(fmt.Errorf("--older-than: %w", err))
			}
			return a.reportPrune(c.String("reports"), cutoff, c.Bool("dry-run"), c.Bool("force"), c.String("output"))
		},
	}
}

// prunedRun is one run in `keyir report prune --output json`.
type prunedRun struct {
	RunID   string    `json:"run_id"`
	Started time.Time `json:"started"`
	Path    string    `json:"path"`
	Head    string    `json:"head,omitempty"`
	// Reason says why a run was kept, or, for a run removed with --force,
	// what --force overrode.
	Reason string `json:"reason,omitempty"`
}

// pruneJSON is the one document of `keyir report prune --output json`.
type pruneJSON struct {
	ReportsDir string       `json:"reports_dir"`
	OlderThan  time.Time    `json:"older_than"`
	DryRun     bool         `json:"dry_run"`
	Removed    []prunedRun  `json:"removed"` // with --dry-run: would be removed
	Kept       []prunedRun  `json:"kept"`    // old enough, but kept, with the reason
	Skipped    []skippedDir `json:"skipped"`
}

func (a *app) reportPrune(root string, cutoff time.Time, dryRun, force bool, output string) error {
	runs, skipped, err := listRuns(root)
	if err != nil {
		return usageErr(fmt.Errorf("--reports: %w", err))
	}
	heads, err := archivedHeads(root)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(root, HeadsLog), err)
	}
	doc := pruneJSON{ReportsDir: root, OlderThan: cutoff, DryRun: dryRun, Removed: []prunedRun{}, Kept: []prunedRun{}, Skipped: skipped}
	for _, r := range runs {
		if !r.Started.Before(cutoff) {
			continue
		}
		p := prunedRun{RunID: r.RunID, Started: r.Started, Path: r.Path}
		reason := ""
		res, verr := runstore.Verify(r.Path)
		switch {
		case errors.Is(verr, runstore.ErrNoManifest):
			reason = "not sealed (no MANIFEST): unfinished, crashed or still running; keyir resume finishes it"
		case verr != nil:
			reason = "cannot be verified: " + verr.Error()
		case res.Unfinished != "":
			reason = "its seal was cut short (no MANIFEST yet): keyir resume finishes it"
		case !res.OK():
			reason = "does not match its MANIFEST (keyir report verify says what changed): kept as evidence"
		default:
			p.Head = res.Head
			if !slices.Contains(heads[res.Head], filepath.Base(r.Path)) {
				reason = "its MANIFEST head is not recorded elsewhere: keyir report mark-archived " + shellQuote(r.Path) + " once it is"
			}
		}
		if reason != "" && !force {
			p.Reason = reason
			doc.Kept = append(doc.Kept, p)
			continue
		}
		if reason != "" {
			p.Reason = "--force: " + reason
		}
		if !dryRun {
			if err := removeRun(root, r); err != nil {
				return err
			}
		}
		doc.Removed = append(doc.Removed, p)
	}
	if output == "json" {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	for _, p := range doc.Removed {
		line := fmt.Sprintf("%s %s (started %s)", verb, inert(p.Path), p.Started.Local().Format("2006-01-02 15:04"))
		if p.Reason != "" {
			line += ": " + inert(p.Reason)
		}
		fmt.Fprintln(a.out, wrapText(line, columns(), "  "))
	}
	for _, p := range doc.Kept {
		fmt.Fprintln(a.out, wrapText(fmt.Sprintf("kept %s: %s", inert(p.Path), inert(p.Reason)), columns(), "  "))
	}
	a.printSkipped(skipped)
	fmt.Fprintf(a.out, "%s %s, kept %d, older than %s\n", verb, report.Count(len(doc.Removed), "run", "runs"), len(doc.Kept), cutoff.Local().Format("2006-01-02 15:04 MST"))
	return nil
}

// removeRun removes a run directory (checked again: not a link) and the
// drill record kept beside it.
func removeRun(root string, r listedRun) error {
	if err := safefile.CheckDir(r.Path); err != nil {
		return err
	}
	if err := os.RemoveAll(r.Path); err != nil {
		return err
	}
	// The id comes from run.json: a hostile one must not name a path.
	if runstore.ValidateRunID(r.RunID) != nil {
		return nil
	}
	for _, side := range []string{".drill-" + r.RunID + ".json", ".drill-" + r.RunID + ".baseline.json"} {
		if err := os.Remove(filepath.Join(root, side)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
