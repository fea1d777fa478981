package htmlreport

import "io"

import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// Renderer is every rendering a sealed run directory holds (report.json,
// report.md, report.html): what runstore's Finish is given by the programs
// that seal runs. It lives here because report.html needs the charts.
type Renderer struct{}

// RenderJSON writes report.json.
func (Renderer) RenderJSON(w io.Writer, rep *report.Report) error { return render.RenderJSON(w, rep) }

// RenderMarkdown writes report.md.
func (Renderer) RenderMarkdown(w io.Writer, rep *report.Report) error {
	return render.RenderMarkdown(w, rep)
}

// RenderHTML writes report.html.
func (Renderer) RenderHTML(w io.Writer, rep *report.Report, dir string) error {
	return RenderHTML(w, rep, dir)
}

// RenderHTMLSums writes report.html listing the sums Finish already knows
// (runstore.SumsRenderer).
func (Renderer) RenderHTMLSums(w io.Writer, rep *report.Report, dir string, sum runstore.FileSums) error {
	return renderHTML(w, rep, dir, sum)
}
