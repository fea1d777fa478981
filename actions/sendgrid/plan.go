package sendgrid

import "encoding/json"
import "fmt"
import "slices"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/planfile"
import "github.com/keyir/keyir/report"

// PlanVersion is the schema version of eradication-plan.json.
const PlanVersion = planfile.Version

// ProviderName is SendGrid's name in the registry and in plan items.
const ProviderName = "sendgrid"

// Plan is eradication-plan.json: the footholds a run's assessment found, each
// with the exact request that removes it. Its shape is a contract (other
// tools read it): change it only with PlanVersion.
type Plan struct {
	Version  int        `json:"version"`
	RunID    string     `json:"run_id"`
	Incident string     `json:"incident"`
	Created  time.Time  `json:"created"`
	Items    []PlanItem `json:"items"`
}

// PlanItem is one foothold.
type PlanItem struct {
	ID         string   `json:"id"` // fh-01, unique in the plan
	Provider   string   `json:"provider"`
	Kind       string   `json:"kind"`    // api_key, pending_invite, teammate, ip_allow_entry, …
	Account    string   `json:"account"` // "" = parent, else the subuser's username
	Region     string   `json:"region"`  // global or eu
	ResourceID string   `json:"resource_id"`
	Subject    string   `json:"subject"`
	Severity   string   `json:"severity"`
	Why        []string `json:"why"`
	Evidence   []string `json:"evidence"`
	Remove     Removal  `json:"remove"`
}

// Removal is the request that removes an item. Body is set only where the
// API has no DELETE (a forward mail setting is switched off with PATCH).
type Removal struct {
	Method     string          `json:"method"`
	Path       string          `json:"path"`
	OnBehalfOf string          `json:"on_behalf_of"`
	Body       json.RawMessage `json:"body,omitempty"`
}

// Plan item kinds.
const (
	KindAPIKey        = "api_key"
	KindPendingInvite = "pending_invite"
	KindTeammate      = "teammate"
	KindIPAllow       = "ip_allow_entry"
	KindEventWebhook  = "event_webhook"
	KindParseSetting  = "parse_setting"
	KindForwardBounce = "forward_bounce"
	KindForwardSpam   = "forward_spam"
	KindAlert         = "alert"
	KindSender        = "verified_sender"
)

// deletePaths are the DELETE endpoints of the kinds removed by id, as the
// official spec names them; the item's id is appended, escaped. A table, so
// a new kind is one line and cannot get a request shape of its own by mistake.
var deletePaths = map[string]string{
	KindAPIKey:        "/v3/api_keys/",
	KindPendingInvite: "/v3/teammates/pending/",
	KindTeammate:      "/v3/teammates/",
	KindIPAllow:       "/v3/access_settings/whitelist/",
	KindEventWebhook:  "/v3/user/webhooks/event/settings/",
	KindParseSetting:  "/v3/user/webhooks/parse/settings/",
	KindAlert:         "/v3/alerts/",
	KindSender:        "/v3/verified_senders/",
}

// removal is the request that removes a resource of a kind, as the official
// spec defines it.
func removal(kind, rid string, acct Account) (Removal, bool) {
	if rid == "" {
		return Removal{}, false
	}
	switch kind {
	case KindForwardBounce, KindForwardSpam:
		// A forward setting is switched off, not deleted.
		return Removal{Method: "PATCH", Path: "/v3/mail_settings/" + kind, OnBehalfOf: acct.Subuser,
			Body: json.RawMessage(`{"enabled":false}`)}, true
	case KindSender:
		// The spec declares no on-behalf-of: the parent's senders only.
		return Removal{Method: "DELETE", Path: deletePaths[kind] + escape(rid)}, true
	}
	path, ok := deletePaths[kind]
	if !ok {
		return Removal{}, false
	}
	return Removal{Method: "DELETE", Path: path + escape(rid), OnBehalfOf: acct.Subuser}, true
}

// ReadPlan reads SendGrid's items of a run directory's plan (a composed
// run's plan holds other providers' items too); a run without a plan has
// an empty one (ok false).
func ReadPlan(dir string) (p *Plan, ok bool, err error) {
	f, ok, err := planfile.Read(dir)
	if err != nil || !ok {
		return &Plan{Version: PlanVersion}, false, err
	}
	p, err = planOf(f)
	return p, err == nil, err
}

// planOf decodes SendGrid's items of a plan.
func planOf(f *planfile.File) (*Plan, error) {
	p := &Plan{Version: f.Version, RunID: f.RunID, Incident: f.Incident, Created: f.Created}
	for _, raw := range f.Of(ProviderName) {
		var it PlanItem
		if err := json.Unmarshal(raw, &it); err != nil {
			return nil, fmt.Errorf("%s: %w", report.PlanFile, err)
		}
		it.Provider = ProviderName
		p.Items = append(p.Items, it)
	}
	return p, nil
}

