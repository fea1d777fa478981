package sendgrid

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/safefile"
)

func init() {
	actions.Register(actions.Info{
		Name:    "sendgrid.inventory",
		Summary: "List every API key of the account and its subusers, and diff against a baseline inventory",
		Outputs: []actions.Output{
			{Name: "keys", Type: actions.TypeInt, Description: "keys found"},
			{Name: "new_keys", Type: actions.TypeList, Description: "ids of keys not in the baseline"},
			{Name: "subusers", Type: actions.TypeList, Description: "subusers enumerated"},
		},
		New: func() actions.Action { return &Inventory{Concurrency: 4} },
	})
}

// Inventory lists keys and diffs them against a baseline.
type Inventory struct {
	Baseline    string `param:"baseline" desc:"inventory file written by 'keyir inventory save' (optional)"`
	Concurrency int    `param:"concurrency" default:"4" desc:"parallel key detail reads"`
	// Revoked are the keys this run revoked: their absence from the account is
	// the point of the run, not news for the report.
	Revoked []string `param:"revoked" desc:"key ids this run revoked; not reported as removed since the baseline"`
	Region  string   `param:"region" default:"global" desc:"global or eu"`
}

// Validate checks the region.
func (a *Inventory) Validate() error { return checkRegion(a.Region) }

// KeyRecord is one API key in an inventory (never its secret).
type KeyRecord struct {
	ID      string   `json:"api_key_id"`
	Name    string   `json:"name"`
	Scopes  []string `json:"scopes"`
	Subuser string   `json:"subuser,omitempty"`
}

// Baseline is the inventory file: the account's keys and persistence
// surfaces at a known-good time. Captured lists the surfaces read, so a
// surface that could not be read is not mistaken for an empty one.
type Baseline struct {
	Version         int         `json:"version"`
	TakenAt         time.Time   `json:"taken_at"`
	Captured        []string    `json:"captured"`
	Keys            []KeyRecord `json:"keys"`
	Subusers        []string    `json:"subusers"`
	Teammates       []string    `json:"teammates,omitempty"`
	PendingInvites  []string    `json:"pending_invites,omitempty"`
	AllowList       []string    `json:"ip_allowlist,omitempty"`
	EventWebhooks   []string    `json:"event_webhooks,omitempty"`
	InboundParse    []string    `json:"inbound_parse,omitempty"`
	ForwardBounce   []string    `json:"forward_bounce,omitempty"`
	ForwardSpam     []string    `json:"forward_spam,omitempty"`
	Alerts          []string    `json:"alerts,omitempty"`
	VerifiedSenders []string    `json:"verified_senders,omitempty"`
}

// list returns the baseline's item keys of a persistence surface.
func (b *Baseline) list(surface string) *[]string {
	switch surface {
	case surfTeammates:
		return &b.Teammates
	case surfPending:
		return &b.PendingInvites
	case surfAllowList:
		return &b.AllowList
	case surfWebhooks:
		return &b.EventWebhooks
	case surfParse:
		return &b.InboundParse
	case surfFwdBounce:
		return &b.ForwardBounce
	case surfFwdSpam:
		return &b.ForwardSpam
	case surfAlerts:
		return &b.Alerts
	case surfSenders:
		return &b.VerifiedSenders
	}
	return nil
}

func (b *Baseline) captured(surface string) bool {
	if b == nil {
		return false
	}
	for _, s := range b.Captured {
		if s == surface {
			return true
		}
	}
	return false
}

// MaxBaseline caps an inventory file; a large account's is well under 1 MiB.
const MaxBaseline = 32 << 20

// LoadBaseline reads an inventory file: regular, no link followed, capped.
func LoadBaseline(path string) (*Baseline, error) {
	raw, err := safefile.ReadFile(path, MaxBaseline)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var b Baseline
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return &b, nil
}

// SaveInventory snapshots the account (keys of the parent and every subuser
// with their scopes, and the persistence surfaces) and writes it to path,
// mode 0600, atomically. The CLI's `keyir inventory save FILE` calls it. The
// region comes from SENDGRID_REGION (default global) unless SENDGRID_API_URL
// is set.
func SaveInventory(ctx context.Context, env *actions.Env, path string) error {
	region := strings.TrimSpace(env.Lookup(EnvRegion))
	c, err := newClient(env, region, "")
	if err != nil {
		return err
	}
	b := &Baseline{Version: 1, TakenAt: nowOf(env).UTC()}
	keys, subs, err := listAllKeys(ctx, c, 4)
	if err != nil {
		return err
	}
	b.Keys, b.Subusers = keys, subs
	b.Captured = append(b.Captured, "api_keys")
	collectSurfaces(ctx, env, c, b)
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".keyir-inventory-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func nowOf(env *actions.Env) time.Time {
	if env.Now != nil {
		return env.Now()
	}
	return time.Now()
}

// listSubusers pages through GET /v3/subusers.
func listSubusers(ctx context.Context, c *Client) ([]string, error) {
	const size = 500
	var out []string
	for off := 0; off < 100*size; off += size {
		var rows []struct {
			Username string `json:"username"`
		}
		if _, err := c.get(ctx, fmt.Sprintf("/v3/subusers?limit=%d&offset=%d", size, off), &rows); err != nil {
			return out, err
		}
		for _, r := range rows {
			out = append(out, r.Username)
		}
		if len(rows) < size {
			break
		}
	}
	sort.Strings(out)
	return out, nil
}

