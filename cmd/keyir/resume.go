package main

import "fmt"
import "maps"
import "slices"
import "strconv"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/htmlreport"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

func (a *app) resumeCommand() *cli.Command {
	return &cli.Command{
		Name:      "resume",
		Usage:     "continue an interrupted or failed run after its last completed step",
		ArgsUsage: "DIR",
		Flags: append(append(commonRunFlags()[1:],
			&cli.StringFlag{Name: "key", Usage: "read the leaked key from stdin again: --key - (secret inputs are never stored)"},
			&cli.StringFlag{Name: "key-file", EnvVars: []string{"KEYIR_KEY_FILE"}, Usage: "read the leaked key from this file"},
			&cli.StringFlag{Name: "from", EnvVars: envOf("from"), Usage: "a run of several keys (keyir respond --from): the scanner's report `FILE` again, for its keys"},
			&cli.StringFlag{Name: "format", Value: "auto", Usage: "the --from report's format: gitleaks, trufflehog, kingfisher or auto"},
		), notifyFlags(true)...),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr(fmt.Errorf("resume takes one report directory"))
			}
			if err := checkOutput(c.String("output")); err != nil {
				return err
			}
			// The directory is checked before anything else happens (a key
			// read, a notification): a sealed or altered run goes no further.
			chk, err := runstore.CheckResume(c.Args().First())
			if err != nil {
				return err
			}
			if chk.UnfinishedSeal > 0 {
				return a.finishSeal(c.Args().First(), c.String("output"))
			}
			if isDrill, _ := drill.IsDrill(c.Args().First()); isDrill {
				return a.resumeDrill(c)
			}
			// Only now, the run being no drill's, are the credential files
			// looked at (main does it for the other commands that read them).
			if err := checkCredentialVars(a.getenv); err != nil {
				return err
			}
			if err := a.refuseLiveResumeInDryRun(c.Args().First(), chk.Run.Mode); err != nil {
				return err
			}
			given := map[string]string{}
			if len(chk.Run.Keys) > 0 {
				if given, err = a.resumeKeys(c, c.Args().First(), chk.Run); err != nil {
					return err
				}
			} else if c.String("from") != "" {
				return usageErr(fmt.Errorf("%s responds to one key: give it with --key - or --key-file; --from is for a run of several keys (keyir respond --from)", c.Args().First()))
			}
			keyFrom := c.String("key-file")
			if k := c.String("key"); k != "" {
				if k != "-" {
					a.red.Add(k)
					return usageErr(fmt.Errorf("--key takes only \"-\" (read the key from stdin)"))
				}
				keyFrom = "-"
			}
			if keyFrom != "" && len(chk.Run.Keys) == 0 {
				key, err := a.readKey(keyFrom)
				if err != nil {
					return err
				}
				if err := resumedKeyIsTheRuns(c.Args().First(), key); err != nil {
					return err
				}
				given["key"] = key
			}
			hub, err := a.startHub(notifyOptionsOf(c), leakedOf(given))
			if err != nil {
				return err
			}
			defer a.stopHub(hub)
			res, err := playbook.Resume(c.Context, c.Args().First(), withHub(playbook.Options{
				Given:    given,
				Redactor: a.red,
				Getenv:   a.getenv,
				ReadFile: a.readFile,
				Observer: a.console(),
				Operator: a.operator(),
				Version:  version,
			}, hub))
			if err != nil {
				return err
			}
			return a.printResult(res, c.String("output"))
		},
	}
}

// finishSeal finishes the seal of a run that keyir left sealed in its
// journal without MANIFEST (killed while writing it): no step runs again,
// no secret is needed, nothing is sent; report.html and MANIFEST are
// written and the run's own result printed.
func (a *app) finishSeal(dir, output string) error {
	rep, head, err := runstore.FinishSeal(dir, htmlreport.Renderer{})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.errOut, "keyir: %s was sealed in its journal but keyir stopped before writing MANIFEST; every file is as the journal records it, and the seal is finished now: report.html rendered again, then MANIFEST; no step ran again\n", dir)
	return a.printResult(&playbook.Result{Report: rep, Dir: dir, Head: head, ExitCode: rep.ExitCode}, output)
}

// resumeDrill resumes a drill's run against its rebuilt simulator. Like the
// drill itself it is sealed off from real systems: no key, credential, URL
// or notification channel is taken from the flags or the environment.
func (a *app) resumeDrill(c *cli.Context) error {
	if c.String("key") != "" || c.String("key-file") != "" || c.String("from") != "" {
		if k := c.String("key"); k != "" && k != "-" {
			a.red.Add(k)
		}
		return usageErr(fmt.Errorf("%s is a drill: its key comes from the scenario; resume it without --key, --key-file or --from", c.Args().First()))
	}
	if o := notifyOptionsOf(c); o.slackChannel != "" || len(o.emailTo) > 0 || o.webhookURL != "" {
		fmt.Fprintln(a.errOut, "keyir: resuming a drill sends no notifications (the drill's simulators are gone); the notification options are ignored")
	}
	res, err := drill.Resume(c.Context, c.Args().First(), drill.ResumeOptions{
		Operator: a.operator(),
		Version:  version,
		Observer: a.console(),
		Redactor: a.red,
	})
	if err != nil {
		return err
	}
	return a.printResult(res.Run, c.String("output"))
}

// leakedOf is the key a resume's notifications are about: the run's one
// key, or the first of several.
func leakedOf(given map[string]string) string {
	if k, ok := given["key"]; ok {
		return k
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		return given[name]
	}
	return ""
}

// refuseLiveResumeInDryRun: resume continues a run in the mode it started
// in and so has no --dry-run, but a shell that set KEYIR_DRY_RUN asked every
// command for a dry run (README: Configuration); continuing a live run there
// would revoke and notify for real. An unreadable value is refused as well,
// as the flag's own parser refuses it.
func (a *app) refuseLiveResumeInDryRun(dir string, mode report.Mode) error {
	v := strings.TrimSpace(a.getenv("KEYIR_DRY_RUN"))
	if v == "" || mode == report.ModeDryRun {
		return nil
	}
	if dry, err := strconv.ParseBool(v); err == nil && !dry {
		return nil
	}
	return usageErr(fmt.Errorf("KEYIR_DRY_RUN is set, but %s is a %s run and resume continues it as it started, with real writes; unset KEYIR_DRY_RUN to continue it", dir, mode))
}

// resumedKeyIsTheRuns: the key given to a resume must be the one the run
// started with, by the fingerprint its identify step recorded. Another key
// of the same id (a mistyped secret) was polled in the run's key's place,
// and its 401 confirmed a containment nothing had proven.
func resumedKeyIsTheRuns(dir, key string) error {
	events, _, err := runstore.ReadJournal(dir)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if ev.Type != report.EventStepFinished || ev.Step != "identify" {
			continue
		}
		if fp, _ := ev.Outputs["fingerprint"].(string); fp != "" && fp != redact.Fingerprint(key) {
			return usageErr(fmt.Errorf("the key given is not %s's: its fingerprint is %s, the run's is %s (recorded by its identify step); give the run's key", dir, redact.Fingerprint(key), fp))
		}
	}
	return nil
}