// addToPlan merges a step's items into the run's plan: SendGrid's items of
// the kinds this step owns are replaced (a resumed step reruns), every
// other item kept (another provider's too); an item already planned keeps
// its id, a new one gets the next free id of the whole plan. It returns the
// items with their ids, for findings to cite. Outside a run (no directory,
// no tracked-file writer) nothing is written and ids stay empty.
//
// in, when set, is the one account the step assessed: only its items are
// replaced, so in a composed run another key's step in another subuser
// keeps its own.
func addToPlan(env *actions.Env, owns []string, in *Account, items []PlanItem) ([]PlanItem, error) {
	w, ok := env.Recorder.(planfile.RunFileWriter)
	if !ok || env.Dir == "" {
		return items, nil
	}
	f, _, err := planfile.Read(env.Dir)
	if err != nil {
		return items, err
	}
	p, err := planOf(f)
	if err != nil {
		return items, err
	}
	key := func(it PlanItem) string { return it.Kind + "\x00" + it.Account + "\x00" + it.ResourceID }
	oldIDs := map[string]string{}
	mine := map[string]bool{} // ids of the items this step replaces
	for _, it := range p.Items {
		if slices.Contains(owns, it.Kind) && (in == nil || (it.Account == in.Subuser && normRegion(it.Region) == normRegion(in.Region))) {
			oldIDs[key(it)] = it.ID
			mine[it.ID] = true
		}
	}
	replace := func(h planfile.Head) bool { return mine[h.ID] }
	ids := planfile.NewIDs(f, ProviderName, replace)
	// An item that comes with its id (an eradication's item still open
	// keeps the parent's) reserves it; one already planned keeps its own.
	given := make([]bool, len(items))
	for i := range items {
		given[i] = ids.Reserve(items[i].ID)
	}
	for i := range items {
		if given[i] {
			continue
		}
		if id, ok := oldIDs[key(items[i])]; ok && items[i].ID == "" && ids.Reserve(id) {
			items[i].ID = id
			continue
		}
		items[i].ID = ids.New()
	}
	raws := make([]json.RawMessage, len(items))
	for i := range items {
		items[i].Provider = ProviderName
		if raws[i], err = json.Marshal(items[i]); err != nil {
			return items, err
		}
	}
	note := fmt.Sprintf("eradication plan: %d item(s) from this step in %s", len(items), report.PlanFile)
	return items, planfile.Replace(w, f, ProviderName, replace, raws, env.RunID, env.Incident, nowOf(env), note)
}

// planRefs are a finding's evidence references plus its plan item's.
func planRefs(id string, ev ...string) []string {
	out := refs(ev...)
	if id != "" {
		out = append(out, report.PlanRef(id))
	}
	return out
}

// whyDest says why a destination makes an item suspicious.
func whyDest(dest string, domains []string) string {
	if dest == "" || len(domains) == 0 {
		return ""
	}
	return "destination " + dest + " is outside the trusted domains (" + strings.Join(domains, ", ") + ")"
}

// footholds collects a step's findings with the plan items they describe, so
// the plan is written (and each item has its id) before any finding cites it.
type footholds struct {
	pending []pendingFinding
	items   []PlanItem
	// in, when set, is the one account the step assessed (addToPlan).
	in *Account
}

type pendingFinding struct {
	f    report.Finding
	item int // index in items, or -1: not a removable foothold
}

// add keeps a finding; one that is worth removing (not info, a kind with a
// removal request and an id) also becomes a plan item.
func (fh *footholds) add(f report.Finding, kind, rid string, acct Account, why []string) {
	pf := pendingFinding{f: f, item: -1}
	if rm, ok := removal(kind, rid, acct); ok && f.Severity != report.Info {
		var whys []string
		for _, w := range why {
			if w != "" {
				whys = append(whys, w)
			}
		}
		pf.item = len(fh.items)
		fh.items = append(fh.items, PlanItem{
			Kind: kind, Account: acct.Subuser, Region: normRegion(acct.Region), ResourceID: rid,
			Subject: f.Subject, Severity: string(f.Severity), Why: whys, Evidence: refs(f.Evidence...), Remove: rm,
		})
	}
	fh.pending = append(fh.pending, pf)
}

// emit writes the plan (replacing this step's kinds, owns) and then records
// the findings, each planned one citing its item. When the plan cannot be
// written the findings are still recorded, without a plan reference, and the
// error fails the step.
func (fh *footholds) emit(env *actions.Env, owns []string) error {
	items, err := addToPlan(env, owns, fh.in, fh.items)
	for _, p := range fh.pending {
		f := p.f
		if p.item >= 0 && err == nil {
			f.Evidence = planRefs(items[p.item].ID, f.Evidence...)
		}
		env.Finding(f)
	}
	return err
}

// persistenceKinds are the plan kinds the persistence step owns.
func persistenceKinds() []string {
	out := make([]string, 0, len(surfaces))
	for _, s := range surfaces {
		out = append(out, s.planKind)
	}
	return out
}

// responderKeyID is the id of the key c authenticates with ("" when it is
// not key-shaped).
func responderKeyID(c *Client) string {
	if m := APIKey.Match(c.key); m != nil {
		return m[1]
	}
	return ""
}

// addItem keeps a finding with an item already built (an eradication's
// item still open, copied from the parent's plan).
func (fh *footholds) addItem(f report.Finding, it PlanItem) {
	fh.pending = append(fh.pending, pendingFinding{f: f, item: len(fh.items)})
	fh.items = append(fh.items, it)
}
