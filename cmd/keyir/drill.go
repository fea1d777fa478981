package main

import "crypto/rand"
import "encoding/hex"
import "encoding/json"
import "fmt"
import "os"
import "sort"
import "strings"
import "testing"
import "time"

import "github.com/olekukonko/tablewriter"
import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

func (a *app) drillCommand() *cli.Command {
	return &cli.Command{
		Name:  "drill",
		Usage: "rehearse a provider's playbook against its built-in simulator (no credentials needed)",
		Flags: append(append(commonRunFlags(),
			&cli.StringFlag{Name: "scenario", Aliases: []string{"s"}, Value: "spam-burst", EnvVars: []string{"KEYIR_SCENARIO"}, Usage: "scenario to rehearse (see --list)"},
			&cli.BoolFlag{Name: "list", Usage: "list the scenarios and exit"},
			&cli.BoolFlag{Name: "eradicate", EnvVars: envOf("eradicate"), Usage: "then apply the run's eradication plan to the simulator (keyir eradicate --yes) and score it"},
			&cli.StringFlag{Name: "incident", EnvVars: []string{"KEYIR_INCIDENT"}, Usage: "incident id (default DRILL-<scenario>)"},
		), sealedFlags(notifyFlags(false))...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr(fmt.Errorf("drill takes no arguments (did you mean --scenario %s?)", c.Args().First()))
			}
			if c.Bool("list") {
				return a.listScenariosAs(c.String("output"))
			}
			if err := checkOutput(c.String("output")); err != nil {
				return err
			}
			if err := a.refuseKeyShapedFlags(c); err != nil {
				return err
			}
			if err := report.ValidateIncident(c.String("incident"), a.red); err != nil {
				return usageErr(fmt.Errorf("--incident: %w", err))
			}
			// Slack is always the built-in simulator: the drill shows what
			// the channel would get without touching a real workspace.
			sim := slacksim.New(slacksim.Options{})
			api, err := sim.Listen("127.0.0.1:0")
			if err != nil {
				return fmt.Errorf("starting the Slack simulator: %w", err)
			}
			defer sim.Close()
			cfg, env, err := a.drillNotify(notifyOptionsOf(c), sim, api)
			if err != nil {
				return err
			}
			if cfg.Channels["webhook"] != nil {
				// The one door out of the sealed drill, said before the
				// banner says "nothing real was touched" of the rest.
				fmt.Fprintln(a.errOut, "keyir: --webhook-url is a real receiver, not a simulator: it gets this drill's deliveries, signed with a secret made up for the drill")
			}
			res, err := drill.Run(c.Context, drill.Options{
				Scenario:    c.String("scenario"),
				ReportsRoot: c.String("reports"),
				Incident:    c.String("incident"),
				Operator:    a.operator(),
				Version:     version,
				Observer:    a.console(),
				Redactor:    a.red,
				Notify:      &cfg,
				Env:         env,
				Faults:      testStall(),
				Eradicate:   c.Bool("eradicate"),
			})
			if err != nil {
				return err
			}
			return a.printDrill(res, c.String("output"), sim)
		},
	}
}

// drillChannel is the simulator's channel a drill posts to.
const drillChannel = "keyir-drill"

// drillNotifyPolicy keeps a drill fast: the simulator answers in
// microseconds, so retries need not wait long.
var drillNotifyPolicy = notify.Policy{MaxAttempts: 3, MaxElapsed: 5 * time.Second, Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}

