package ghtoken

import "context"
import "errors"
import "fmt"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// revokeTokenInfo declares github.revoke_token; provider.go registers it.
var revokeTokenInfo = actions.RevokeInfo("github.revoke_token",
	"Ask GitHub to revoke leaked tokens (POST /credentials/revoke, unauthenticated, batched; an installation token revokes itself)",
	func() actions.Action { return &Revoke{BatchSize: maxBatch} },
	[]actions.Output{
		{Name: "requested", Type: actions.TypeList, Description: "fingerprints of tokens GitHub accepted a revocation request for (202: not proof; the confirm step proves it)"},
		{Name: "revoked", Type: actions.TypeList, Description: "fingerprints of installation tokens that revoked themselves (DELETE /installation/token answered 204)"},
		{Name: "already_revoked", Type: actions.TypeList, Description: "fingerprints of installation tokens refused (401) when they asked to revoke themselves: refused there, not proof they were revoked (the confirm step settles it)"},
		actions.PlannedOutput,
		{Name: "failed", Type: actions.TypeList, Description: "fingerprints of tokens whose revocation was not requested, and why"},
		{Name: "not_revocable", Type: actions.TypeList, Description: "fingerprints of tokens this GitHub cannot revoke by API (an Enterprise Server takes only ghp_ and github_pat_)"},
		{Name: "requests", Type: actions.TypeInt, Description: "revocation requests sent"},
		actions.APIURLOutput,
	})

const (
	// maxBatch is the most tokens one POST /credentials/revoke takes.
	maxBatch = 1000
	// maxTokens keeps one step within the endpoint's hourly limit of 60
	// requests: more would need a second hour, which no step waits out.
	maxTokens = 60 * maxBatch
)

// Revoke asks GitHub to revoke leaked tokens.
type Revoke struct {
	Token     string   `param:"key,secret" desc:"the leaked token"`
	Tokens    []string `param:"keys,secret" desc:"more leaked tokens, revoked in batches"`
	BatchSize int      `param:"batch_size" default:"1000" desc:"tokens per revocation request (at most 1000)"`
}

