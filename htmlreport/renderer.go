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

// PrepareHTML builds report.html but for its list of the run directory's
// files (runstore.HTMLPreparer): the charts, most of the page's cost, are
// drawn while Finish writes the other reports. rep must not change until the
// returned function has run.
func (Renderer) PrepareHTML(rep *report.Report, dir string) func(w io.Writer, sum runstore.FileSums) error {
	v, err := buildHTMLView(rep)
	return func(w io.Writer, sum runstore.FileSums) error {
		if err != nil {
			return err
		}
		return v.write(w, dir, sum)
	}
}
