package sendgrid

import "context"
import "errors"
import "fmt"
import "net/url"
import "sort"
import "strings"
import "sync"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// Account is one SendGrid account keyir can act in: the parent (Subuser
// "") or one of its subusers, with the region whose host serves it.
type Account struct {
	Subuser  string `json:"subuser,omitempty"`
	Region   string `json:"region"`
	Disabled bool   `json:"disabled,omitempty"`
}

// String names the account in findings and notes.
func (a Account) String() string {
	s := "the parent account"
	if a.Subuser != "" {
		s = "subuser " + a.Subuser
	}
	if normRegion(a.Region) == RegionEU {
		s += " (EU region)"
	}
	if a.Disabled {
		s += " (disabled)"
	}
	return s
}

// subuserPage is the page size of GET /v3/subusers. The spec documents no
// maximum, so paging never trusts a short page to be the last: it stops at
// an empty page (one request more), which stays correct if the API clips
// the page size to a maximum of its own.
const subuserPage = 100

// maxSubuserPages bounds the listing (100 000 subusers).
const maxSubuserPages = 1000

// subuserListing is what GET /v3/subusers gave: the subusers listed, and
// whether the listing is complete (Err says why not).
type subuserListing struct {
	Accounts []Account
	Complete bool
	Err      error
}

// listSubuserAccounts pages through GET /v3/subusers with include_region
// (a parent-level call: global host, no on-behalf-of). A page that fails
// ends the listing with what was listed so far; an API that ignores offset
// (the same names again) is detected rather than paged forever.
func listSubuserAccounts(ctx context.Context, c *Client) subuserListing {
	c = c.parentOnly()
	var out []Account
	seen := map[string]bool{}
	for p := 0; p < maxSubuserPages; p++ {
		var rows []struct {
			Username string `json:"username"`
			Disabled bool   `json:"disabled"`
			Region   string `json:"region"`
		}
		ep := fmt.Sprintf("/v3/subusers?limit=%d&offset=%d&include_region=true", subuserPage, p*subuserPage)
		if _, err := c.get(ctx, ep, &rows); err != nil {
			return subuserListing{Accounts: sortAccounts(out), Err: err}
		}
		if len(rows) == 0 {
			return subuserListing{Accounts: sortAccounts(out), Complete: true}
		}
		fresh := 0
		for _, r := range rows {
			if r.Username == "" || seen[r.Username] {
				continue
			}
			seen[r.Username] = true
			fresh++
			region := strings.ToLower(strings.TrimSpace(r.Region))
			if region != RegionEU {
				region = RegionGlobal
			}
			out = append(out, Account{Subuser: r.Username, Region: region, Disabled: r.Disabled})
		}
		if fresh == 0 {
			return subuserListing{Accounts: sortAccounts(out), Err: fmt.Errorf("GET /v3/subusers returned page %d again (offset ignored?)", p+1)}
		}
	}
	return subuserListing{Accounts: sortAccounts(out), Err: fmt.Errorf("more than %d subusers", maxSubuserPages*subuserPage)}
}

func sortAccounts(a []Account) []Account {
	sort.Slice(a, func(i, j int) bool { return a[i].Subuser < a[j].Subuser })
	return a
}

// location is where a key id lives, as far as the responder key can see.
type location struct {
	Found   bool
	Account Account
	Key     keyDetails
	// Subusers is how many subusers were listed; Searched how many accounts
	// answered (found or 404).
	Subusers int
	Searched int
	// NotSearched names the accounts whose answer could not be read, and
	// ListingErr why the subuser listing stopped early: either means a key
	// not found may still exist.
	NotSearched []string
	ListingErr  error
	// Errs are the errors of the accounts not searched, for a caller that
	// must fail when nothing could be searched at all.
	Errs []error
}

// complete reports a search that heard from every account.
func (l location) complete() bool { return l.Found || (l.ListingErr == nil && len(l.NotSearched) == 0) }

// notFoundText is the one sentence for a key id no account holds.
func (l location) notFoundText(id string) string {
	if l.complete() {
		return fmt.Sprintf("key id %s was not found in the parent or any of its %d subusers", id, l.Subusers)
	}
	return fmt.Sprintf("key id %s was not found in the %d account(s) searched; %s", id, l.Searched, l.gaps())
}

// gaps says which accounts were not searched.
func (l location) gaps() string {
	var parts []string
	if len(l.NotSearched) > 0 {
		parts = append(parts, "not searched: "+strings.Join(l.NotSearched, "; "))
	}
	if l.ListingErr != nil {
		parts = append(parts, fmt.Sprintf("the subuser listing stopped after %d subusers (%v), so any further subusers were not searched", l.Subusers, l.ListingErr))
	}
	return strings.Join(parts, "; ")
}

