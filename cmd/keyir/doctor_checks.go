package main

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "net"
import "net/http"
import "net/url"
import "strings"
import "time"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

// doctorCheck is one line of `keyir doctor`, and one element of "checks"
// in its JSON document.
type doctorCheck struct {
	Name string `json:"name"` // reports, sendgrid_api, clock, responder_key, slack, webhook, email
	// Status is ok, warn (works, but something is off), fail (a run would
	// be blinded or stopped: doctor exits 1) or skip (not configured).
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// maxClockSkew is the clock difference with SendGrid doctor accepts: the
// exposure window, the evidence's timestamps and time to containment are
// this machine's clock.
const maxClockSkew = 30 * time.Second

// doctorFlags are the configuration doctor checks: the same flags and
// variables a run reads, so `keyir doctor` checks what `keyir run` will use.
func doctorFlags() []cli.Flag {
	return append([]cli.Flag{
		reportsFlag("root directory for evidence reports (checked for writing)"),
	}, notifyFlags(true)...)
}

// doctorChecks runs every check but the responder key's scopes (which
// doctor.go does). responderOK is false when the key cannot be used at all
// (missing, refused, SendGrid unreachable): the scope check cannot run.
func (a *app) doctorChecks(c *cli.Context, pb *playbook.Playbook) (checks []doctorCheck, responderOK bool) {
	ctx := c.Context
	add := func(name, status, detail string) { checks = append(checks, doctorCheck{name, status, detail}) }
	if msg := reportsRootProblem(c.String("reports")); msg != "" {
		add("reports", "fail", msg)
	} else {
		add("reports", "ok", fmt.Sprintf("runs can be written under %s", c.String("reports")))
	}
	responderOK = true
	if _, all := scopeNeeds(pb); len(all) > 0 {
		responderOK = a.checkSendGrid(ctx, add)
	} else {
		add("responder_key", "skip", fmt.Sprintf("playbook %s uses no SendGrid action", pb.Name))
	}
	o := notifyOptionsOf(c)
	a.checkSlackConfig(ctx, o, add)
	a.checkWebhookConfig(o, add)
	a.checkEmailConfig(ctx, o, add)
	return checks, responderOK
}

// checkSendGrid makes one request with the responder key (GET /v3/scopes):
// whether SendGrid answers, whether it accepts the key, and how far this
// machine's clock is from SendGrid's (its Date header).
func (a *app) checkSendGrid(ctx context.Context, add func(name, status, detail string)) bool {
	env := a.responderEnv("")
	base, err := sendgrid.BaseURL(env, strings.TrimSpace(a.getenv(sendgrid.EnvRegion)))
	if err != nil {
		add("sendgrid_api", "fail", err.Error())
		return false
	}
	key, kerr := env.Credential(sendgrid.EnvAPIKey)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v3/scopes", nil)
	if err != nil {
		add("sendgrid_api", "fail", err.Error())
		return false
	}
	base = req.URL.Redacted() // as shown: a proxy's user:password@ is not
	base = strings.TrimSuffix(base, "/v3/scopes")
	if kerr == nil {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	sent := time.Now()
	resp, err := env.HTTP.Do(req)
	if err != nil {
		add("sendgrid_api", "fail", fmt.Sprintf("SendGrid unreachable at %s: %v", base, err))
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	rtt := time.Since(sent)
	add("sendgrid_api", "ok", fmt.Sprintf("SendGrid at %s answered in %s", base, rtt.Round(time.Millisecond)))
	if d, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
		add("clock", "warn", "SendGrid's answer had no readable Date header: clock skew not measured")
	} else {
		// The server stamped its Date between sending and receiving.
		skew := sent.Add(rtt / 2).Sub(d)
		switch {
		case skew > maxClockSkew:
			add("clock", "warn", fmt.Sprintf("this machine's clock is %s ahead of SendGrid's: exposure windows and evidence times are off by as much; synchronise it (NTP)", skew.Round(time.Second)))
		case skew < -maxClockSkew:
			add("clock", "warn", fmt.Sprintf("this machine's clock is %s behind SendGrid's: exposure windows and evidence times are off by as much; synchronise it (NTP)", (-skew).Round(time.Second)))
		default:
			add("clock", "ok", fmt.Sprintf("within %s of SendGrid's (Date has one-second resolution)", maxClockSkew))
		}
	}
	switch {
	case kerr != nil:
		add("responder_key", "fail", fmt.Sprintf("the responder key is missing: set SENDGRID_API_KEY (or SENDGRID_API_KEY_FILE) to keyir's own SendGrid key, not a leaked one (%v)", kerr))
		return false
	case resp.StatusCode == http.StatusUnauthorized:
		add("responder_key", "fail", "SendGrid refused the responder key (SENDGRID_API_KEY, keyir's own key): 401; replace it with a valid key")
		return false
	case resp.StatusCode == http.StatusForbidden:
		add("responder_key", "fail", "SendGrid forbade the responder key (SENDGRID_API_KEY) to read its own scopes: 403")
		return false
	case resp.StatusCode/100 != 2:
		add("responder_key", "warn", fmt.Sprintf("SendGrid answered %d to the responder key's GET /v3/scopes", resp.StatusCode))
		return true
	}
	add("responder_key", "ok", "SendGrid accepts the responder key (SENDGRID_API_KEY)")
	return true
}

// checkSlackConfig checks the bot token and the channels a run would post
// to; without a channel or a token, Slack is not configured.
func (a *app) checkSlackConfig(ctx context.Context, o notifyOptions, add func(name, status, detail string)) {
	var channels []string
	for _, ch := range []string{o.slackChannel, o.slackDrillChannel} {
		if ch != "" {
			channels = append(channels, ch)
		}
	}
	if len(channels) == 0 && a.getenv("SLACK_BOT_TOKEN") == "" && a.getenv("SLACK_BOT_TOKEN_FILE") == "" {
		add("slack", "skip", "no Slack channel configured (--slack-channel or KEYIR_SLACK_CHANNEL)")
		return
	}
	if msg := a.slackProblems(ctx, channels); msg != "" {
		add("slack", "fail", msg)
		return
	}
	if len(channels) == 0 {
		add("slack", "warn", "Slack accepts SLACK_BOT_TOKEN, but no channel is configured (--slack-channel or KEYIR_SLACK_CHANNEL)")
		return
	}
	add("slack", "ok", fmt.Sprintf("Slack accepts SLACK_BOT_TOKEN and the bot sees %s", strings.Join(channels, ", ")))
}

// checkWebhookConfig checks the webhook's URL and secret as a run would
// build them, then that its host accepts a connection. Nothing is posted:
// a post would be a notification.
func (a *app) checkWebhookConfig(o notifyOptions, add func(name, status, detail string)) {
	if o.webhookURL == "" {
		add("webhook", "skip", "no webhook configured (--webhook-url or KEYIR_WEBHOOK_URL)")
		return
	}
	if err := a.buildsHub(notifyOptions{webhookURL: o.webhookURL}); err != nil {
		add("webhook", "fail", err.Error())
		return
	}
	u, err := url.Parse(o.webhookURL)
	if err != nil {
		add("webhook", "fail", err.Error())
		return
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(u.Hostname(), port), 5*time.Second)
	if err != nil {
		add("webhook", "fail", fmt.Sprintf("the webhook's host does not accept a connection: %v", err))
		return
	}
	conn.Close()
	add("webhook", "ok", fmt.Sprintf("the URL and KEYIR_WEBHOOK_SECRET are well formed and %s accepts a connection (nothing was posted)", u.Host))
}

// checkEmailConfig checks the addresses, and that SendGrid accepts the
// notify key with mail.send. Whether the sender is verified is not checked:
// reading verified senders needs a scope the notify key should not hold.
func (a *app) checkEmailConfig(ctx context.Context, o notifyOptions, add func(name, status, detail string)) {
	if len(o.emailTo) == 0 && o.emailFrom == "" {
		add("email", "skip", "no email configured (--email-to and --email-from)")
		return
	}
	if err := a.buildsHub(notifyOptions{emailTo: o.emailTo, emailFrom: o.emailFrom}); err != nil {
		add("email", "fail", err.Error())
		return
	}
	if msg := a.notifyKeyProblem(ctx); msg != "" {
		add("email", "fail", msg)
		return
	}
	add("email", "ok", fmt.Sprintf("SendGrid accepts the notify key (SENDGRID_NOTIFY_API_KEY) with mail.send; sender %s (its verification is not checked)", o.emailFrom))
}

// buildsHub builds, and closes, the hub a run would build from o: the one
// place the channels' configuration is checked.
func (a *app) buildsHub(o notifyOptions) error {
	cfg, err := a.hubConfig(o)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.err != nil {
			return ee.err
		}
		return err
	}
	hub, err := notify.NewHub(cfg, notify.HubEnv{Redactor: a.red, Getenv: a.getenv, ReadFile: a.readFile})
	if err != nil {
		return err
	}
	hub.Close()
	return nil
}

// printDoctorChecks prints the checks, one per line, wrapped to the
// terminal; it reports whether any failed.
func (a *app) printDoctorChecks(checks []doctorCheck) (failed bool) {
	for _, ch := range checks {
		label := map[string]string{"ok": "ok", "warn": "warning", "fail": "FAIL", "skip": "skip"}[ch.Status]
		// wrapText folds runs of spaces: the columns are laid out here.
		lines := strings.Split(wrapText(ch.Detail, max(20, columns()-22), ""), "\n")
		padded := fmt.Sprintf("%-7s", label)
		if code, ok := doctorColors[ch.Status]; ok && a.colorOut() {
			padded = sgr(code, label) + strings.Repeat(" ", 7-len(label))
		}
		fmt.Fprintf(a.out, "%s %-13s %s\n", padded, ch.Name, strings.Join(lines, "\n"+strings.Repeat(" ", 22)))
		failed = failed || ch.Status == "fail"
	}
	return failed
}

// doctorColors colour a check's label on a terminal.
var doctorColors = map[string]string{"ok": "32", "warn": "33", "fail": "1;31", "skip": "2"}

// checksFailed reports whether any check failed.
func checksFailed(checks []doctorCheck) bool {
	for _, ch := range checks {
		if ch.Status == "fail" {
			return true
		}
	}
	return false
}

// doctorStop ends doctor when the responder key cannot be used, so its
// scopes cannot be read: the checks, as text or as the one JSON document.
func (a *app) doctorStop(c *cli.Context, pb *playbook.Playbook, checks []doctorCheck) error {
	if c.String("output") == "json" {
		_, all := scopeNeeds(pb)
		return a.encodeDoctor(doctorJSON{Playbook: pb.Name, Needed: nonNil(all), Missing: []string{}, Excess: []string{}, OK: false, Checks: checks})
	}
	a.printDoctorChecks(checks)
	fmt.Fprintln(a.errOut, "keyir: the responder key could not be checked; its scopes were not read")
	return withCode(report.ExitCouldNotRun)
}

// doctorJSON is `keyir doctor --output json`: one document.
type doctorJSON struct {
	Playbook string        `json:"playbook"`
	Needed   []string      `json:"needed"`
	Missing  []string      `json:"missing"`
	Excess   []string      `json:"excess"`
	OK       bool          `json:"ok"` // no scope missing and no check failed
	Checks   []doctorCheck `json:"checks"`
}

func (a *app) encodeDoctor(doc doctorJSON) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if !doc.OK {
		return withCode(report.ExitCouldNotRun)
	}
	return nil
}
