package sendgrid

import "context"
import "encoding/json"
import "fmt"
import "slices"
import "sort"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// inventoryInfo declares sendgrid.inventory; provider.go registers it.
var inventoryInfo = actions.Info{
	Name:    "sendgrid.inventory",
	Summary: "List every API key of the account and its subusers, and diff against a baseline inventory",
	Outputs: []actions.Output{
		{Name: "keys", Type: actions.TypeInt, Description: "keys found"},
		{Name: "new_keys", Type: actions.TypeList, Description: "ids of keys not in the baseline"},
		{Name: "subusers", Type: actions.TypeList, Description: "subusers enumerated"},
		{Name: "disabled_subusers", Type: actions.TypeList, Description: "subusers that are disabled (their keys are listed, marked)"},
		{Name: "not_listed", Type: actions.TypeList, Description: "accounts whose keys could not be listed, and why"},
	},
	New: func() actions.Action { return &Inventory{Concurrency: 4} },
}

// Inventory lists keys and diffs them against a baseline.
type Inventory struct {
	Baseline    string `param:"baseline" desc:"inventory file written by 'keyir inventory save' (optional)"`
	Concurrency int    `param:"concurrency" default:"4" desc:"parallel key detail reads"`
	// Revoked are the keys this run revoked: their absence from the account is
	// the point of the run, not news for the report.
	Revoked []string `param:"revoked" desc:"key ids this run revoked; not reported as removed since the baseline"`
	// Region is accepted for older playbooks and ignored: the parent is
	// global and each subuser's region comes from the subuser listing.
	Region string `param:"region" desc:"ignored: each account's region comes from the subuser listing"`
}

// Validate checks the region.
func (a *Inventory) Validate() error { return checkRegion(a.Region) }

// KeyRecord is one API key in an inventory (never its secret).
type KeyRecord struct {
	ID      string   `json:"api_key_id"`
	Name    string   `json:"name"`
	Scopes  []string `json:"scopes"`
	Subuser string   `json:"subuser,omitempty"`
	// Region is "eu" for a key of an EU regional subuser (empty: global).
	Region string `json:"region,omitempty"`
	// Disabled marks a key of a disabled subuser: it cannot send while the
	// subuser is disabled, but it comes back when the subuser is enabled.
	Disabled bool `json:"subuser_disabled,omitempty"`
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

	// Account is the account the baseline was taken of (version 2 on): a
	// run refuses a baseline of another account. Nil in older baselines,
	// which are accepted with a finding that they cannot be checked.
	Account *BaselineAccount `json:"account,omitempty"`
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

// baselineIfAny is the baseline a step's baseline parameter names, or nil
// when it names none (every item is then judged without one).
func baselineIfAny(path string) (*Baseline, error) {
	if path == "" {
		return nil, nil
	}
	return LoadBaseline(path)
}

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
	_, err := SaveBaseline(ctx, env, path)
	return err
}

// SaveBaseline is SaveInventory returning the baseline written, so the CLI
// can say what it could not record (the account's identity).
func SaveBaseline(ctx context.Context, env *actions.Env, path string) (*Baseline, error) {
	region := strings.TrimSpace(env.Lookup(EnvRegion))
	c, err := newClient(env, region, "")
	if err != nil {
		return nil, err
	}
	b := &Baseline{Version: BaselineVersion, TakenAt: nowOf(env).UTC()}
	acct := readAccountIdentity(ctx, c)
	b.Account = &acct
	kl := listAllKeys(ctx, c, 4)
	if kl.Err != nil {
		return nil, kl.Err
	}
	if g := kl.gaps(); g != "" {
		// A baseline missing an account would make every key of it look
		// new next time: refuse rather than save a partial one.
		return nil, fmt.Errorf("inventory incomplete, not saved: %s", g)
	}
	b.Keys, b.Subusers = kl.Keys, kl.subuserNames()
	b.Captured = append(b.Captured, "api_keys")
	collectSurfaces(ctx, env, c, b)
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, err
	}
	return b, safefile.WriteAtomic(path, append(data, '\n'), 0o600)
}

func nowOf(env *actions.Env) time.Time {
	if env.Now != nil {
		return env.Now()
	}
	return time.Now()
}

