package sendgrid

import "context"
import "encoding/json"
import "fmt"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// statsInfo declares sendgrid.stats; provider.go registers it.
var statsInfo = actions.Info{
	Name:    "sendgrid.stats",
	Summary: "Compare the account's sending volume, bounces and spam reports in the window with the period before it",
	Outputs: []actions.Output{
		{Name: "window_totals", Type: actions.TypeMap, Description: "requests, delivered, bounces, spam_reports summed over the window"},
		{Name: "baseline_means", Type: actions.TypeMap, Description: "per-day means over the baseline period"},
		{Name: "window_means", Type: actions.TypeMap, Description: "per-day means over the window"},
		{Name: "daily", Type: "list", Description: "daily series over baseline and window: [{date, requests, delivered, bounces, spam_reports, in_window}]"},
		{Name: "bounces_suppressed", Type: actions.TypeInt, Description: "bounce suppressions created in the window"},
		{Name: "spam_reports_suppressed", Type: actions.TypeInt, Description: "spam report suppressions created in the window"},
		{Name: "spikes", Type: actions.TypeList, Description: "metrics that spiked"},
	},
	New: func() actions.Action {
		return &Stats{BaselineDays: 14, SpikeFactor: 3, MinRequests: 100, MinBounces: 20, MinSpamReports: 5}
	},
}

// Stats looks for a volume spike in the window.
type Stats struct {
	actions.Window
	BaselineDays   int `param:"baseline_days" default:"14" desc:"days before the window to compare with (0: as long as the window)"`
	SpikeFactor    int `param:"spike_factor" default:"3" desc:"a spike is a window daily mean, or a single day, above this many times the baseline's daily mean"`
	MinRequests    int `param:"min_requests" default:"100" desc:"ignore request spikes below this many per day"`
	MinBounces     int `param:"min_bounces" default:"20" desc:"ignore bounce spikes below this many per day"`
	MinSpamReports int `param:"min_spam_reports" default:"5" desc:"ignore spam report spikes below this many per day"`
	assessedAccount
}

// Validate checks the window and thresholds.
func (a *Stats) Validate() error {
	if err := a.CheckWindow(); err != nil {
		return err
	}
	if a.BaselineDays < 0 || a.BaselineDays > 365 {
		return &actions.ParamError{Param: "baseline_days", Msg: "want 0 to 365"}
	}
	if a.SpikeFactor < 1 {
		return &actions.ParamError{Param: "spike_factor", Msg: "want 1 or more"}
	}
	return checkRegion(a.Region)
}

// DayPoint is one day of the series.
type DayPoint struct {
	Date        string `json:"date"`
	Requests    int    `json:"requests"`
	Delivered   int    `json:"delivered"`
	Bounces     int    `json:"bounces"`
	SpamReports int    `json:"spam_reports"`
	InWindow    bool   `json:"in_window"`
}

type statsDay struct {
	Date  string `json:"date"`
	Stats []struct {
		Metrics map[string]int `json:"metrics"`
	} `json:"stats"`
}

func fetchStats(ctx context.Context, c *Client, from, to time.Time) ([]DayPoint, error) {
	var days []statsDay
	ep := fmt.Sprintf("/v3/stats?start_date=%s&end_date=%s&aggregated_by=day", from.Format(time.DateOnly), to.Format(time.DateOnly))
	if _, err := c.get(ctx, ep, &days); err != nil {
		return nil, err
	}
	out := make([]DayPoint, 0, len(days))
	for _, d := range days {
		p := DayPoint{Date: d.Date}
		for _, s := range d.Stats {
			p.Requests += s.Metrics["requests"]
			p.Delivered += s.Metrics["delivered"]
			p.Bounces += s.Metrics["bounces"]
			p.SpamReports += s.Metrics["spam_reports"]
		}
		out = append(out, p)
	}
	return out, nil
}

// countSuppressions pages through a suppression list in [from, to].
func countSuppressions(ctx context.Context, c *Client, path string, from, to time.Time) (int, error) {
	const size, maxPages = 500, 200
	n := 0
	for p := 0; p < maxPages; p++ {
		var rows []json.RawMessage
		ep := fmt.Sprintf("%s?start_time=%d&end_time=%d&limit=%d&offset=%d", path, from.Unix(), to.Unix(), size, p*size)
		if _, err := c.get(ctx, ep, &rows); err != nil {
			return n, err
		}
		n += len(rows)
		if len(rows) < size {
			break
		}
	}
	return n, nil
}

var statMetrics = []struct{ name, kind, title string }{
	{"requests", "stats.requests_spike", "Sending volume spiked in the exposure window"},
	{"bounces", "stats.bounces_spike", "Bounces spiked in the exposure window"},
	{"spam_reports", "stats.spam_reports_spike", "Spam reports spiked in the exposure window"},
}

func metric(p DayPoint, name string) int {
	switch name {
	case "requests":
		return p.Requests
	case "delivered":
		return p.Delivered
	case "bounces":
		return p.Bounces
	case "spam_reports":
		return p.SpamReports
	}
	return 0
}

