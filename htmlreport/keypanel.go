package htmlreport

import "fmt"
import "strings"

import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

// The key panel and the blast radius are read from the steps by what they
// output, never by action name, so that every provider's run fills them
// (a user's playbook names its steps and may use any provider's actions):
//
//   - identity: the first step with a "fingerprint" output (identify runs
//     first, offline; later steps that repeat the fingerprint only say which
//     key they are about);
//   - liveness: the first step with a "status" output (the key's state at
//     the start, before anything was revoked);
//   - blast radius: the last step with "categories" or "risk", the outputs
//     every provider's snapshot declares (actions.BlastRadiusOutputs);
//   - the persistence sweep: the step with "counts", what it checked.

// keySteps are the outputs of the steps that describe the leaked key; any
// may be nil when the run had no such step.
type keySteps struct {
	id, live, snap map[string]any
}

func findKeySteps(rep *report.Report) keySteps {
	var k keySteps
	for _, s := range rep.Steps {
		if len(s.Outputs) == 0 {
			continue
		}
		if _, ok := s.Outputs["fingerprint"]; ok && k.id == nil {
			k.id = s.Outputs
		}
		if _, ok := s.Outputs["status"]; ok && k.live == nil {
			k.live = s.Outputs
		}
		_, cats := s.Outputs["categories"]
		_, risk := s.Outputs["risk"]
		if cats || risk {
			k.snap = s.Outputs
		}
	}
	return k
}

// field is the first non-empty value of any of names in the steps' outputs,
// and whether any step reported one of them at all (an empty value is then
// "unknown"; no report at all is a field this kind of key does not have).
func (k keySteps) field(names ...string) (string, bool) {
	reported := false
	for _, out := range []map[string]any{k.id, k.snap, k.live} {
		for _, n := range names {
			v, ok := out[n]
			if !ok {
				continue
			}
			reported = true
			if s := str(v); s != "" {
				// The API's text, hostile in length like any other input.
				return render.Truncate(s, 300), true
			}
		}
	}
	return "", reported
}

// keyPanel is the "Leaked key" card and the kind's human name ("" when no
// step named it). Fingerprint, risk and the state at the start are every
// key's, shown as unknown when the run did not learn them; the others are
// shown when the key's steps report them, and the classic fields a kind
// lacks are named once as not reported rather than shown empty.
func keyPanel(rep *report.Report, k keySteps) (rows []kv, absent []string, kind string) {
	kind, _ = k.field("human", "kind")
	if kind == "" && len(rep.Keys) == 1 {
		kind = rep.Keys[0].Human
	}
	if kind != "" {
		rows = append(rows, kv{"Kind", kind})
	}
	optional := func(label string, names ...string) {
		v, ok := k.field(names...)
		if label == "Key id" && v == "" && rep.Run.Inputs["key_id"] != "" {
			v, ok = rep.Run.Inputs["key_id"], true
		}
		if ok {
			rows = append(rows, kv{label, v})
		} else {
			absent = append(absent, strings.ToLower(label[:1])+label[1:])
		}
	}
	always := func(label string, names ...string) {
		v, _ := k.field(names...)
		rows = append(rows, kv{label, v})
	}
	optional("Key id", "key_id")
	optional("Name", "name")
	always("Fingerprint", "fingerprint")
	optional("Key type", "key_type")
	always("Risk", "risk")
	v := str(k.live["status"])
	rows = append(rows, kv{"State at start", v})
	if login, _ := k.field("login"); login != "" {
		rows = append(rows, kv{"Acts as", login})
	}
	if user, _ := k.field("user_id"); user != "" {
		team, _ := k.field("team_id")
		rows = append(rows, kv{"Acts as", strings.TrimSpace("user " + user + " in workspace " + team)})
	}
	if known, _ := k.snap["owner_known"].(bool); known {
		held := "the parent account"
		if sub := str(k.snap["owner"]); sub != "" {
			held = "subuser " + sub
		}
		if r := str(k.snap["owner_region"]); r != "" {
			held += " (" + r + " region)"
		}
		rows = append(rows, kv{"Held by", held})
	}
	return rows, absent, kind
}

// blastRadius fills the blast radius: the scopes by category where the
// snapshot grouped them, else each scope on its own row, and the risk.
func blastRadius(v *htmlView, k keySteps) {
	var cats []struct {
		Category string   `json:"category"`
		Scopes   []string `json:"scopes"`
		Write    bool     `json:"write"`
	}
	decodeOutput(k.snap["categories"], &cats)
	for _, ct := range cats {
		access := "read"
		if ct.Write {
			access = "read and write"
		}
		v.Categories = append(v.Categories, htmlCategory{Category: ct.Category, Access: access, Scopes: strings.Join(ct.Scopes, ", ")})
	}
	var scopes []string
	decodeOutput(k.snap["scopes"], &scopes)
	if len(scopes) == 0 {
		decodeOutput(k.live["scopes"], &scopes)
	}
	if len(scopes) > 0 {
		v.Scopes = fmt.Sprintf("%d %s: %s", len(scopes), report.Plural(len(scopes), "scope", "scopes"), render.Truncate(strings.Join(scopes, ", "), 2000))
		if len(v.Categories) == 0 {
			// A provider that does not group its scopes still shows what
			// the key could do, one scope a row (capped: the list is the
			// API's, hostile in length like any other input).
			for i, s := range scopes {
				if i == maxScopeRows {
					v.ScopeList = append(v.ScopeList, fmt.Sprintf("… and %d more", len(scopes)-maxScopeRows))
					break
				}
				v.ScopeList = append(v.ScopeList, render.Truncate(s, 200))
			}
		}
	}
	v.Risk = str(k.snap["risk"])
}

const maxScopeRows = 200

// isPersistence is whether a finding belongs in the Persistence section: a
// foothold the eradication plan removes, or anything the persistence sweep
// (the step that reports what it checked, "counts") found.
func isPersistence(f report.Finding, sweep string) bool {
	return report.IsFoothold(f) || (sweep != "" && f.Step == sweep)
}

// sweepStep is the last step that reported its surfaces' counts, by id, and
// those counts.
func sweepStep(rep *report.Report) (string, map[string]any) {
	for i := len(rep.Steps) - 1; i >= 0; i-- {
		s := rep.Steps[i]
		if _, ok := s.Outputs["counts"]; ok {
			var counts map[string]any
			decodeOutput(s.Outputs["counts"], &counts)
			return s.ID, counts
		}
	}
	return "", nil
}
