package ghtoken

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/report"
)

// foothold is one item the persistence step reports.
type foothold struct {
	kind, subject, title string
	remove               removal
}

// removal is the request that removes a foothold; Method "" means there is
// none the responder can send, and Path says where to remove it by hand.
type removal struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// planItem is one item of eradication-plan.json, in the shape every
// provider's plan shares (report.PlanFile): findings cite it, which is how
// the outcome counts open footholds (exit 5).
type planItem struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Subject  string   `json:"subject"`
	Severity string   `json:"severity"`
	Why      []string `json:"why"`
	Evidence []string `json:"evidence"`
	Remove   removal  `json:"remove"`
}

// runFileWriter is the runner's recorder: it writes a tracked file of the
// run directory and journals a note.
type runFileWriter interface {
	WriteRunFile(name string, data []byte, note string) error
}

// recordFootholds writes the step's footholds as the run's eradication plan (only
// this step writes it in a GitHub run, so it is written whole: a resumed
// step rewrites it) and records one finding each, citing its item. Outside
// a run the findings cite the inventory evidence only.
func recordFootholds(env *actions.Env, held []foothold, start, end time.Time, ref []string) (int, error) {
	items := make([]planItem, len(held))
	for i, h := range held {
		items[i] = planItem{ID: fmt.Sprintf("fh-%02d", i+1), Kind: h.kind, Subject: h.subject, Severity: string(report.High),
			Why: []string{h.title}, Evidence: ref, Remove: h.remove}
	}
	w, inRun := env.Recorder.(runFileWriter)
	inRun = inRun && env.Dir != "" && len(items) > 0
	if inRun {
		b, err := json.MarshalIndent(map[string]any{"version": 1, "provider": "github", "run_id": env.RunID, "incident": env.Incident,
			"created": time.Now().UTC().Truncate(time.Second), "items": items}, "", "  ")
		if err != nil {
			return 0, err
		}
		if err := w.WriteRunFile(report.PlanFile, append(b, '\n'), fmt.Sprintf("eradication plan: %s", report.Count(len(items), "foothold", "footholds"))); err != nil {
			return 0, err
		}
	}
	for i, h := range held {
		ev := slices.Clone(ref)
		how := "remove it by hand: " + h.remove.Path
		if h.remove.Method != "" {
			how = "remove it with " + h.remove.Method + " " + h.remove.Path
		}
		if inRun {
			ev = append(ev, report.PlanRef(items[i].ID))
		}
		env.Finding(report.Finding{Kind: h.kind, Subject: h.subject, Severity: report.High, Title: h.title, Evidence: ev,
			Detail: fmt.Sprintf("Not in the baseline, or created inside the exposure window (%s to %s): unless someone on the team added it, %s.", start.Format(time.RFC3339), end.Format(time.RFC3339), how)})
	}
	return len(held), nil
}
