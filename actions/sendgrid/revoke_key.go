package sendgrid

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/report"
	"github.com/sendgrid/rest"
)

func init() {
	actions.Register(actions.Info{
		Name:     "sendgrid.revoke_key",
		Summary:  "Revoke exactly the leaked key(s) by id (DELETE /v3/api_keys/{id}); idempotent",
		Mutates:  true,
		Contains: true,
		Outputs: []actions.Output{
			{Name: "revoked", Type: actions.TypeList, Description: "ids deleted by this run"},
			{Name: "already_revoked", Type: actions.TypeList, Description: "ids that no longer existed (404)"},
			{Name: "planned", Type: actions.TypeBool, Description: "dry run: the deletes were refused and recorded as planned"},
			{Name: "failed", Type: actions.TypeList, Description: "ids that could not be revoked"},
		},
		New: func() actions.Action { return &Revoke{Concurrency: 4} },
	})
}

// Revoke deletes keys by their exact ids. It never lists keys and picks
// one: the id comes from the leaked key itself.
type Revoke struct {
	KeyID       string   `param:"key_id" desc:"the id of the key to revoke"`
	KeyIDs      []string `param:"key_ids" desc:"several key ids to revoke"`
	Subuser     string   `param:"subuser" desc:"subuser that owns the key(s) (on-behalf-of)"`
	Concurrency int      `param:"concurrency" default:"4" desc:"parallel deletes for a list of ids"`
	Region      string   `param:"region" default:"global" desc:"global or eu"`
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

// revokeOne deletes one key by its exact id.
func revokeOne(ctx context.Context, c *Client, id string) (revokeOutcome, error) {
	if !keyIDRE.MatchString(id) { // defence in depth: Validate already checked
		return outFailed, fmt.Errorf("refusing to revoke: not a key id")
	}
	_, err := c.call(ctx, rest.Delete, "/v3/api_keys/"+escape(id), nil, nil)
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

// Run revokes the keys, concurrently but bounded.
func (a *Revoke) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	c, err := newClient(env, a.Region, a.Subuser)
	if err != nil {
		return nil, err
	}
	ids := a.ids()
	workers := max(1, min(a.Concurrency, len(ids)))
	if a.Concurrency == 0 {
		workers = min(4, len(ids))
	}
	type result struct {
		id  string
		out revokeOutcome
		err error
	}
	results := make([]result, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out, err := revokeOne(ctx, c, ids[i])
				results[i] = result{ids[i], out, err}
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
				results[j] = result{ids[j], outFailed, ctx.Err()}
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

	revoked, already, failed := []string{}, []string{}, []string{}
	planned := false
	var errs []error
	for _, r := range results {
		switch r.out {
		case outRevoked:
			revoked = append(revoked, r.id)
		case outAlready:
			already = append(already, r.id)
			env.Finding(report.Finding{
				Kind: "key.already_revoked", Subject: r.id, Severity: report.Info,
				Title:  "Key was already revoked",
				Detail: "DELETE /v3/api_keys/" + r.id + " answered 404: the key no longer exists" + subuserNote(a.Subuser) + " (SendGrid auto-revokes keys found on public GitHub).",
			})
		case outPlanned:
			planned = true
		case outFailed:
			failed = append(failed, r.id)
			errs = append(errs, fmt.Errorf("revoke %s: %w", r.id, r.err))
		}
	}
	sort.Strings(failed)
	switch {
	case planned:
		note(env, fmt.Sprintf("DRY RUN: %d key deletion(s) planned, none sent", len(ids)-len(failed)-len(already)-len(revoked)))
	case len(revoked) > 0:
		note(env, fmt.Sprintf("revoked %d key(s): %s", len(revoked), strings.Join(revoked, ", ")))
	}
	out := actions.Outputs{"revoked": revoked, "already_revoked": already, "planned": planned, "failed": failed}
	if len(errs) > 0 {
		return out, fmt.Errorf("%d of %d key(s) could not be revoked: %w", len(failed), len(ids), errors.Join(errs...))
	}
	return out, nil
}

var (
	_ actions.Action    = (*Revoke)(nil)
	_ actions.Validator = (*Revoke)(nil)
)