// listAllKeys lists the keys of the parent and of every subuser, then reads
// each key's scopes with bounded concurrency. A 403 on /v3/subusers (not a
// parent account, or no subusers.read) means parent keys only.
func listAllKeys(ctx context.Context, c *Client, concurrency int) ([]KeyRecord, []string, error) {
	subs, err := listSubusers(ctx, c)
	if err != nil {
		if st := statusOf(err); st != 403 && st != 404 {
			return nil, nil, fmt.Errorf("subusers: %w", err)
		}
		subs = nil
	}
	var recs []KeyRecord
	for _, sub := range append([]string{""}, subs...) {
		var list struct {
			Result []struct {
				ID   string `json:"api_key_id"`
				Name string `json:"name"`
			} `json:"result"`
		}
		if _, err := c.onBehalfOf(sub).get(ctx, "/v3/api_keys?limit=1000", &list); err != nil {
			return nil, nil, fmt.Errorf("api keys%s: %w", subuserNote(sub), err)
		}
		for _, k := range list.Result {
			recs = append(recs, KeyRecord{ID: k.ID, Name: k.Name, Subuser: sub})
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range max(1, concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if !keyIDRE.MatchString(recs[i].ID) {
					continue
				}
				k, err := getKey(ctx, c.onBehalfOf(recs[i].Subuser), recs[i].ID)
				if err != nil && statusOf(err) != 404 {
					mu.Lock()
					errs = append(errs, fmt.Errorf("key %s: %w", recs[i].ID, err))
					mu.Unlock()
					continue
				}
				recs[i].Scopes = k.Scopes
			}
		}()
	}
	for i := range recs {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return recs, subs, errs[0]
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Subuser != recs[j].Subuser {
			return recs[i].Subuser < recs[j].Subuser
		}
		return recs[i].ID < recs[j].ID
	})
	return recs, subs, nil
}

func describeKey(k KeyRecord) string {
	s := fmt.Sprintf("%s %q (%s, %d scopes", k.ID, k.Name, KeyType(k.Scopes), len(k.Scopes))
	if k.Subuser != "" {
		s += ", subuser " + k.Subuser
	}
	return s + ")"
}

// Run lists the keys and diffs them.
func (a *Inventory) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	var base *Baseline
	if a.Baseline != "" {
		b, err := LoadBaseline(a.Baseline)
		if err != nil {
			return nil, err
		}
		base = b
	}
	c, err := newClient(env, a.Region, "")
	if err != nil {
		return nil, err
	}
	keys, subs, err := listAllKeys(ctx, c, a.Concurrency)
	if st := statusOf(err); st == 403 {
		notAssessable(env, "api_keys", "the responder key may not list API keys (api_keys.read)", err)
		return actions.Outputs{"keys": 0, "new_keys": []string{}, "subusers": []string{}}, nil
	} else if err != nil {
		return nil, err
	}
	ref, _ := evidence(env, "api_key_inventory", map[string]any{"keys": keys, "subusers": subs})
	if subs == nil {
		subs = []string{}
	}
	newKeys := []string{}
	if base.captured("api_keys") {
		known := map[string]bool{}
		for _, k := range base.Keys {
			known[k.ID] = true
		}
		seen := map[string]bool{}
		for _, k := range keys {
			seen[k.ID] = true
			if known[k.ID] {
				continue
			}
			newKeys = append(newKeys, k.ID)
			sub := "parent account"
			if k.Subuser != "" {
				sub = "subuser " + k.Subuser
			}
			env.Finding(report.Finding{
				Kind: "persistence.new_api_key", Subject: k.ID, Severity: report.High,
				Title:    fmt.Sprintf("API key %q is not in the baseline inventory", k.Name),
				Detail:   fmt.Sprintf("Key %s named %q (%s, %s access) with scopes %s did not exist when the baseline was taken (%s). An attacker may have created it to keep access: review and revoke it.", k.ID, k.Name, sub, KeyType(k.Scopes), strings.Join(k.Scopes, ", "), base.TakenAt.Format(time.RFC3339)),
				Evidence: refs(ref),
			})
		}
		var removed []string
		for _, k := range base.Keys {
			if !seen[k.ID] && !slices.Contains(a.Revoked, k.ID) {
				removed = append(removed, describeKey(k))
			}
		}
		if len(removed) > 0 {
			env.Finding(report.Finding{
				Kind: "inventory.removed_api_keys", Severity: report.Info,
				Title:    fmt.Sprintf("%d key(s) of the baseline no longer exist", len(removed)),
				Detail:   "Removed since the baseline, other than by this run: " + strings.Join(removed, "; ") + ".",
				Evidence: refs(ref),
			})
		}
	} else {
		lines := make([]string, 0, len(keys))
		for _, k := range keys {
			lines = append(lines, describeKey(k))
			if KeyType(k.Scopes) == TypeFull {
				env.Finding(report.Finding{
					Kind: "inventory.full_access_key", Subject: k.ID, Severity: report.Medium,
					Title:    fmt.Sprintf("Full-access key %q exists", k.Name),
					Detail:   "Without a baseline keyir cannot tell whether this key is new. Full-access keys can create keys and teammates: check it is expected, and prefer restricted keys.",
					Evidence: refs(ref),
				})
			}
		}
		env.Finding(report.Finding{
			Kind: "inventory.keys", Severity: report.Info,
			Title:    fmt.Sprintf("%d API key(s) exist (no baseline to compare with)", len(keys)),
			Detail:   "Review each for keys you do not recognise: " + strings.Join(lines, "; ") + ". Save a baseline with `keyir inventory save FILE` to detect new keys next time.",
			Evidence: refs(ref),
		})
	}
	return actions.Outputs{"keys": len(keys), "new_keys": newKeys, "subusers": subs}, nil
}

var (
	_ actions.Action    = (*Inventory)(nil)
	_ actions.Validator = (*Inventory)(nil)
)
