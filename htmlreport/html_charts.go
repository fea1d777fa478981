package htmlreport

import "bytes"
import "encoding/xml"
import "errors"
import "fmt"
import "html"
import "html/template"
import "image/color"
import "io"
import "math"
import "regexp"
import "strconv"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"
import xfont "golang.org/x/image/font"
import "gonum.org/v1/plot"
import "gonum.org/v1/plot/font"
import "gonum.org/v1/plot/plotter"
import "gonum.org/v1/plot/text"
import "gonum.org/v1/plot/vg"
import "gonum.org/v1/plot/vg/draw"
import "gonum.org/v1/plot/vg/vgsvg"

// The charts of report.html are drawn by gonum/plot's SVG backend and
// embedded inline. gonum escapes every string it draws (html.EscapeString in
// vgsvg.FillString), and every label keyir hands it has been through plain()
// first; on top of that, inlineSVG parses what gonum produced and refuses any
// element or attribute outside a small allow-list, so the SVG is trusted
// markup only after it has been checked, never because of where it came from.

// Chart geometry, in points. 640pt is a little wider than a printed page's text
// column; the SVG carries a viewBox and CSS scales it to the column.
const (
	chartWidth     = 640
	legendGap      = 12
	chartFontSize  = 10
	chartTitleSize = 12
)

// chartFont is Liberation Sans, which gonum embeds in the binary for its
// text metrics. The SVG names it, and inlineSVG adds metric-compatible
// fallbacks (Arimo, Arial, Helvetica) for a browser that lacks it; no font is
// fetched or embedded.
var chartFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

func chartText(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: font.From(chartFont, size), Handler: plot.DefaultTextHandler}
}

// newChart is a plot with keyir's fonts on every text element.
func newChart(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(chartFont, chartTitleSize)
	p.Title.TextStyle.Font.Weight = xfont.WeightBold
	p.Title.Padding = 6
	// Only the fonts change: gonum's alignments (and the quarter turn it
	// gives the Y label) stay as they are.
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(chartFont, chartFontSize)
		ax.Tick.Label.Font = font.From(chartFont, chartFontSize-1)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.X.Label.Padding, p.Y.Label.Padding = 4, 4
	return p
}

func newChartLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = chartText(chartFontSize - 1)
	l.Top, l.Left = true, true
	l.Padding = 3
	l.ThumbnailWidth = 22
	return l
}

// renderChart draws p with leg in a column to its right, so the legend never
// covers data, and returns the checked inline SVG.
func renderChart(p *plot.Plot, leg plot.Legend, height vg.Length, label string) (out template.HTML, err error) {
	defer func() {
		// gonum panics on a few impossible inputs (an unknown font, NaN
		// ranges); a chart is not worth losing the report over.
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("drawing the chart: %v", r)
		}
	}()
	c := vgsvg.NewWith(vgsvg.UseWH(chartWidth, height))
	dc := draw.New(c)
	lw := leg.Rectangle(dc).Size().X
	if lw > 0 {
		lw += legendGap
	}
	p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
	if lw > 0 {
		top := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
		leg.Draw(draw.Crop(dc, chartWidth-lw+legendGap, 0, 0, -top))
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	return inlineSVG(b.Bytes(), label)
}

// The expressions are compiled on the first chart, not at every start-up.
var (
	svgProlog  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)\A\s*<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`) })
	svgOpenTag = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\A<svg\b[^>]*\bviewBox="([0-9. ]+)"[^>]*>`) })
	// The font gonum measured with, plus metric-compatible fallbacks.
	svgFontFamily = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`font-family:Liberation Sans;`) })
)

