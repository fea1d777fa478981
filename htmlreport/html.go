package htmlreport

import "bytes"
import "embed"
import "encoding/json"
import "fmt"
import "html/template"
import "io"
import "math"
import "os"
import "path/filepath"
import "sort"
import "strconv"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

//go:embed templates/report.html.tmpl
var htmlTemplates embed.FS

// htmlTmpl is parsed on the first report.html written, not at every
// start-up of every command.
var htmlTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"inc": func(i int) int { return i + 1 },
	}).ParseFS(htmlTemplates, "templates/report.html.tmpl"))
})

// RenderHTML writes report.html: one self-contained page (inline CSS, charts
// as inline SVG, no script, nothing fetched) that reads on screen and prints
// on A4 and Letter. dir is the run directory, for the evidence file list and
// its SHA-256 sums; "" leaves the list out.
//
// All text goes through html/template, which escapes it for where it lands;
// the only template.HTML is the charts' SVG, which inlineSVG has parsed and
// checked against an allow-list. Like the other renderers it shows only what
// rep holds (already redacted) plus file names and hashes from dir, never a
// file's content.
func RenderHTML(w io.Writer, rep *report.Report, dir string) error {
	return renderHTML(w, rep, dir, runstore.HashDirFile)
}

// renderHTML is RenderHTML with the SHA-256 of each listed file from sum.
func renderHTML(w io.Writer, rep *report.Report, dir string, sum runstore.FileSums) error {
	v, err := buildHTMLView(rep)
	if err != nil {
		return err
	}
	return v.write(w, dir, sum)
}