// drillNotify routes the drill's Slack notifications to the simulator (as
// its drill channel); the drill sends email through its SendGrid simulator
// (drill.Run points the channel there). A drill is sealed off from real
// systems: nothing here reads the environment (no token, key, secret or URL),
// and a webhook's deliveries are signed with a secret made up for this drill,
// so a receiver that checks signatures, as it must, acts on none of them.
func (a *app) drillNotify(o notifyOptions, sim *slacksim.Server, api string) (notify.HubConfig, map[string]string, error) {
	o.slackChannel, o.slackDrillChannel = "", ""
	sealed := *a
	sealed.getenv = func(string) string { return "" }
	cfg, err := sealed.hubConfig(o)
	if err != nil {
		return cfg, nil, err
	}
	cfg.Channels["slack"] = map[string]any{"channel": "#incidents", "drill_channel": "#" + drillChannel, "api_url": api}
	cfg.Retry = drillNotifyPolicy
	env := map[string]string{"SLACK_BOT_TOKEN": sim.BotToken()}
	if cfg.Channels["webhook"] != nil {
		var b [24]byte
		_, _ = rand.Read(b[:])
		secret := "keyir-drill-" + hex.EncodeToString(b[:])
		a.red.Add(secret)
		env["KEYIR_WEBHOOK_SECRET"] = secret
	}
	return cfg, env, nil
}

// sealedFlags drops the environment variables of notification flags: a
// drill takes its configuration from its command line only, so a shell set up
// for real incidents (KEYIR_WEBHOOK_URL, KEYIR_EMAIL_TO …) cannot reach it.
// Their help says where a drill's deliveries go instead: a made-up secret
// signs the webhook's, the world's mail sink takes the email.
func sealedFlags(fs []cli.Flag) []cli.Flag {
	for _, f := range fs {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.EnvVars = nil
			if f.Name == "webhook-url" {
				f.Usage = "POST signed incident JSON here (a real receiver; signed with a secret made up for the drill, so a receiver that checks signatures acts on none)"
			}
		case *cli.StringSliceFlag:
			f.EnvVars = nil
			if f.Name == "email-to" {
				f.Usage = "email the incident to these addresses (repeatable; to the drill's SendGrid simulator, never to a real inbox)"
			}
		}
	}
	return fs
}

// listScenarios prints the scenarios grouped by the provider that brings
// them, in the order it registered them.
func (a *app) listScenarios() error {
	var t *tablewriter.Table
	last := ""
	for _, s := range provider.Scenarios() {
		if s.Provider != last {
			if t != nil {
				if err := t.Render(); err != nil {
					return err
				}
				fmt.Fprintln(a.out)
			}
			last = s.Provider
			title := s.Provider
			if p, ok := provider.Lookup(s.Provider); ok && p.Title != "" {
				title = p.Title
			}
			fmt.Fprintf(a.out, "%s\n", title)
			t = newTable(a.out)
			t.Header("Scenario", "What happens")
		}
		desc := s.Description
		if s.World == nil || s.Truth == nil {
			desc += " (listed only: its provider brings no simulated world for it yet)"
		}
		if err := t.Append(s.Name, desc); err != nil {
			return err
		}
	}
	if t == nil {
		return nil
	}
	return t.Render()
}

// drillJSON is what `keyir drill --output json` prints.
type drillJSON struct {
	Scenario          string `json:"scenario"`
	RunID             string `json:"run_id"`
	ReportDir         string `json:"report_dir"`
	ExitCode          int    `json:"exit_code"`
	TimeToContainment int64  `json:"time_to_containment_ms"`
	Containment       string `json:"containment"`
	// WantContainment and WantExitCode are the scenario's ground truth.
	WantContainment string `json:"want_containment"`
	WantExitCode    int    `json:"want_exit_code"`
	// EmailsCaptured is how many mails the email channel sent into the
	// SendGrid simulator (a drill never sends real mail).
	EmailsCaptured   int      `json:"emails_captured"`
	StepsPassed      int      `json:"steps_passed"`
	StepsTotal       int      `json:"steps_total"`
	FindingsExpected int      `json:"findings_expected"`
	FindingsFound    int      `json:"findings_found"`
	Missed           []string `json:"missed"`
	ManifestHead     string   `json:"manifest_head"`
	// SlackMessages is how many messages the drill channel holds (thread
	// replies included); SlackCalls how many Web API calls the run made.
	SlackMessages int `json:"slack_messages"`
	SlackCalls    int `json:"slack_calls"`
	// Notifications is, per channel, how many deliveries the hub made and
	// how many of them failed (NotifyErrors says how); a failed one makes
	// the drill exit 3.
	Notifications map[string]drillDeliveries `json:"notifications,omitempty"`
	NotifyErrors  []string                   `json:"notify_errors,omitempty"`
	// With --eradicate: the scenario's footholds the plan named, removed
	// from the simulator, and still there; legitimate items removed (any
	// fails the drill); the eradication run.
	FootholdsFound    *int     `json:"footholds_found,omitempty"`
	FootholdsRemoved  *int     `json:"footholds_removed,omitempty"`
	FootholdsOpen     *int     `json:"footholds_open,omitempty"`
	LegitimateRemoved []string `json:"legitimate_removed,omitempty"`
	EradicateRunDir   string   `json:"eradicate_report_dir,omitempty"`
	EradicateExitCode *int     `json:"eradicate_exit_code,omitempty"`
}

