package sendgrid

import "context"
import "errors"
import "fmt"
import "sort"
import "strings"
import "sync"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"
import "github.com/sendgrid/rest"

// revokeKeyInfo declares sendgrid.revoke_key; provider.go registers it.
var revokeKeyInfo = actions.RevokeInfo("sendgrid.revoke_key",
	"Revoke exactly the leaked key(s) by id (DELETE /v3/api_keys/{id}); idempotent",
	func() actions.Action { return &Revoke{Concurrency: 4} },
	actions.OutputList([]actions.Output{
		{Name: "revoked", Type: actions.TypeList, Description: "ids deleted by this run"},
		{Name: "already_revoked", Type: actions.TypeList, Description: "ids that no longer existed (404)"},
		actions.PlannedOutput,
		{Name: "failed", Type: actions.TypeList, Description: "ids that could not be revoked"},
		{Name: "not_found", Type: actions.TypeList, Description: "ids no account holds (the parent and every subuser were searched)"},
		actions.APIURLOutput,
	}, ownerOutputList))

// Revoke deletes keys by their exact ids. It never lists keys and picks
// one: the id comes from the leaked key itself.
type Revoke struct {
	KeyID       string   `param:"key_id" desc:"the id of the key to revoke"`
	KeyIDs      []string `param:"key_ids" desc:"several key ids to revoke"`
	Subuser     string   `param:"subuser" desc:"subuser to try first (a shortcut: on a 404 every account is searched)"`
	Concurrency int      `param:"concurrency" default:"4" desc:"parallel deletes for a list of ids"`
	Region      string   `param:"region" desc:"override of the owning account's region (global or eu)"`
}

// ids returns the distinct ids to revoke, in order.
func (a *Revoke) ids() []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append([]string{a.KeyID}, a.KeyIDs...) {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

// Validate checks every id against the key id pattern, so nothing else can
// ever reach a URL path.
func (a *Revoke) Validate() error {
	ids := a.ids()
	if len(ids) == 0 {
		return &actions.ParamError{Msg: "give key_id or key_ids: the exact id(s) of the key(s) to revoke"}
	}
	if strings.TrimSpace(a.KeyID) != "" {
		if err := checkKeyID("key_id", strings.TrimSpace(a.KeyID)); err != nil {
			return err
		}
	}
	for i, id := range a.KeyIDs {
		if err := checkKeyID("key_ids", strings.TrimSpace(id)); err != nil {
			var pe *actions.ParamError
			if errors.As(err, &pe) {
				pe.Msg = fmt.Sprintf("item %d: %s", i+1, pe.Msg)
			}
			return err
		}
	}
	if a.Concurrency < 0 || a.Concurrency > 64 {
		return &actions.ParamError{Param: "concurrency", Msg: fmt.Sprintf("want 1 to 64, got %d", a.Concurrency)}
	}
	return checkRegion(a.Region)
}

// revokeOutcome of one id.
type revokeOutcome int

const (
	outRevoked revokeOutcome = iota
	outAlready
	outPlanned
	outFailed
)

// revokeResult is what happened to one id, and where.
type revokeResult struct {
	id      string
	out     revokeOutcome
	err     error
	loc     location // the search, when one was made
	owner   Account
	known   bool // owner is the account that held (or holds) the id
	missing bool // no account holds the id (a complete search)
}

// deleteIn deletes one key by its exact id in one account.
func deleteIn(ctx context.Context, c *Client, acct Account, id string) (revokeOutcome, error) {
	if !keyIDRE.MatchString(id) { // defence in depth: Validate already checked
		return outFailed, fmt.Errorf("refusing to revoke: not a key id")
	}
	ac, err := c.forAccount(acct)
	if err != nil {
		return outFailed, err
	}
	_, err = ac.call(ctx, rest.Delete, "/v3/api_keys/"+escape(id), nil, nil)
	switch {
	case err == nil:
		return outRevoked, nil
	case isDryRun(err):
		return outPlanned, nil
	case statusOf(err) == 404:
		return outAlready, nil
	}
	return outFailed, err
}

// revokeOne deletes id in the account that holds it. The owner recorded by
// an earlier step (or attempt) of this run is trusted: a 404 there means
// the key is gone. Otherwise the DELETE goes to the account named by hint
// and, on a 404, every account is searched before anything is concluded: a
// subuser's key answers 404 to the parent.
func revokeOne(ctx context.Context, env *actions.Env, c *Client, id string, hint Account) revokeResult {
	r := revokeResult{id: id}
	if acct, ok := recordedOwner(env, id); ok {
		r.owner, r.known = acct, true
		r.out, r.err = deleteIn(ctx, c, acct, id)
		return r
	}
	r.out, r.err = deleteIn(ctx, c, hint, id)
	if r.out != outAlready {
		r.owner, r.known = hint, r.out == outRevoked || r.out == outPlanned
		return r
	}
	loc, err := locateKey(ctx, c, id, hint)
	r.loc = loc
	switch {
	case err != nil:
		r.out, r.err = outFailed, fmt.Errorf("the DELETE answered 404 as %s, and the other accounts could not be searched: %w", hint, err)
	case loc.Found:
		r.owner, r.known = loc.Account, true
		note(env, fmt.Sprintf("key %s is held by %s: revoking it there", id, loc.Account))
		r.out, r.err = deleteIn(ctx, c, loc.Account, id)
	case loc.complete():
		r.missing = true
	default:
		r.out, r.err = outFailed, fmt.Errorf("%s: the key cannot be revoked until they are", loc.notFoundText(id))
	}
	return r
}

// Run revokes the keys, concurrently but bounded.
func (a *Revoke) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	hint := hintAccount(a.Subuser, a.Region)
	ids := a.ids()
	workers := max(1, min(a.Concurrency, len(ids)))
	if a.Concurrency == 0 {
		workers = min(4, len(ids))
	}
	results := make([]revokeResult, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = revokeOne(ctx, env, c, ids[i], hint)
			}
		}()
	}
	done := 0