// write lists the run directory's files in the view (sum gives each one's
// SHA-256) and writes the page.
func (v *htmlView) write(w io.Writer, dir string, sum runstore.FileSums) error {
	if dir != "" {
		files, err := evidenceFiles(dir, sum)
		if err != nil {
			return err
		}
		v.Files = files
	} else {
		v.FilesNote = "This page was rendered without its run directory, so no file is listed."
	}
	var b bytes.Buffer
	if err := htmlTmpl().Execute(&b, v); err != nil {
		return fmt.Errorf("render %s: %w", runstore.ReportHTML, err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// htmlView is everything the template shows, as strings keyir has already
// formatted. The template does no logic beyond loops and conditions.
type htmlView struct {
	Title      string
	Banner     string // DRY RUN / DRILL
	BannerText string
	Incomplete string // the run's status when it did not finish
	Mode       string
	Status     string
	Summary    [][2]string
	Subtitle   string // what leaked: the key's kind when a step named it
	Key        []kv
	KeyAbsent  []string // fields this kind of key does not have
	// Containment
	Contained   string // "confirmed", "not-confirmed", ...
	ContClass   string
	ContainText string
	TTC         string

	Timeline      template.HTML
	TimelineError string
	Steps         []htmlStep

	Volume      []template.HTML
	VolumeError string
	VolumeNote  string
	VolumeTable [][]string
	HasVolume   bool
	// VolumeCaption says whose daily statistics the charts draw.
	VolumeCaption string
	FindingCount  string
	Findings      []htmlFindingGroup
	Categories    []htmlCategory
	Scopes        string
	ScopeList     []string // one scope a row, when the snapshot did not group them
	Risk          string
	Persistence   []htmlFinding
	Surfaces      [][2]string
	Planned       []report.PlannedChange
	Notes         []htmlNote
	Inputs        [][2]string
	Secret        string
	Files         []htmlFile
	FilesNote     string
	ManifestHead  string
	Footer        string
}

type kv struct{ K, V string }

type htmlStep struct {
	Index                     int
	ID, Action, Status        string
	Class                     string // Status, when keyir knows it
	Mutates, Critical         bool
	Attempts, Start, Took     string
	Error, Evidence, EvAnchor string
}

type htmlFindingGroup struct {
	Severity string
	Class    string
	Findings []htmlFinding
}

type htmlFinding struct {
	Severity, Title, Subject, Detail, Kind, Step string
	Class                                        string // Severity, when keyir knows it
	Evidence                                     []htmlRef
}

type htmlRef struct{ Ref, Anchor string }

type htmlCategory struct {
	Category string
	Access   string
	Scopes   string
}

type htmlNote struct{ Time, Step, Text string }

type htmlFile struct {
	Path, Anchor, Size, SHA string
}

// buildHTMLView is everything the page shows but the run directory's files,
// which write lists.
func buildHTMLView(rep *report.Report) (*htmlView, error) {
	r := rep.Run
	v := &htmlView{Mode: string(r.Mode), Status: render.Plain(string(r.Status)), Summary: render.SummaryFields(rep)}
	v.Title = r.Incident
	if v.Title == "" {
		v.Title = r.ID
	}
	switch r.Mode {
	case report.ModeDryRun:
		v.Banner = "DRY RUN"
	case report.ModeDrill:
		v.Banner = "DRILL"
	}
	if b := render.Banner(rep); b != "" {
		_, v.BannerText, _ = strings.Cut(b, " — ")
	}
	if !render.Finished(rep) {
		v.Incomplete = string(r.Status)
		if v.Incomplete == "" {
			v.Incomplete = "unknown"
		}
	}

	// The leaked key, from the steps that identified and described it.
	ks := findKeySteps(rep)
	var kind string
	v.Key, v.KeyAbsent, kind = keyPanel(rep, ks)
	v.Subtitle = "Leaked key incident"
	if kind != "" {
		v.Subtitle = kind + " incident"
	}

	c := r.Containment
	v.Contained = c.Status
	v.ContClass = knownClass(c.Status, "none", report.ContainmentConfirmed, report.ContainmentNotConfirmed, report.ContainmentPlanned, report.ContainmentRevokedUnproven, report.ContainmentNotFound)
	v.ContainText = render.ContainmentLine(c)
	if c.TimeToContainment > 0 {
		v.TTC = report.FormatDuration(c.TimeToContainment)
	}

	// Timeline.
	origin := r.Started
	for _, s := range rep.Steps {
		hs := htmlStep{Index: s.Index, ID: s.ID, Action: s.Action, Status: string(s.Status), Mutates: s.Mutates,
			Class:    knownClass(string(s.Status), "other", string(report.StepOK), string(report.StepFailed), string(report.StepPlanned), string(report.StepSkipped), string(report.StepInterrupted), string(report.StepPending), string(report.StepRunning)),
			Critical: s.Critical, Attempts: render.Attempts(s), Took: render.StepDuration(s), Error: s.Error, Evidence: s.Evidence}
		if !s.Started.IsZero() && !origin.IsZero() {
			hs.Start = "+" + report.FormatDuration(s.Started.Sub(origin))
		}
		if s.Evidence != "" {
			hs.EvAnchor = fileAnchor(s.Evidence)
		}
		v.Steps = append(v.Steps, hs)
	}
	if svg, err := timelineChart(rep); err != nil {
		v.TimelineError = err.Error()
	} else {
		v.Timeline = svg
	}

	buildVolume(v, rep)

	// Findings by severity; the persistence ones again on their own.
	sweep, counts := sweepStep(rep)
	groups := render.GroupFindings(rep.Findings)
	v.FindingCount = render.FindingCounts(groups, len(rep.Findings))
	for _, g := range groups {
		hg := htmlFindingGroup{Severity: string(g.Severity), Class: sevClass(g.Severity)}
		for _, f := range g.Findings {
			hf := toHTMLFinding(f)
			hg.Findings = append(hg.Findings, hf)
			if isPersistence(f, sweep) {
				v.Persistence = append(v.Persistence, hf)
			}
		}
		v.Findings = append(v.Findings, hg)
	}

	blastRadius(v, ks)

	// What the persistence sweep looked at.
	for _, k := range sortedAnyKeys(counts) {
		v.Surfaces = append(v.Surfaces, [2]string{strings.ReplaceAll(k, "_", " "), str(counts[k])})
	}

	v.Planned = rep.Planned
	for _, n := range rep.Notes {
		v.Notes = append(v.Notes, htmlNote{Time: render.FormatTime(n.Time), Step: n.Step, Text: n.Text})
	}
	for _, k := range render.SortedKeys(r.Inputs) {
		v.Inputs = append(v.Inputs, [2]string{k, render.Truncate(r.Inputs[k], 300)})
	}
	if len(r.SecretInput) > 0 {
		v.Secret = strings.Join(r.SecretInput, ", ")
	}

	v.ManifestHead = rep.ManifestHead
	v.Footer = strings.TrimSpace("keyir "+r.Version) + " · run " + r.ID + " · playbook " + r.Playbook
	return v, nil
}

func toHTMLFinding(f report.Finding) htmlFinding {
	hf := htmlFinding{Severity: string(f.Severity), Class: sevClass(f.Severity), Title: f.Title, Subject: f.Subject, Detail: f.Detail, Kind: f.Kind, Step: f.Step}
	for _, ref := range f.Evidence {
		file, _, _ := strings.Cut(ref, "#")
		hf.Evidence = append(hf.Evidence, htmlRef{Ref: ref, Anchor: fileAnchor(file)})
	}
	return hf
}

// buildVolume reads the daily send statistics (the step with a "daily"
// output) and draws them.
func buildVolume(v *htmlView, rep *report.Report) {
	step := stepWith(rep, "daily")
	if step == nil {
		return
	}
	out := step.Outputs
	v.VolumeCaption = volumeCaption(*step)
	var raw []struct {
		Date        string  `json:"date"`
		Requests    float64 `json:"requests"`
		Delivered   float64 `json:"delivered"`
		Bounces     float64 `json:"bounces"`
		SpamReports float64 `json:"spam_reports"`
		InWindow    bool    `json:"in_window"`
	}
	decodeOutput(out["daily"], &raw)
	var days []dailyPoint
	dropped := 0
	for _, d := range raw {
		t, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			dropped++
			continue
		}
		days = append(days, dailyPoint{day: t, requests: d.Requests, delivered: d.Delivered, bounces: d.Bounces, spamRepts: d.SpamReports, inWindow: d.InWindow})
	}
	sort.SliceStable(days, func(i, j int) bool { return days[i].day.Before(days[j].day) })
	var base, wmean, wtot map[string]any
	decodeOutput(out["baseline_means"], &base)
	decodeOutput(out["window_means"], &wmean)
	decodeOutput(out["window_totals"], &wtot)
	metrics := []struct{ key, name string }{{"requests", "requests"}, {"delivered", "delivered"}, {"bounces", "bounces"}, {"spam_reports", "spam reports"}}
	for _, m := range metrics {
		if wtot[m.key] == nil && wmean[m.key] == nil && base[m.key] == nil {
			continue
		}
		row := []string{m.name, count(str(wtot[m.key])), str(wmean[m.key]), str(base[m.key]), ratio(wmean[m.key], base[m.key])}
		v.VolumeTable = append(v.VolumeTable, row)
	}
	if len(days) == 0 && len(v.VolumeTable) == 0 {
		return
	}
	v.HasVolume = true
	if dropped > 0 {
		v.VolumeNote = fmt.Sprintf("%d day(s) with an unreadable date were left out of the charts.", dropped)
	}
	if len(days) == 0 {
		return
	}
	bm := func(k string) float64 {
		f, err := strconv.ParseFloat(str(base[k]), 64)
		if err != nil || math.IsInf(f, 0) || f < 0 {
			return math.NaN()
		}
		return f
	}
	charts := []struct {
		title, y string
		series   []volumeSeries
	}{
		{"Send volume per day: requests and deliveries against the baseline", "messages per day", []volumeSeries{
			{name: "requests", get: func(d dailyPoint) float64 { return d.requests }, base: bm("requests"), col: colPlanned, glyph: dotGlyph},
			{name: "delivered", get: func(d dailyPoint) float64 { return d.delivered }, base: bm("delivered"), col: colOK, dash: dashed, glyph: triGlyph},
		}},
		{"Bounces and spam reports per day against the baseline", "events per day", []volumeSeries{
			{name: "bounces", get: func(d dailyPoint) float64 { return d.bounces }, base: bm("bounces"), col: colInterrupted, glyph: boxGlyph},
			{name: "spam reports", get: func(d dailyPoint) float64 { return d.spamRepts }, base: bm("spam_reports"), col: colFailed, dash: dashed, glyph: crossGlyph},
		}},
	}
	for _, ch := range charts {
		svg, err := volumeChart(ch.title, ch.y, days, ch.series)
		if err != nil {
			v.VolumeError = err.Error()
			continue
		}
		if svg != "" {
			v.Volume = append(v.Volume, svg)
		}
	}
}

// count is an integer as 10,020; anything else as it is.
func count(s string) string {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return report.FormatCount(n)
	}
	return s
}

// ratio is "3.5×" for a window mean against a baseline mean.
func ratio(w, b any) string {
	wf, err1 := strconv.ParseFloat(str(w), 64)
	bf, err2 := strconv.ParseFloat(str(b), 64)
	if err1 != nil || err2 != nil {
		return ""
	}
	if bf == 0 {
		if wf == 0 {
			return "—"
		}
		return "no baseline activity"
	}
	return fmt.Sprintf("%.1f×", wf/bf)
}

// stepWith is the last step with an output called name, or nil. Steps are
// found by what they output, not by id or action: a user's playbook names
// its steps as it likes, and every provider's actions have their own names.
func stepWith(rep *report.Report, name string) *report.Step {
	for i := len(rep.Steps) - 1; i >= 0; i-- {
		if rep.Steps[i].Outputs[name] != nil {
			return &rep.Steps[i]
		}
	}
	return nil
}

// decodeOutput converts an output value (decoded JSON from the journal, or
// a typed value from a live run) into dst by a JSON round trip; a value of
// the wrong shape leaves dst as it was.
func decodeOutput(v any, dst any) {
	if v == nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	_ = json.Unmarshal(b, dst)
}

// str is a scalar output as text; anything else is "".
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.Number:
		return x.String()
	}
	return ""
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// knownClass is s when it is one of keyir's own values, else other: class
// names come from keyir, never from text an API could set.
func knownClass(s, other string, known ...string) string {
	for _, k := range known {
		if s == k {
			return s
		}
	}
	return other
}

func sevClass(s report.Severity) string {
	return knownClass(string(s), "other", string(report.Critical), string(report.High), string(report.Medium), string(report.Low), string(report.Info))
}

// fileAnchor is the id of a file's row in the evidence list.
func fileAnchor(rel string) string {
	return "file-" + runstore.SanitizeName(rel, "x")
}

// evidenceFiles lists every file of the run directory with its size and
// SHA-256, except report.html (being written) and MANIFEST (written after
// it); the page says so. sum gives each file's SHA-256.
func evidenceFiles(dir string, sum runstore.FileSums) ([]htmlFile, error) {
	files, _, err := runstore.ListFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []htmlFile
	for _, rel := range files {
		if rel == runstore.ReportHTML || strings.HasPrefix(rel, "."+runstore.ReportHTML+".tmp-") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		sha, err := sum(dir, rel)
		if err != nil {
			return nil, err
		}
		size := ""
		if fi, err := os.Stat(p); err == nil {
			size = formatSize(fi.Size())
		}
		out = append(out, htmlFile{Path: rel, Anchor: fileAnchor(rel), Size: size, SHA: sha})
	}
	return out, nil
}

func formatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
