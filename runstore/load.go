package runstore

import "bufio"
import "errors"
import "fmt"
import "io"
import "io/fs"
import "path/filepath"
import "strings"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// Load reads a run directory's report for `keyir report show`: report.json
// when the run finished, otherwise a replay of run.json and the journal, so a
// crashed or still-running run can be inspected too (with a note saying so).
func Load(dir string) (*report.Report, error) {
	var rep report.Report
	err := readJSON(filepath.Join(dir, ReportJSON), &rep)
	switch {
	case err == nil:
		rep.ManifestHead = manifestHead(dir)
		return &rep, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	var run report.Run
	if err := readJSON(filepath.Join(dir, RunFile), &run); err != nil {
		return nil, fmt.Errorf("not a keyir run directory: %w", err)
	}
	events, torn, err := ReadJournal(dir)
	if err != nil {
		return nil, err
	}
	r := report.Replay(run, events)
	fillEvidence(dir, r)
	text := "This run did not finish: it crashed, was interrupted, or is still running. This report was rebuilt from the journal; `keyir resume` continues the run."
	if torn {
		text += " The journal's last line was cut off mid-write and is ignored."
	}
	r.Notes = append(r.Notes, report.Note{Text: text})
	return r, nil
}

// manifestHead reads the head line of MANIFEST, or "" if there is none (or
// it is not a regular file: a link is not followed, a FIFO does not block).
func manifestHead(dir string) string {
	f, err := safefile.Open(filepath.Join(dir, ManifestFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	head := ""
	sc := bufio.NewScanner(io.LimitReader(f, MaxManifest))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "head "); ok {
			head = h
		}
	}
	return head
}
