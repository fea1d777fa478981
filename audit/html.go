package audit

import "bytes"
import "fmt"
import "html/template"
import "image/color"
import "io"
import "sync"
import "time"

import "gonum.org/v1/plot"
import "gonum.org/v1/plot/plotter"
import "gonum.org/v1/plot/vg"

import "github.com/keyir/keyir/htmlreport"
import "github.com/keyir/keyir/report"

// severityColors: most severe darkest, colour-blind-safe ordering.
var severityColors = map[report.Severity]color.RGBA{
	report.Critical: {0x67, 0x00, 0x0d, 0xff},
	report.High:     {0xcb, 0x18, 0x1d, 0xff},
	report.Medium:   {0xfb, 0x6a, 0x4a, 0xff},
	report.Low:      {0xfc, 0xbb, 0xa1, 0xff},
	report.Info:     {0xbd, 0xd7, 0xe7, 0xff},
}

// practiceChart draws failures per practice, stacked by severity, with the
// passing results as a green bar beside them.
func practiceChart(rs []Result) (template.HTML, error) {
	var names []string
	var used []Practice
	for _, p := range Practices {
		for _, r := range rs {
			if r.Practice == p {
				used = append(used, p)
				names = append(names, string(p))
				break
			}
		}
	}
	if len(used) == 0 {
		return "", nil
	}
	p := htmlreport.NewChart("Results by practice and severity", "", "results")
	leg := htmlreport.NewChartLegend()
	const w = vg.Length(9)
	var below *plotter.BarChart
	for i := len(report.Severities) - 1; i >= 0; i-- {
		sev := report.Severities[i]
		vals := make(plotter.Values, len(used))
		for j, pr := range used {
			for _, r := range rs {
				if r.Practice == pr && r.Severity == sev && r.Status == Fail {
					vals[j]++
				}
			}
		}
		bc, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return "", err
		}
		bc.Color, bc.LineStyle.Width = severityColors[sev], 0
		bc.Offset = -w / 2
		if below != nil {
			bc.StackOn(below)
		}
		below = bc
		p.Add(bc)
		leg.Add(fmt.Sprintf("fail, %s", sev), bc)
	}
	passes := make(plotter.Values, len(used))
	for j, pr := range used {
		for _, r := range rs {
			if r.Practice == pr && r.Status == Pass {
				passes[j]++
			}
		}
	}
	pb, err := plotter.NewBarChart(passes, w)
	if err != nil {
		return "", err
	}
	pb.Color, pb.LineStyle.Width, pb.Offset = color.RGBA{0x41, 0xab, 0x5d, 0xff}, 0, w/2
	p.Add(pb)
	leg.Add("pass", pb)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = -1, -0.5
	p.Y.Min = 0
	p.Y.Tick.Marker = plot.DefaultTicks{}
	return htmlreport.RenderChart(p, leg, 300, "Results by practice and severity")
}

// page is compiled on the first audit written, not at every start-up.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("audit").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>keyir audit {{.When}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .5em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.fail{color:#b00020;font-weight:600}.pass{color:#1b7a3a}.not_assessable{color:#666}
.chart{width:100%;height:auto}.summary{font-size:1.1em}.fix{color:#444;font-style:italic}
code{font-size:.9em}
</style></head><body>
<h1>keyir audit</h1>
<p class="summary">{{.When}} · {{.Sum.Checks}} checks, {{.Sum.Results}} results: <span class="fail">{{.Sum.Fail}} fail</span>, <span class="pass">{{.Sum.Pass}} pass</span>, {{.Sum.NotAssessable}} not assessable · {{.Sum.Breaches}} failure(s) at or above <b>{{.Sum.FailOn}}</b></p>
{{.Chart}}
{{range .Groups}}<h2 id="{{.Anchor}}">{{.Practice}} — {{.Counts.Fail}} fail, {{.Counts.Pass}} pass, {{.Counts.NotAssessable}} not assessable</h2>
<table><tr><th>status</th><th>severity</th><th>check</th><th>subject</th><th>detail</th></tr>
{{range .Results}}<tr><td class="{{.Status}}">{{.Status}}</td><td>{{.Severity}}</td><td><code>{{.ID}}</code></td><td>{{.Subject}}</td><td>{{.Detail}}{{if .Fix}}{{if eq .Status "fail"}}<div class="fix">fix: {{.Fix}}</div>{{end}}{{end}}{{range .Evidence}}<div><code>{{.}}</code></div>{{end}}</td></tr>
{{end}}</table>
{{end}}</body></html>
`))
})

type htmlGroup struct {
	Practice Practice
	Anchor   string
	Counts   Counts
	Results  []Result
}

// WriteHTML writes a self-contained page (inline CSS and SVG, nothing
// fetched): the summary, the chart by practice and severity, and every
// result grouped by practice, failures first.
func WriteHTML(w io.Writer, rs []Result, sum Summary, when time.Time) error {
	chart, err := practiceChart(rs)
	if err != nil {
		return err
	}
	var groups []htmlGroup
	for i, p := range Practices {
		g := htmlGroup{Practice: p, Anchor: fmt.Sprintf("p%d", i), Counts: sum.ByPractice[p]}
		for _, st := range []Status{Fail, NotAssessable, Pass} {
			for _, r := range rs {
				if r.Practice == p && r.Status == st {
					g.Results = append(g.Results, r)
				}
			}
		}
		if len(g.Results) > 0 {
			groups = append(groups, g)
		}
	}
	var b bytes.Buffer
	err = page().Execute(&b, struct {
		When   string
		Sum    Summary
		Chart  template.HTML
		Groups []htmlGroup
	}{when.UTC().Format(time.RFC3339), sum, chart, groups})
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}