// inlineSVG turns a standalone SVG document from vgsvg into markup that can
// sit inside report.html: the XML prolog and comment go, the root element
// keeps only its viewBox (CSS sizes it; an inline SVG needs no xmlns), and
// the result must pass checkSVG.
func inlineSVG(doc []byte, label string) (template.HTML, error) {
	s := svgProlog().ReplaceAllString(string(doc), "")
	m := svgOpenTag().FindStringSubmatch(s)
	if m == nil {
		return "", errors.New("chart SVG has no root element with a viewBox")
	}
	s = fmt.Sprintf(`<svg viewBox="%s" class="chart" role="img" aria-label="%s">`, m[1], html.EscapeString(render.Plain(label))) + s[len(m[0]):]
	s = svgFontFamily().ReplaceAllString(s, `font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;`)
	s = strings.TrimSpace(s)
	if err := checkSVG(s); err != nil {
		return "", err
	}
	return template.HTML(s), nil // #nosec: checked by checkSVG above
}

// svgElements and svgAttrs are everything vgsvg writes for keyir's charts.
// Anything else (script, image, foreignObject, use, a, an on* handler, an
// href) means the SVG is not what keyir drew, and it is not embedded.
var (
	svgElements = map[string]bool{"svg": true, "g": true, "path": true, "text": true, "rect": true, "circle": true, "line": true, "polyline": true, "polygon": true}
	svgAttrs    = map[string]bool{"viewBox": true, "class": true, "role": true, "aria-label": true, "d": true, "x": true, "y": true,
		"width": true, "height": true, "transform": true, "style": true, "fill": true, "stroke": true,
		"x1": true, "y1": true, "x2": true, "y2": true, "cx": true, "cy": true, "r": true, "points": true}
	svgBadStyle = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)url\s*\(|@import|expression\s*\(|\\`) })
)

// checkSVG parses s as XML and allows only the elements and attributes gonum
// uses for lines, shapes and text. Text content is free: the parser has
// already proved it is character data, not markup.
func checkSVG(s string) error {
	dec := xml.NewDecoder(strings.NewReader(s))
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("chart SVG does not parse: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Space != "" || !svgElements[t.Name.Local] {
				return fmt.Errorf("chart SVG has a <%s> element", t.Name.Local)
			}
			for _, a := range t.Attr {
				if a.Name.Space != "" || !svgAttrs[a.Name.Local] {
					return fmt.Errorf("chart SVG has a %q attribute", a.Name.Local)
				}
				if svgBadStyle().MatchString(a.Value) {
					return fmt.Errorf("chart SVG attribute %s=%q is not allowed", a.Name.Local, a.Value)
				}
			}
		case xml.EndElement:
			depth--
		case xml.ProcInst, xml.Directive:
			return errors.New("chart SVG has a processing instruction or directive")
		}
	}
	if depth != 0 {
		return errors.New("chart SVG is not closed")
	}
	return nil
}

// Colours. Each status and series also differs in something other than hue
// (a label, a dash pattern, a glyph), so a greyscale printout reads.
var (
	colOK          = color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}
	colFailed      = color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	colPlanned     = color.RGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff}
	colSkipped     = color.RGBA{R: 0xbd, G: 0xbd, B: 0xbd, A: 0xff}
	colInterrupted = color.RGBA{R: 0xef, G: 0x6c, B: 0x00, A: 0xff}
	colOther       = color.RGBA{R: 0x75, G: 0x75, B: 0x75, A: 0xff}
	colWindow      = color.RGBA{R: 0xff, G: 0xe0, B: 0x82, A: 0xff}
	colWindowEdge  = color.RGBA{R: 0x8d, G: 0x6e, B: 0x00, A: 0xff}
	colContained   = color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}
	colGrid        = color.RGBA{R: 0xe0, G: 0xe0, B: 0xe0, A: 0xff}
)

// Line and glyph styles of the volume series: with the colours, each series
// has its own dash pattern and marker shape.
var (
	dashed                      = []vg.Length{6, 3}
	dotGlyph   draw.GlyphDrawer = draw.CircleGlyph{}
	triGlyph   draw.GlyphDrawer = draw.TriangleGlyph{}
	boxGlyph   draw.GlyphDrawer = draw.BoxGlyph{}
	crossGlyph draw.GlyphDrawer = draw.CrossGlyph{}
)

func statusColor(s report.StepStatus) color.Color {
	switch s {
	case report.StepOK:
		return colOK
	case report.StepFailed:
		return colFailed
	case report.StepPlanned:
		return colPlanned
	case report.StepSkipped:
		return colSkipped
	case report.StepInterrupted:
		return colInterrupted
	}
	return colOther
}

// timeUnit picks the unit of the timeline's axis from the run's length.
func timeUnit(span time.Duration) (time.Duration, string) {
	switch {
	case span < 2*time.Second:
		return time.Millisecond, "ms"
	case span < 3*time.Minute:
		return time.Second, "s"
	case span < 3*time.Hour:
		return time.Minute, "min"
	}
	return time.Hour, "h"
}

// ganttBars draws one horizontal bar per step over time: a Plotter, so the
// library owns axes, scaling and clipping.
type ganttBars struct {
	bars     []ganttBar
	minWidth float64 // in data units: a 0.2ms step is still visible
}

type ganttBar struct {
	y, start, end float64
	fill          color.Color
}

func (g *ganttBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	half := (trY(1) - trY(0)) * 0.32
	for _, b := range g.bars {
		end := math.Max(b.end, b.start+g.minWidth)
		x0, x1, y := trX(b.start), trX(end), trY(b.y)
		rect := vg.Rectangle{Min: vg.Point{X: x0, Y: y - half}, Max: vg.Point{X: x1, Y: y + half}}
		c.SetColor(b.fill)
		c.Fill(rect.Path())
		c.SetLineStyle(draw.LineStyle{Color: color.Black, Width: 0.5})
		c.Stroke(rect.Path())
	}
}

func (g *ganttBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = 0, -0.5
	for _, b := range g.bars {
		xmax = math.Max(xmax, math.Max(b.end, b.start+g.minWidth))
		ymax = math.Max(ymax, b.y+0.5)
	}
	return xmin, xmax, ymin, ymax
}

// swatch is a legend thumbnail: a filled, outlined box.
type swatch struct {
	fill  color.Color
	edge  color.Color
	width vg.Length
}

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Min.Y + 1}, Max: vg.Point{X: c.Max.X, Y: c.Max.Y - 1}}
	c.SetColor(s.fill)
	c.Fill(r.Path())
	if s.edge != nil {
		c.SetLineStyle(draw.LineStyle{Color: s.edge, Width: s.width})
		c.Stroke(r.Path())
	}
}

// timelineChart draws the run's steps as horizontal bars over time since the
// run started, each labelled with its status and duration, and the moment
// the key was proven dead as a vertical line.
func timelineChart(rep *report.Report) (template.HTML, error) {
	if len(rep.Steps) == 0 {
		return "", nil
	}
	origin := rep.Run.Started
	var last time.Time
	for _, s := range rep.Steps {
		if s.Started.IsZero() {
			continue
		}
		if origin.IsZero() || s.Started.Before(origin) {
			origin = s.Started
		}
		if e := s.Started.Add(s.Duration); e.After(last) {
			last = e
		}
	}
	if rep.Run.Finished.After(last) {
		last = rep.Run.Finished
	}
	if last.IsZero() || origin.IsZero() {
		return "", nil // nothing ran: the steps table says so
	}
	unit, unitName := timeUnit(last.Sub(origin))
	at := func(t time.Time) float64 { return float64(t.Sub(origin)) / float64(unit) }
	span := math.Max(at(last), 1e-9)

	n := len(rep.Steps)
	names := make([]string, n)
	g := &ganttBars{minWidth: span * 0.004}
	var lxys plotter.XYs
	var ltext []string
	seen := map[report.StepStatus]bool{}
	var order []report.StepStatus
	for i, s := range rep.Steps {
		y := float64(n - 1 - i) // first step at the top
		names[n-1-i] = render.Truncate(render.Plain(fmt.Sprintf("%d. %s", s.Index, s.ID)), 32)
		label := string(s.Status)
		if s.Started.IsZero() {
			lxys = append(lxys, plotter.XY{X: 0, Y: y})
			ltext = append(ltext, render.Plain(label)+" (did not run)")
			continue
		}
		if !seen[s.Status] {
			seen[s.Status] = true
			order = append(order, s.Status)
		}
		g.bars = append(g.bars, ganttBar{y: y, start: at(s.Started), end: at(s.Started.Add(s.Duration)), fill: statusColor(s.Status)})
		label += " · " + report.FormatDuration(s.Duration)
		if s.Attempts > 1 {
			label += fmt.Sprintf(" · %d attempts", s.Attempts)
		}
		lxys = append(lxys, plotter.XY{X: math.Max(at(s.Started.Add(s.Duration)), at(s.Started)+g.minWidth), Y: y})
		ltext = append(ltext, render.Plain(label))
	}

	p := newChart("Run timeline: each step's start, duration and status",
		fmt.Sprintf("time since the run started at %s (%s)", render.FormatTime(origin), unitName), "")
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = colGrid
	p.Add(grid, g)
	leg := newChartLegend()
	for _, st := range order {
		leg.Add(render.Plain(string(st)), swatch{fill: statusColor(st), edge: color.Black, width: 0.5})
	}
	if c := rep.Run.Containment; c.Status == report.ContainmentConfirmed && !c.At.IsZero() {
		x := at(c.At)
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: -0.5}, {X: x, Y: float64(n) - 0.5}})
		if err == nil {
			line.LineStyle = draw.LineStyle{Color: colContained, Width: 1.5, Dashes: []vg.Length{5, 3}}
			p.Add(line)
			leg.Add("key proven dead", line)
			leg.Add(fmt.Sprintf("(+%s)", report.FormatDuration(c.At.Sub(origin))))
		}
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: lxys, Labels: ltext})
	if err != nil {
		return "", err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i] = chartText(chartFontSize - 1)
		labels.TextStyle[i].YAlign = draw.YCenter
	}
	labels.Offset = vg.Point{X: 4}
	p.Add(labels)
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.X.Min = 0
	// Room on the right for the last step's label.
	p.X.Max = span * 1.28
	p.X.Tick.Marker = niceTicks(0, span, trimFloat)
	height := vg.Length(70 + 20*n)
	return renderChart(p, leg, height, "Timeline of the run's steps")
}

// niceTicks labels about six round values (1, 2 or 5 times a power of ten)
// from lo to hi, with a minor tick between each pair; gonum's default gives
// as few as two labels on a short axis.
func niceTicks(lo, hi float64, format func(float64) string) plot.Ticker {
	return plot.TickerFunc(func(_, _ float64) []plot.Tick {
		if !(hi > lo) || math.IsInf(hi-lo, 0) {
			return []plot.Tick{{Value: lo, Label: format(lo)}}
		}
		raw := (hi - lo) / 6
		mag := math.Pow(10, math.Floor(math.Log10(raw)))
		step := mag * 10
		for _, m := range []float64{1, 2, 5} {
			if m*mag >= raw {
				step = m * mag
				break
			}
		}
		var ticks []plot.Tick
		for i := math.Ceil(lo / step); i*step <= hi*(1+1e-9); i++ {
			v := i * step
			ticks = append(ticks, plot.Tick{Value: v, Label: format(v)})
			if mid := v + step/2; mid <= hi {
				ticks = append(ticks, plot.Tick{Value: mid})
			}
		}
		return ticks
	})
}

func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if len(s) > 8 {
		s = strconv.FormatFloat(v, 'g', 4, 64)
	}
	return s
}

// thousandsF formats a non-negative tick value as 1,234.
func thousandsF(v float64) string {
	if v != math.Trunc(v) || v < 0 {
		return trimFloat(v)
	}
	return report.FormatCount(int64(v))
}

// dailyPoint is one day of sendgrid.stats' "daily" output, with its date
// parsed: only dates that parse are drawn, so the axis labels are keyir's
// own formatting, never text from the API.
type dailyPoint struct {
	day                                     time.Time
	requests, delivered, bounces, spamRepts float64
	inWindow                                bool
}

type volumeSeries struct {
	name  string
	get   func(dailyPoint) float64
	base  float64 // baseline mean per day; NaN when unknown
	col   color.Color
	dash  []vg.Length
	glyph draw.GlyphDrawer
}

// windowShade fills the exposure window across the whole height of the
// plot, drawn first so the series sit on top of it.
type windowShade struct{ from, to float64 }

func (w windowShade) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x0, x1 := trX(w.from), trX(w.to)
	r := vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}
	c.SetColor(colWindow)
	c.Fill(r.Path())
	edge := draw.LineStyle{Color: colWindowEdge, Width: 0.75, Dashes: []vg.Length{2, 2}}
	c.StrokeLine2(edge, x0, c.Min.Y, x0, c.Max.Y)
	c.StrokeLine2(edge, x1, c.Min.Y, x1, c.Max.Y)
}

// volumeChart draws some of the daily series over the baseline period and
// the window, the window shaded and each series' baseline mean as a dotted
// line.
func volumeChart(title, yLabel string, days []dailyPoint, series []volumeSeries) (template.HTML, error) {
	if len(days) == 0 {
		return "", nil
	}
	p := newChart(title, "day (UTC)", yLabel)
	leg := newChartLegend()
	first, last := -1, -1
	for i, d := range days {
		if d.inWindow {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 {
		p.Add(windowShade{from: float64(first) - 0.5, to: float64(last) + 0.5})
		leg.Add(fmt.Sprintf("exposure window, %s to %s", days[first].day.Format("Jan 2"), days[last].day.Format("Jan 2")),
			swatch{fill: colWindow, edge: colWindowEdge, width: 0.75})
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = colGrid
	p.Add(grid)
	ymax := 0.0
	for _, s := range series {
		xys := make(plotter.XYs, len(days))
		for i, d := range days {
			xys[i] = plotter.XY{X: float64(i), Y: s.get(d)}
			ymax = math.Max(ymax, xys[i].Y)
		}
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return "", err
		}
		line.LineStyle = draw.LineStyle{Color: s.col, Width: 1.6, Dashes: s.dash}
		pts.GlyphStyle = draw.GlyphStyle{Color: s.col, Radius: 2.6, Shape: s.glyph}
		p.Add(line, pts)
		leg.Add(s.name+" per day", line, pts)
		if !math.IsNaN(s.base) {
			bl, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: s.base}, {X: float64(len(days)) - 0.5, Y: s.base}})
			if err != nil {
				return "", err
			}
			bl.LineStyle = draw.LineStyle{Color: s.col, Width: 1, Dashes: []vg.Length{1, 2.5}}
			p.Add(bl)
			leg.Add(fmt.Sprintf("%s, baseline mean %s/day", s.name, trimFloat(math.Round(s.base*10)/10)), bl)
			ymax = math.Max(ymax, s.base)
		}
	}
	p.X.Min, p.X.Max = -0.5, float64(len(days))-0.5
	p.Y.Min = 0
	if ymax <= 0 {
		ymax = 1
	}
	p.Y.Max = ymax * 1.08
	p.X.Tick.Marker = dayTicks(days)
	p.Y.Tick.Marker = niceTicks(0, ymax*1.08, thousandsF)
	return renderChart(p, leg, 260, title)
}

// dayTicks puts a minor tick on every day and a label on about ten of them.
func dayTicks(days []dailyPoint) plot.Ticker {
	every := (len(days) + 9) / 10
	ticks := make([]plot.Tick, len(days))
	for i, d := range days {
		ticks[i] = plot.Tick{Value: float64(i)}
		if i%every == 0 {
			ticks[i].Label = d.day.Format("Jan 2")
		}
	}
	return plot.ConstantTicks(ticks)
}
