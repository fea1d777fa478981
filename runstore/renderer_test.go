package runstore

import "encoding/json"
import "fmt"
import "io"

import "github.com/keyir/keyir/report"

// stubRenderer stands in for htmlreport.Renderer, which these tests cannot
// import (htmlreport imports runstore). The store only seals bytes; what the
// real renderings say is tested in render and htmlreport.
type stubRenderer struct{}

func (stubRenderer) RenderJSON(w io.Writer, rep *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func (stubRenderer) RenderMarkdown(w io.Writer, rep *report.Report) error {
	_, err := fmt.Fprintf(w, "# Incident report: %s\n", rep.Run.ID)
	return err
}

// RenderHTML lists the run directory's files with their SHA-256, as the real
// page does, so a test sees the page depend on the files sealed before it.
func (stubRenderer) RenderHTML(w io.Writer, rep *report.Report, dir string) error {
	files, _, err := ListFiles(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "<html><title>%s</title>\n", rep.Run.ID)
	for _, f := range files {
		if f == ReportHTML {
			continue
		}
		sum, err := HashFile(dir + "/" + f)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s %s\n", f, sum)
	}
	_, err = io.WriteString(w, "</html>\n")
	return err
}
