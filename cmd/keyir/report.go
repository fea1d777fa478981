package main

import "encoding/json"
import "errors"
import "fmt"
import "io/fs"
import "os"
import "os/exec"
import "path/filepath"
import "runtime"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/htmlreport"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/safefile"

func (a *app) reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "show or verify an evidence report directory",
		Subcommands: []*cli.Command{
			a.reportListCommand(),
			a.reportPruneCommand(),
			a.reportMarkArchivedCommand(),
			{
				Name:      "show",
				Usage:     "print a run's report",
				ArgsUsage: "DIR",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "format", Value: "md", EnvVars: []string{"KEYIR_FORMAT"}, Usage: "md, json or html (the self-contained page, as report.html)"}},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErr(fmt.Errorf("report show takes one report directory"))
					}
					return a.reportShow(c.Args().First(), c.String("format"))
				},
			},
			{
				Name:      "open",
				Usage:     "print the path of a run's report.html and open it in a browser where there is one",
				ArgsUsage: "DIR",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErr(fmt.Errorf("report open takes one report directory"))
					}
					return a.reportOpen(c.Args().First())
				},
			},
			{
				Name:      "verify",
				Usage:     "check a report directory against its MANIFEST (exit 0 intact, 1 tampered or unfinished); files that can be changed later are named",
				ArgsUsage: "DIR",
				Flags:     []cli.Flag{outputFlag()},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErr(fmt.Errorf("report verify takes one report directory"))
					}
					if err := checkOutput(c.String("output")); err != nil {
						return err
					}
					return a.reportVerify(c.Args().First(), c.String("output"))
				},
			},
		},
	}
}

// runDir resolves a run directory given on the command line (one top-level
// link, as `report verify` accepts) and refuses one holding a link or a
// special file, naming it: report show and open read the files inside.
func runDir(arg string) (string, error) {
	dir, err := runstore.ResolveRunDir(arg)
	if err != nil {
		return "", err
	}
	if err := safefile.CheckTree(dir); err != nil {
		return "", err
	}
	return dir, nil
}

func (a *app) reportShow(arg, format string) error {
	dir, err := runDir(arg)
	if err != nil {
		return err
	}
	rep, err := runstore.Load(dir)
	if err != nil {
		return err
	}
	switch format {
	case "md":
		return render.RenderMarkdown(a.out, rep)
	case "json":
		return render.RenderJSON(a.out, rep)
	case "html":
		return htmlreport.RenderHTML(a.out, rep, dir)
	}
	return usageErr(fmt.Errorf("--format must be md, json or html, not %q", format))
}

// reportOpen prints where report.html is and hands it to the desktop's
// opener when there is one. No browser is not an error: on a server over
// SSH the path is what the responder needs.
func (a *app) reportOpen(arg string) error {
	dir, err := runDir(arg)
	if err != nil {
		return err
	}
	path, err := filepath.Abs(filepath.Join(dir, runstore.ReportHTML))
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(dir, runstore.RunFile)); err != nil {
				return fmt.Errorf("%s is not a keyir run directory", dir)
			}
			return fmt.Errorf("%s has no %s (the run has not finished, or an older keyir wrote it); `keyir report show %s --format html > report.html` renders one", dir, runstore.ReportHTML, dir)
		}
		return err
	}
	fmt.Fprintln(a.out, path)
	if name, args := browserOpener(runtime.GOOS, a.getenv); name != "" {
		if err := startOpener(name, append(args, path)...); err != nil {
			fmt.Fprintf(a.errOut, "could not open a browser (%v); open the file above yourself\n", err)
		}
	}
	return nil
}

// browserOpener names the command that opens a file in the user's browser,
// or "" where there is none: a Linux session without a display would get a
// text browser taking over the terminal, if anything. KEYIR_NO_BROWSER=1
// turns it off.
func browserOpener(goos string, getenv func(string) string) (string, []string) {
	if getenv("KEYIR_NO_BROWSER") != "" {
		return "", nil
	}
	var name string
	var args []string
	switch goos {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
	default:
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return "", nil
		}
		name = "xdg-open"
	}
	if _, err := exec.LookPath(name); err != nil {
		return "", nil
	}
	return name, args
}

// startOpener starts the opener without waiting for the browser; tests
// replace it.
var startOpener = func(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // the browser's fate is not keyir's
	return nil
}

// verifyJSON is what `keyir report verify --output json` prints.
type verifyJSON struct {
	Dir string `json:"dir"`
	// Status is "intact", "tampered", or "unfinished": a seal cut short
	// (the journal seals the run, MANIFEST was never written) with every
	// file the journal binds as it records; `keyir resume DIR` finishes it.
	Status string `json:"status"`
	Head   string `json:"head,omitempty"`
	Files  int    `json:"files"`
	// Reasons are why it is tampered or unfinished (none when intact).
	Reasons []string `json:"reasons"`
	// Exposed are files that match MANIFEST but can be changed later (a
	// second hard link, write permission for others): intact now only.
	Exposed []runstore.Exposure `json:"exposed"`
}

// reportVerify prints "intact", "TAMPERED" with every reason, one a line
// (a broken journal chain included), or "UNFINISHED" for a seal cut short
// (what is missing and the next step: not a change, but not verified
// either, so exit 1 as for any directory not verified), then every file
// that matches but can be changed later, and why: "intact" says what is
// true now, and those lines say what may not stay so (the exit code stays
// 0: nothing changed). A path that is itself a link to a run directory is
// followed once and named.
func (a *app) reportVerify(dir, output string) error {
	res, err := runstore.Verify(dir)
	if err != nil {
		return err
	}
	code := 0
	if !res.OK() {
		code = report.ExitCouldNotRun
	}
	if output == "json" {
		doc := verifyJSON{Dir: res.Dir, Status: "intact", Head: res.Head, Files: res.Files, Reasons: []string{}, Exposed: []runstore.Exposure{}}
		switch {
		case res.Tampered():
			doc.Status, doc.Reasons = "tampered", res.Reasons()
		case !res.OK():
			doc.Status, doc.Reasons = "unfinished", res.Reasons()
		}
		doc.Exposed = append(doc.Exposed, res.Exposed...)
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
		return withCode(code)
	}
	name := dir
	if res.Dir != "" && res.Dir != filepath.Clean(dir) {
		name = dir + " -> " + res.Dir
	}
	switch {
	case res.OK():
		fmt.Fprintf(a.out, "%s: intact — every file matches MANIFEST (head %s)\n", inert(name), res.Head)
	case !res.Tampered():
		fmt.Fprintf(a.out, "%s: UNFINISHED — its seal was cut short; nothing in it was found changed\n  %s\n", inert(name), inert(res.Unfinished))
	default:
		fmt.Fprintf(a.out, "%s: TAMPERED\n", inert(name))
		for _, r := range res.Reasons() {
			fmt.Fprintf(a.out, "  %s\n", inert(r))
		}
	}
	if len(res.Exposed) > 0 {
		fmt.Fprintln(a.out, "Can be changed later, so intact only now (verify again, against the head kept outside, before relying on it):")
		for _, e := range res.Exposed {
			fmt.Fprintf(a.out, "  warning: %s: %s\n", inert(e.Path), inert(e.Why))
		}
	}
	return withCode(code)
}