// keyListing is an inventory of keys, account by account: the accounts
// that could not be listed are named, never silently dropped.
type keyListing struct {
	Keys     []KeyRecord
	Accounts []Account // every account listed (parent first)
	Failed   []string  // accounts whose keys could not be listed, with why
	// Subusers is the subuser listing; its Err says why it is partial.
	Subusers subuserListing
	// Unreadable counts keys whose scopes could not be read.
	Unreadable int
	// Err is set when nothing at all could be listed (the parent failed).
	Err error
}

// listAllKeys lists the keys of the parent and of every subuser (each on
// its region's host, on behalf of the subuser), then reads each key's
// scopes with bounded concurrency. One account failing is recorded and the
// others are still listed; a 403 on /v3/subusers (not a parent account, or
// no subusers.read) means parent keys only.
func listAllKeys(ctx context.Context, c *Client, concurrency int) keyListing {
	var kl keyListing
	kl.Subusers = listSubuserAccounts(ctx, c)
	if st := statusOf(kl.Subusers.Err); st == 403 || st == 404 {
		kl.Subusers.Err = nil
		kl.Subusers.Complete = true
	}
	accounts := append([]Account{{Region: RegionGlobal}}, kl.Subusers.Accounts...)
	for _, acct := range accounts {
		var list struct {
			Result []struct {
				ID   string `json:"api_key_id"`
				Name string `json:"name"`
			} `json:"result"`
		}
		ac, err := c.forAccount(acct)
		if err == nil {
			_, err = ac.get(ctx, "/v3/api_keys?limit=1000", &list)
		}
		if err != nil {
			if acct.Subuser == "" && (statusOf(err) == 403 || statusOf(err) == 401) {
				kl.Err = err
				return kl
			}
			kl.Failed = append(kl.Failed, fmt.Sprintf("%s (%s)", acct, shortErrText(err)))
			continue
		}
		kl.Accounts = append(kl.Accounts, acct)
		for _, k := range list.Result {
			kl.Keys = append(kl.Keys, KeyRecord{ID: k.ID, Name: k.Name, Subuser: acct.Subuser, Region: regionField(acct), Disabled: acct.Disabled})
		}
	}
	if len(kl.Accounts) == 0 && len(kl.Failed) > 0 {
		kl.Err = fmt.Errorf("no account could be listed: %s", strings.Join(kl.Failed, "; "))
		return kl
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next = make(chan int)
	)
	for range max(1, concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := &kl.Keys[i]
				if !keyIDRE.MatchString(r.ID) {
					continue
				}
				ac, err := c.forAccount(Account{Subuser: r.Subuser, Region: r.Region})
				var k keyDetails
				if err == nil {
					k, err = getKey(ctx, ac, r.ID)
				}
				if err != nil && statusOf(err) != 404 {
					mu.Lock()
					kl.Unreadable++
					mu.Unlock()
					continue
				}
				r.Scopes = k.Scopes
			}
		}()
	}
	for i := range kl.Keys {
		next <- i
	}
	close(next)
	wg.Wait()
	sort.Slice(kl.Keys, func(i, j int) bool {
		if kl.Keys[i].Subuser != kl.Keys[j].Subuser {
			return kl.Keys[i].Subuser < kl.Keys[j].Subuser
		}
		return kl.Keys[i].ID < kl.Keys[j].ID
	})
	return kl
}

// regionField is the region recorded for a key: empty for global.
func regionField(a Account) string {
	if normRegion(a.Region) == RegionEU {
		return RegionEU
	}
	return ""
}

// subuserNames lists the subusers' names.
func (kl keyListing) subuserNames() []string {
	out := []string{}
	for _, a := range kl.Subusers.Accounts {
		out = append(out, a.Subuser)
	}
	return out
}

// gaps says which accounts are missing from the listing, or "".
func (kl keyListing) gaps() string {
	var parts []string
	if len(kl.Failed) > 0 {
		parts = append(parts, "keys not listed for "+strings.Join(kl.Failed, "; "))
	}
	if kl.Subusers.Err != nil {
		parts = append(parts, fmt.Sprintf("the subuser listing stopped after %d subusers (%s), so any further subusers were not listed", len(kl.Subusers.Accounts), shortErrText(kl.Subusers.Err)))
	}
	return strings.Join(parts, "; ")
}

func describeKey(k KeyRecord) string {
	s := fmt.Sprintf("%s %q (%s, %d scopes", k.ID, k.Name, KeyType(k.Scopes), len(k.Scopes))
	if k.Subuser != "" {
		s += ", subuser " + k.Subuser
		if k.Region == RegionEU {
			s += " (EU)"
		}
		if k.Disabled {
			s += ", subuser disabled"
		}
	}
	return s + ")"
}