// Run reads stats for the window and the baseline before it.
func (a *Stats) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	c, err := newAccountClient(env, a.account(env))
	if err != nil {
		return nil, err
	}
	start, end := a.Bounds(env)
	wFrom, wTo := start.Truncate(24*time.Hour), end.Truncate(24*time.Hour)
	wDays := int(wTo.Sub(wFrom).Hours()/24) + 1
	bDays := a.BaselineDays
	if bDays == 0 {
		bDays = wDays
	}
	bTo := wFrom.AddDate(0, 0, -1)
	bFrom := wFrom.AddDate(0, 0, -bDays)

	out := actions.Outputs{}
	series, err := fetchStats(ctx, c, bFrom, wTo)
	switch st := statusOf(err); {
	case st == 403:
		notAssessable(env, "stats", "the responder key may not read stats (stats.read)", err)
	case err != nil:
		return nil, fmt.Errorf("stats: %w", err)
	default:
		wTot, bTot := map[string]int{}, map[string]int{}
		peak := map[string]DayPoint{}
		for i := range series {
			d, perr := time.Parse(time.DateOnly, series[i].Date)
			series[i].InWindow = perr == nil && !d.Before(wFrom) && !d.After(wTo)
			for _, m := range []string{"requests", "delivered", "bounces", "spam_reports"} {
				v := metric(series[i], m)
				if series[i].InWindow {
					wTot[m] += v
					if v > metric(peak[m], m) || peak[m].Date == "" {
						peak[m] = series[i]
					}
				} else if perr == nil && !d.Before(bFrom) && !d.After(bTo) {
					bTot[m] += v
				}
			}
		}
		wMean, bMean := map[string]string{}, map[string]string{}
		floors := map[string]int{"requests": a.MinRequests, "bounces": a.MinBounces, "spam_reports": a.MinSpamReports}
		var spikes []string
		for _, m := range []string{"requests", "delivered", "bounces", "spam_reports"} {
			wm, bm := float64(wTot[m])/float64(wDays), float64(bTot[m])/float64(bDays)
			wMean[m], bMean[m] = fmt.Sprintf("%.1f", wm), fmt.Sprintf("%.1f", bm)
		}
		for _, sm := range statMetrics {
			wm, bm := float64(wTot[sm.name])/float64(wDays), float64(bTot[sm.name])/float64(bDays)
			// A leaked key is usually abused in a burst of a day or two, which a
			// week's mean dilutes: the peak day counts as a spike on its own.
			pv := float64(metric(peak[sm.name], sm.name))
			limit := float64(a.SpikeFactor) * bm
			meanHot := wm > limit && wm >= float64(floors[sm.name])
			peakHot := pv > limit && pv >= float64(floors[sm.name])
			if !meanHot && !peakHot {
				continue
			}
			spikes = append(spikes, sm.name)
			ratio := "no activity before the window"
			if bm > 0 {
				ratio = fmt.Sprintf("%.1f× the baseline", wm/bm)
			}
			sev := report.High
			if sm.name == "bounces" {
				sev = report.Medium
			}
			pk := peak[sm.name]
			env.Finding(report.Finding{
				Kind: sm.kind, Subject: "", Severity: sev, Title: sm.title,
				Detail: fmt.Sprintf("%s: %.1f per day in the window (%s to %s, %s in total) against %.1f per day over the %d days before (%s); peak %s on %s.",
					strings.ReplaceAll(sm.name, "_", " "), wm, wFrom.Format(time.DateOnly), wTo.Format(time.DateOnly), report.FormatCount(int64(wTot[sm.name])), bm, bDays, ratio, report.FormatCount(int64(metric(pk, sm.name))), pk.Date),
			})
		}
		wTotS := map[string]string{}
		for k, v := range wTot {
			wTotS[k] = fmt.Sprint(v)
		}
		if spikes == nil {
			spikes = []string{}
		}
		out["window_totals"], out["window_means"], out["baseline_means"], out["daily"], out["spikes"] = wTotS, wMean, bMean, series, spikes
	}

	for _, s := range []struct{ path, out, subject, scope string }{
		{"/v3/suppression/bounces", "bounces_suppressed", "suppression bounces", "suppression.bounces.read"},
		{"/v3/suppression/spam_reports", "spam_reports_suppressed", "suppression spam reports", "suppression.spam_reports.read"},
	} {
		n, err := countSuppressions(ctx, c, s.path, start, end)
		switch st := statusOf(err); {
		case st == 403:
			notAssessable(env, s.subject, "the responder key may not read "+s.subject+" ("+s.scope+")", err)
		case err != nil:
			note(env, fmt.Sprintf("%s could not be read: %v", s.subject, err))
		default:
			out[s.out] = n
		}
	}
	return out, nil
}

var (
	_ actions.Action    = (*Stats)(nil)
	_ actions.Validator = (*Stats)(nil)
)