// tokens are the distinct tokens to revoke, in order.
func (a *Revoke) tokens() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append([]string{a.Token}, a.Tokens...) {
		t = strings.TrimSpace(t)
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Validate refuses anything not a GitHub token with a valid checksum:
// nothing else is ever sent to the revocation endpoint.
func (a *Revoke) Validate() error {
	toks := a.tokens()
	if len(toks) == 0 {
		return &actions.ParamError{Msg: "give key or keys: the leaked token(s) to revoke"}
	}
	if len(toks) > maxTokens {
		return &actions.ParamError{Param: "keys", Msg: fmt.Sprintf("%d tokens: one step revokes at most %d (GitHub takes 60 requests of 1000 an hour)", len(toks), maxTokens)}
	}
	for i, t := range toks {
		if _, err := parseValid(t); err != nil {
			return &actions.ParamError{Param: "keys", Msg: fmt.Sprintf("token %d: %v", i+1, err)}
		}
	}
	if a.BatchSize < 0 || a.BatchSize > maxBatch {
		return &actions.ParamError{Param: "batch_size", Msg: fmt.Sprintf("want 1 to %d, got %d", maxBatch, a.BatchSize)}
	}
	return nil
}

// revocation is what happened to the step's tokens.
type revocation struct {
	requested, revoked, already, failed, notRevocable []string
	planned                                           bool
	requests                                          int
	errs                                              []error
}

// Run revokes: installation tokens each with itself, the rest in batches.
func (a *Revoke) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	toks := a.tokens()
	for _, t := range toks {
		if env.Redactor != nil {
			env.Redactor.Add(t)
		}
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	where, err := apiOf(env)
	if err != nil {
		return nil, err
	}
	p := newPacer()
	var r revocation
	var batch []string
	for _, s := range toks {
		t, _ := ParseToken(s)
		switch {
		case t.installation():
			r.selfRevoke(ctx, env, where, p, s, t)
		case where.enterprise && t.Kind != ClassicPAT && t.Kind != FineGrainedPAT:
			r.notRevocable = append(r.notRevocable, t.Fingerprint)
			env.Finding(report.Finding{
				Kind: "token.not_revocable", Subject: t.Fingerprint, Severity: report.High,
				Title:  fmt.Sprintf("%s cannot revoke a %s by API", where, t.Kind.Human),
				Detail: "An Enterprise Server's POST /credentials/revoke accepts only personal access tokens (ghp_, github_pat_). Revoke it by hand (" + t.Kind.Revoke + "), or, if it was issued by github.com, run against github.com (unset GITHUB_API_URL).",
			})
			r.errs = append(r.errs, fmt.Errorf("%s: not revocable by API at %s", t.Fingerprint, where))
		default:
			batch = append(batch, s)
		}
	}
	size := a.BatchSize
	if size == 0 {
		size = maxBatch
	}
	if len(batch) > 0 {
		r.batches(ctx, env, where, p, batch, size)
	}
	switch {
	case r.planned:
		note(env, fmt.Sprintf("DRY RUN: revocation of %s planned, none sent", report.Count(len(toks)-len(r.failed)-len(r.notRevocable), "token", "tokens")))
	case len(r.requested) > 0:
		note(env, fmt.Sprintf("revocation requested for %s at %s (202 Accepted: GitHub gives no per-token result and emails each token's owner; the confirm step proves it)", report.Count(len(r.requested), "token", "tokens"), where))
	}
	out := actions.Outputs{
		"requested": nonNil(r.requested), "revoked": nonNil(r.revoked), "already_revoked": nonNil(r.already),
		"planned": r.planned, "failed": nonNil(r.failed), "not_revocable": nonNil(r.notRevocable), "requests": r.requests,
		"api_url": where.apiURL(),
	}
	if len(r.errs) > 0 {
		return out, fmt.Errorf("%d of %d token(s) not revoked: %w", len(r.failed)+len(r.notRevocable), len(toks), errors.Join(r.errs...))
	}
	return out, nil
}

// batches sends the unauthenticated revocation requests (authenticated by
// the responder on an Enterprise Server, which requires it). A request the
// limit refuses is not retried, and the batches after it are not sent.
func (r *revocation) batches(ctx context.Context, env *actions.Env, where api, p *pacer, toks []string, size int) {
	c := where.client(env, p, "")
	if where.enterprise {
		rc, err := where.responder(env, p)
		if err != nil {
			r.fail(toks, fmt.Errorf("%s requires authentication for POST /credentials/revoke: %w", where, err))
			return
		}
		c = rc
	}
	for i := 0; i < len(toks); i += size {
		part := toks[i:min(i+size, len(toks))]
		if len(toks) > size {
			progress(env, fmt.Sprintf("revocation request %d of %d (%d tokens)", i/size+1, (len(toks)+size-1)/size, len(part)))
		}
		resp, err := c.Credentials.Revoke(ctx, part)
		st := statusOf(resp, err)
		switch {
		case isDryRun(err):
			r.planned = true
			continue
		case st == 202 || (err == nil && st/100 == 2) || accepted(err):
			r.requests++
			for _, s := range part {
				r.requested = append(r.requested, fingerprintOf(s))
			}
			continue
		}
		var rl *RateLimitedError
		if st != 0 {
			r.requests++
		}
		switch {
		case errors.As(err, &rl):
		case st == 403 || st == 429:
			err = fmt.Errorf("%w; the revocation endpoint takes 60 requests an hour and keyir does not retry it", callErr("POST /credentials/revoke", resp, err))
		case st == 422:
			err = fmt.Errorf("%w (GitHub: validation failed, or the endpoint has been spammed); not retried", callErr("POST /credentials/revoke", resp, err))
		default:
			err = callErr("POST /credentials/revoke", resp, err)
		}
		// What was not sent after a refusal is not sent: the limit is the
		// same for the next batch.
		r.fail(toks[i:], err)
		return
	}
}

// selfRevoke is DELETE /installation/token with the installation token.
func (r *revocation) selfRevoke(ctx context.Context, env *actions.Env, where api, p *pacer, s string, t Token) {
	resp, err := where.client(env, p, s).Apps.RevokeInstallationToken(ctx)
	switch st := statusOf(resp, err); {
	case isDryRun(err):
		r.planned = true
	case st == 204 || (err == nil && st/100 == 2):
		r.revoked = append(r.revoked, t.Fingerprint)
	case st == 401:
		r.already = append(r.already, t.Fingerprint)
		env.Finding(report.Finding{
			Kind: actions.KindRefusedBeforeRevoke, Subject: t.Fingerprint, Severity: report.Info,
			Title:  fmt.Sprintf("The installation token was refused at %s before keyir revoked it", where),
			Detail: fmt.Sprintf("DELETE /installation/token with the token answered 401 at %s (installation tokens live an hour at most). %s", where, refusedMeans(where)),
		})
	case st == 403 || st == 404:
		r.fail([]string{s}, fmt.Errorf("%w: the token could not revoke itself (it lacks the installation's rights, or belongs to another GitHub); suspend the installation (%s) or wait for its expiry, at most an hour after it was issued", callErr("DELETE /installation/token", resp, err), t.Kind.Revoke))
	default:
		r.fail([]string{s}, callErr("DELETE /installation/token", resp, err))
	}
}

func (r *revocation) fail(toks []string, err error) {
	for _, s := range toks {
		r.failed = append(r.failed, fingerprintOf(s))
	}
	r.errs = append(r.errs, err)
}

func fingerprintOf(s string) string {
	t, _ := ParseToken(s)
	return t.Fingerprint
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

var (
	_ actions.Action    = (*Revoke)(nil)
	_ actions.Validator = (*Revoke)(nil)
)