// drillDeliveries is one channel's deliveries in a drill.
type drillDeliveries struct {
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
}

func deliveriesOf(stats map[string]notify.Stat) map[string]drillDeliveries {
	if len(stats) == 0 {
		return nil
	}
	out := make(map[string]drillDeliveries, len(stats))
	for name, st := range stats {
		out[name] = drillDeliveries{Delivered: st.Events - st.Failures, Failed: st.Failures}
	}
	return out
}

// deliveriesLine is the scorecard's notifications row: each channel's
// deliveries, the failed ones counted, never "sent" for one that failed.
func deliveriesLine(res *drill.Result) string {
	d := deliveriesOf(res.Notify)
	names := make([]string, 0, len(d))
	for name := range d {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, name := range names {
		c := d[name]
		p := fmt.Sprintf("%s %d/%d delivered", name, c.Delivered, c.Delivered+c.Failed)
		if c.Failed > 0 {
			p += fmt.Sprintf(" (%d failed)", c.Failed)
		}
		parts = append(parts, p)
	}
	if res.NotifyErr != nil && len(parts) == 0 {
		parts = append(parts, "failed")
	}
	return orNone(strings.Join(parts, "; "))
}

func itemStrings(items []provider.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Kind + " " + it.Subject
		if it.Account != "" {
			out[i] += " (subuser " + it.Account + ")"
		}
	}
	return out
}

// drillExit is the run's exit code (the eradication run's with --eradicate), raised to 3 when the scorecard does not
// match the ground truth (a missed finding, another containment status or
// exit code), or when a notification was not delivered (also one made after
// the run was sealed, which its report cannot show): a drill that gets
// something wrong has not passed.
func drillExit(res *drill.Result) int {
	code := res.Run.ExitCode
	if e := res.Eradication; e != nil && e.Run != nil {
		// The drill went on to eradicate: its outcome is the eradication's.
		code = e.Run.ExitCode
	}
	if (!res.Score.Passed() || res.NotifyErr != nil) && code == report.ExitDone {
		code = report.ExitDegraded
	}
	return code
}

