package render

import "io"

import "github.com/keyir/keyir/report"

// mdRenderer seals this package's renderings; report.html belongs to
// htmlreport, which imports this package, so these tests leave it empty.
type mdRenderer struct{}

func (mdRenderer) RenderJSON(w io.Writer, rep *report.Report) error { return RenderJSON(w, rep) }
func (mdRenderer) RenderMarkdown(w io.Writer, rep *report.Report) error {
	return RenderMarkdown(w, rep)
}
func (mdRenderer) RenderHTML(io.Writer, *report.Report, string) error { return nil }