// Run lists the keys and diffs them.
func (a *Inventory) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	base, err := baselineIfAny(a.Baseline)
	if err != nil {
		return nil, err
	}
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	// A baseline of another account would make every key look new, or
	// vouch for keys it never saw: refused. (The persistence step, which
	// knows the window, raises the findings about the baseline.)
	if _, err := checkRunBaseline(ctx, env, c, base, time.Time{}, time.Time{}, false); err != nil {
		return nil, err
	}
	kl := listAllKeys(ctx, c, a.Concurrency)
	if st := statusOf(kl.Err); st == 403 {
		notAssessable(env, "api_keys", "the responder key may not list API keys (api_keys.read)", kl.Err)
		return actions.Outputs{"keys": 0, "new_keys": []string{}, "subusers": []string{}, "disabled_subusers": []string{}, "not_listed": []string{}}, nil
	} else if kl.Err != nil {
		return nil, kl.Err
	}
	keys, subs := kl.Keys, kl.subuserNames()
	ref, _ := evidence(env, "api_key_inventory", map[string]any{"keys": keys, "subusers": kl.Subusers.Accounts, "not_listed": kl.Failed})
	notListed := append([]string{}, kl.Failed...)
	if kl.Subusers.Err != nil {
		notListed = append(notListed, fmt.Sprintf("subusers after the first %d", len(kl.Subusers.Accounts)))
	}
	if g := kl.gaps(); g != "" {
		env.Finding(report.Finding{
			Kind: "inventory.accounts_not_listed", Severity: report.Medium,
			Title:    fmt.Sprintf("%d account(s) could not be inventoried", len(notListed)),
			Detail:   firstUpper(g) + ". The other accounts are listed below; check these by hand (Settings > API Keys, as each subuser).",
			Evidence: refs(ref),
		})
	}
	if kl.Unreadable > 0 {
		note(env, fmt.Sprintf("inventory: the scopes of %d key(s) could not be read; they are listed without scopes", kl.Unreadable))
	}
	disabled := []string{}
	listed := map[string]bool{"": true}
	for _, acct := range kl.Accounts {
		listed[acct.Subuser] = true
		if acct.Disabled {
			disabled = append(disabled, acct.Subuser)
		}
	}
	if len(disabled) > 0 {
		note(env, "disabled subusers (their keys are listed, marked): "+strings.Join(disabled, ", "))
	}
	newKeys := []string{}
	var fh footholds
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
			f := report.Finding{
				Kind: "persistence.new_api_key", Subject: k.ID, Severity: report.High,
				Title:    fmt.Sprintf("API key %q is not in the baseline inventory", k.Name),
				Detail:   fmt.Sprintf("Key %s named %q (%s, %s access) with scopes %s did not exist when the baseline was taken (%s). An attacker may have created it to keep access: review and revoke it.", k.ID, k.Name, sub, KeyType(k.Scopes), strings.Join(k.Scopes, ", "), base.TakenAt.Format(time.RFC3339)),
				Evidence: refs(ref),
			}
			// Never plan the removal of the responder's own key (a new
			// responder key made after the baseline) or of the leaked key
			// (the revoke step owns it).
			if k.ID == responderKeyID(c) || slices.Contains(a.Revoked, k.ID) {
				env.Finding(f)
				continue
			}
			why := []string{"not in the baseline inventory of " + base.TakenAt.Format(time.RFC3339)}
			if KeyType(k.Scopes) == TypeFull {
				why = append(why, "full access: it can create keys and teammates")
			}
			fh.add(f, KindAPIKey, k.ID, Account{Subuser: k.Subuser, Region: k.Region}, why)
		}
		if err := fh.emit(env, []string{KindAPIKey}); err != nil {
			return nil, fmt.Errorf("%s: %w", report.PlanFile, err)
		}
		var removed []string
		for _, k := range base.Keys {
			// A key of an account that could not be listed now is unknown,
			// not removed.
			if !seen[k.ID] && !slices.Contains(a.Revoked, k.ID) && listed[k.Subuser] {
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
	return actions.Outputs{"keys": len(keys), "new_keys": newKeys, "subusers": subs, "disabled_subusers": disabled, "not_listed": notListed}, nil
}

var (
	_ actions.Action    = (*Inventory)(nil)
	_ actions.Validator = (*Inventory)(nil)
)