func (a *app) printDrill(res *drill.Result, output string, sim *slacksim.Server) error {
	sc := res.Score
	missed := make([]string, len(sc.Missed))
	for i, m := range sc.Missed {
		missed[i] = expectedString(m)
	}
	code := drillExit(res)
	if output == "json" {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		out := drillJSON{
			Scenario: res.Scenario, RunID: res.Run.Report.Run.ID, ReportDir: res.Run.Dir, ExitCode: code,
			TimeToContainment: report.DurationMS(sc.TimeToContainment), Containment: res.Run.Report.Run.Containment.Status,
			WantContainment: sc.WantContainment, WantExitCode: sc.WantExit, EmailsCaptured: res.MailsSent(),
			StepsPassed: sc.StepsPassed, StepsTotal: sc.StepsTotal,
			FindingsExpected: len(sc.Expected), FindingsFound: len(sc.Found), Missed: missed, ManifestHead: res.Run.Head,
			SlackMessages: len(sim.Messages(drillChannel)), SlackCalls: len(sim.Calls()), NotifyErrors: errorLines(res.NotifyErr),
			Notifications: deliveriesOf(res.Notify),
		}
		if e := res.Eradication; e != nil {
			f, r, o := len(e.Found), len(e.Removed), len(e.Open)
			out.FootholdsFound, out.FootholdsRemoved, out.FootholdsOpen = &f, &r, &o
			out.LegitimateRemoved = itemStrings(e.LegitimateRemoved)
			out.EradicateRunDir, out.EradicateExitCode = e.Run.Dir, &e.Run.ExitCode
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
		return withCode(code)
	}
	fmt.Fprintln(a.out)
	if err := a.renderRunSummary(a.out, res.Run.Report, res.Run.Dir); err != nil {
		return err
	}
	if e := res.Eradication; e != nil {
		fmt.Fprintf(a.out, "\n%s\nEradication run: %s (exit %d, manifest head %s)\n", eradicate.Summarize(e.Run.Report).Line(), e.Run.Dir, e.Run.ExitCode, e.Run.Head)
	}
	fmt.Fprintf(a.out, "\nDRILL SCORECARD — scenario %s\n", res.Scenario)
	t := newTable(a.out)
	t.Header("Measure", "Result")
	ttc := "not confirmed"
	if res.Run.Report.Run.Containment.Status == report.ContainmentConfirmed {
		// One rounding rule (FormatDuration's) for every place it is shown.
		ttc = report.FormatDuration(sc.TimeToContainment)
	}
	t.Append("time to containment", ttc)
	cont := fmt.Sprintf("%s (expected %s)", orNone(sc.Containment), sc.WantContainment)
	t.Append("containment", cont)
	t.Append("steps passed", fmt.Sprintf("%d/%d", sc.StepsPassed, sc.StepsTotal))
	t.Append("findings found", fmt.Sprintf("%d/%d expected", len(sc.Found), len(sc.Expected)))
	if len(missed) == 0 {
		t.Append("missed", "none")
	} else {
		t.Append("missed", strings.Join(missed, "; "))
	}
	t.Append("exit code", fmt.Sprintf("%d (%s; expected %d)", res.Run.ExitCode, report.ExitMeaning(res.Run.ExitCode), sc.WantExit))
	if res.Notify != nil || res.NotifyErr != nil {
		t.Append("notifications", deliveriesLine(res))
	}
	if e := res.Eradication; e != nil {
		n := len(e.Removed) + len(e.Open) // the scenario's footholds
		t.Append("footholds found", fmt.Sprintf("%d/%d in the plan", len(e.Found), n))
		t.Append("footholds removed", fmt.Sprintf("%d/%d (eradication run exit %d)", len(e.Removed), n, e.Run.ExitCode))
		t.Append("footholds open", orNone(strings.Join(itemStrings(e.Open), "; ")))
		t.Append("legitimate removed", orNone(strings.Join(itemStrings(e.LegitimateRemoved), "; ")))
	} else if res.Score.Eradicated {
		t.Append("eradication", "not run: the drill's run did not finish")
	}
	if n := res.MailsSent(); n > 0 {
		t.Append("email", fmt.Sprintf("%d captured by the SendGrid simulator (none sent for real)", n))
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "\nWhat #%s would show (the built-in Slack simulator; %d API calls)\n", drillChannel, len(sim.Calls()))
	fmt.Fprint(a.out, renderTranscript(sim.Transcript(drillChannel), columns(), time.Local))
	if res.NotifyErr != nil {
		fmt.Fprintf(a.out, "\nNotifications that failed (the drill exits %d):\n  %s\n", code, strings.Join(errorLines(res.NotifyErr), "\n  "))
	}
	return withCode(code)
}

// errorLines splits joined errors into one line each.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func expectedString(e provider.Finding) string {
	if e.Subject == "" {
		return e.Kind
	}
	return e.Kind + " " + e.Subject
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// testStall holds a drill's GET /v3/stats for a minute when the test binary
// runs as keyir with KEYIR_TEST_DRILL_STALL set, so a subprocess test can
// signal the drill mid-run. A keyir binary ignores it (testing.Testing).
func testStall() []provider.Fault {
	if !testing.Testing() || os.Getenv("KEYIR_TEST_DRILL_STALL") == "" {
		return nil
	}
	return []provider.Fault{{Method: "GET", Route: "GET /v3/stats", Kind: provider.FaultLatency, Latency: time.Minute}}
}