feed:
	for i := range ids {
		select {
		case next <- i:
		case <-ctx.Done():
			for j := i; j < len(ids); j++ {
				results[j] = revokeResult{id: ids[j], out: outFailed, err: ctx.Err()}
			}
			break feed
		}
		done++
		if len(ids) > 1 && done%50 == 0 {
			c.progress(fmt.Sprintf("revoking: %d of %d keys sent", done, len(ids)))
		}
	}
	close(next)
	wg.Wait()

	revoked, already, failed, missing := []string{}, []string{}, []string{}, []string{}
	planned := false
	var errs []error
	for _, r := range results {
		switch {
		case r.missing:
			missing = append(missing, r.id)
			already = append(already, r.id)
			env.Finding(report.Finding{
				Kind: "key.already_revoked", Subject: r.id, Severity: report.Info,
				Title:  "No account holds the key: nothing left to revoke",
				Detail: firstUpper(r.loc.notFoundText(r.id)) + ". It was probably deleted already (SendGrid auto-revokes keys found on public GitHub); whether it still authenticates is settled by the confirm step, with the key itself when it is known.",
			})
		case r.out == outRevoked:
			revoked = append(revoked, r.id)
		case r.out == outAlready:
			already = append(already, r.id)
			env.Finding(report.Finding{
				Kind: "key.already_revoked", Subject: r.id, Severity: report.Info,
				Title:  "Key was already revoked",
				Detail: "DELETE /v3/api_keys/" + r.id + " answered 404 in " + r.owner.String() + ", the account this run found holding it: the key no longer exists there.",
			})
		case r.out == outPlanned:
			planned = true
		default:
			failed = append(failed, r.id)
			errs = append(errs, fmt.Errorf("revoke %s: %w", r.id, r.err))
		}
	}
	sort.Strings(failed)
	switch {
	case planned:
		note(env, fmt.Sprintf("DRY RUN: %d key deletion(s) planned, none sent", len(ids)-len(failed)-len(already)-len(revoked)))
	case len(revoked) > 1:
		// One key's revocation is the step's own outcome (outputs, and the
		// confirm step's proof); a note would only cost a journal fsync on
		// the way to the proof.
		note(env, fmt.Sprintf("revoked %d key(s): %s", len(revoked), strings.Join(revoked, ", ")))
	}
	out := actions.Outputs{"revoked": revoked, "already_revoked": already, "planned": planned, "failed": failed, "not_found": missing}
	// The owner of the first id (the leaked key) goes into the journal, so a
	// resume's confirmation goes straight to the account that held it.
	first := results[0]
	loc := first.loc
	loc.Account = first.owner
	ownerOutputs(out, first.id, loc, first.known)
	if first.out == outRevoked {
		// The host of the account whose DELETE answered 204: SendGrid there
		// held the leaked key's id, so the confirm counts a 401 for the key
		// there, and only there, as its own (witnesses, confirm_revoked.go).
		out[actions.APIURLOutput.Name] = apiURL(env, normRegion(first.owner.Region))
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%d of %d key(s) could not be revoked: %w", len(failed), len(ids), errors.Join(errs...))
	}
	return out, nil
}

var (
	_ actions.Action    = (*Revoke)(nil)
	_ actions.Validator = (*Revoke)(nil)
)