// searchConcurrency bounds the per-subuser reads of a search.
const searchConcurrency = 4

// locateKey finds the account holding key id: first the one named by hint
// (the --subuser shortcut, or the parent), then, on a 404, the parent and
// every subuser (GET /v3/api_keys/{id} on behalf of each, on its region's
// host, searchConcurrency at a time, pacing on the rate-limit headers).
// The error is returned only when nothing could be searched at all.
func locateKey(ctx context.Context, c *Client, id string, hint Account) (location, error) {
	var loc location
	first, err := c.forAccount(hint)
	if err != nil {
		return loc, err
	}
	k, err := getKey(ctx, first, id)
	switch st := statusOf(err); {
	case err == nil:
		return location{Found: true, Account: hint, Key: k, Searched: 1}, nil
	case st == 404:
		loc.Searched++
	default:
		loc.NotSearched = append(loc.NotSearched, fmt.Sprintf("%s (%s)", hint, shortErrText(err)))
		loc.Errs = append(loc.Errs, err)
	}
	listing := listSubuserAccounts(ctx, c)
	loc.Subusers, loc.ListingErr = len(listing.Accounts), listing.Err
	var todo []Account
	if hint.Subuser != "" {
		todo = append(todo, Account{Region: RegionGlobal})
	}
	for _, a := range listing.Accounts {
		if a.Subuser == hint.Subuser {
			continue
		}
		todo = append(todo, a)
	}
	if listing.Err != nil {
		loc.Errs = append(loc.Errs, listing.Err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan Account)
	)
	for range min(searchConcurrency, max(1, len(todo))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				ac, err := c.forAccount(a)
				var k keyDetails
				if err == nil {
					k, err = getKey(sctx, ac, id)
				}
				mu.Lock()
				switch st := statusOf(err); {
				case err == nil:
					if !loc.Found {
						loc.Found, loc.Account, loc.Key = true, a, k
						cancel()
					}
					loc.Searched++
				case st == 404:
					loc.Searched++
				case sctx.Err() != nil && ctx.Err() == nil:
					// cancelled because another account holds the key
				default:
					loc.NotSearched = append(loc.NotSearched, fmt.Sprintf("%s (%s)", a, shortErrText(err)))
					loc.Errs = append(loc.Errs, err)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, a := range todo {
		select {
		case next <- a:
		case <-sctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return loc, ctx.Err()
	}
	sort.Strings(loc.NotSearched)
	if loc.Found {
		loc.NotSearched, loc.ListingErr, loc.Errs = nil, nil, nil
		return loc, nil
	}
	if loc.Searched == 0 && len(loc.Errs) > 0 {
		return loc, loc.Errs[0]
	}
	return loc, nil
}

// shortErrText is an error's HTTP status when it has one, else its text.
func shortErrText(err error) string {
	if st := statusOf(err); st != 0 {
		return fmt.Sprintf("answered %d", st)
	}
	var uh *UnknownHostError
	if errors.As(err, &uh) {
		return err.Error()
	}
	return shortErr(err)
}

// --- liveness on the right host ---------------------------------------

// hostLiveness is the leaked key's liveness as asked on each host.
type hostLiveness struct {
	// By region: the answer of that host (Status unknown with Err when it
	// could not be asked).
	By  map[string]liveness
	Err map[string]error
}

// askLiveness asks GET /v3/scopes with the leaked key on each region's
// host, concurrently.
func askLiveness(ctx context.Context, env *actions.Env, key string, regions []string) hostLiveness {
	h := hostLiveness{By: map[string]liveness{}, Err: map[string]error{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := func() (liveness, error) {
				c, err := newLeakedClient(env, r, key)
				if err != nil {
					return liveness{Status: StatusUnknown}, err
				}
				return checkLiveness(ctx, c)
			}()
			mu.Lock()
			h.By[r], h.Err[r] = l, err
			mu.Unlock()
		}()
	}
	wg.Wait()
	return h
}

// bothRegions is where a key of an unknown account may live.
var bothRegions = []string{RegionGlobal, RegionEU}

// verdict combines the hosts' answers. A 401 is proof only from the host
// where the key lives: with owner known (region), only that host counts
// for "dead"; with the owner unknown, the key is live if any host accepts
// it and dead only if every host refuses it.
func (h hostLiveness) verdict(region string) liveness {
	if region != "" {
		if l, ok := h.By[normRegion(region)]; ok {
			return l
		}
		return liveness{Status: StatusUnknown}
	}
	dead := len(h.By) > 0
	var out liveness
	for _, r := range bothRegions {
		l, ok := h.By[r]
		if !ok {
			dead = false
			continue
		}
		if l.Status == StatusLive {
			return l
		}
		if l.Status != StatusDead {
			dead = false
		}
		if out.HTTP == 0 {
			out.HTTP = l.HTTP
		}
	}
	if dead {
		out.Status = StatusDead
		return out
	}
	out.Status = StatusUnknown
	return out
}

// acceptedAt is the region whose host accepted the key, by verdict's rule
// for region ("" when none did): where a live verdict was seen.
func (h hostLiveness) acceptedAt(region string) string {
	if region != "" {
		region = normRegion(region)
		if h.By[region].Status == StatusLive {
			return region
		}
		return ""
	}
	for _, r := range bothRegions {
		if h.By[r].Status == StatusLive {
			return r
		}
	}
	return ""
}

// apiURL is how a witness step's api_url output (actions.APIURLOutput)
// names region's host, "" for no region or a host not configured right:
// a confirm then counts the key seen accepted only at that host
// (actions.SeenAccepted).
func apiURL(env *actions.Env, region string) string {
	if region == "" {
		return ""
	}
	base, err := baseURL(env, region)
	if err != nil {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return actions.APIURL(u)
}

// describe says what each host answered, for notes and containment detail.
func (h hostLiveness) describe() string {
	var parts []string
	for _, r := range bothRegions {
		l, ok := h.By[r]
		if !ok {
			continue
		}
		switch {
		case h.Err[r] != nil:
			parts = append(parts, fmt.Sprintf("%s host: %s", r, shortErrText(h.Err[r])))
		case l.HTTP != 0:
			parts = append(parts, fmt.Sprintf("%s host: %s (%d)", r, l.Status, l.HTTP))
		default:
			parts = append(parts, fmt.Sprintf("%s host: %s", r, l.Status))
		}
	}
	return strings.Join(parts, "; ")
}

// --- the owner recorded in the journal ----------------------------------

// journalSteps returns the steps of this run so far, as the journal has
// them (nil outside a run).
func journalSteps(env *actions.Env) []report.Step {
	if env.Report == nil {
		return nil
	}
	rep, err := env.Report()
	if err != nil || rep == nil {
		return nil
	}
	return rep.Steps
}

// recordedOwner returns the owner of key id recorded by an earlier step of
// this run (locate or revoke outputs in the journal), so a revoke, a
// confirmation or a resume goes straight to the account that holds it.
func recordedOwner(env *actions.Env, id string) (Account, bool) {
	return ownerIn(journalSteps(env), env.Step, id)
}

func ownerIn(steps []report.Step, self, id string) (Account, bool) {
	var acct Account
	found := false
	for _, s := range steps {
		o := s.Outputs
		if o == nil || s.ID == self {
			continue
		}
		known, _ := o["owner_known"].(bool)
		kid, _ := o["key_id"].(string)
		if !known || kid != id {
			continue
		}
		sub, _ := o["owner"].(string)
		region, _ := o["owner_region"].(string)
		acct, found = Account{Subuser: sub, Region: normRegion(region)}, true
	}
	return acct, found
}

// outputsIn returns the outputs of the last step in steps (other than
// self) that ran action and is about key id.
func outputsIn(steps []report.Step, self, action, id string) map[string]any {
	var out map[string]any
	for _, s := range steps {
		if s.Action != action || s.Outputs == nil || s.ID == self {
			continue
		}
		if kid, _ := s.Outputs["key_id"].(string); kid == id {
			out = s.Outputs
		}
	}
	return out
}

func ownerOutputs(out actions.Outputs, id string, loc location, known bool) actions.Outputs {
	out["key_id"] = id
	out["owner_known"] = known
	out["owner"] = ""
	out["owner_region"] = ""
	if known {
		out["owner"] = loc.Account.Subuser
		out["owner_region"] = normRegion(loc.Account.Region)
	}
	ns := loc.NotSearched
	if loc.ListingErr != nil {
		ns = append(append([]string{}, ns...), fmt.Sprintf("subusers after the first %d (listing failed: %s)", loc.Subusers, shortErrText(loc.ListingErr)))
	}
	if ns == nil {
		ns = []string{}
	}
	out["subusers_searched"] = loc.Subusers
	out["not_searched"] = ns
	return out
}

// assessAccount is the account an assessment step looks at: the owner of
// key id recorded by an earlier step of this run, else the subuser named
// (the --subuser shortcut), else the parent.
func assessAccount(env *actions.Env, keyID, subuser, region string) Account {
	if keyID != "" {
		if a, ok := recordedOwner(env, keyID); ok {
			if region != "" && a.Subuser != "" && a.Subuser == strings.TrimSpace(subuser) {
				a.Region = region
			}
			return a
		}
	}
	return hintAccount(subuser, region)
}
