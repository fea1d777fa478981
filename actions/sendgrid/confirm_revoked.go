package sendgrid

import "context"
import "errors"
import "fmt"
import "slices"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// confirmRevokedInfo declares sendgrid.confirm_revoked; provider.go registers it.
var confirmRevokedInfo = actions.ConfirmOf[Confirm]("sendgrid.confirm_revoked",
	"Prove the leaked key is dead: poll GET /v3/scopes with it until 401 (bounded)", actions.ConfirmPoll)

// witnesses are the steps that see SendGrid accept the leaked key itself
// (actions.SeenAccepted): GET /v3/scopes with the key answered as live, by
// the locate step or the liveness check, at the host in their api_url.
var witnesses = []actions.Witness{
	{Action: locateKeyInfo.Name, Output: "status", Is: StatusLive},
	{Action: keyLivenessInfo.Name, Output: "status", Is: StatusLive},
}

// heldAt is the revoke, a witness by the key's id: its DELETE is answered
// to the responder's key, so it does not say the key as given
// authenticates, but its 204 says SendGrid at its api_url held that id, and
// so a 401 for the key there is the key's own. At any other API it proves
// nothing, as a liveness witness's does not.
var heldAt = []actions.Witness{{Action: revokeKeyInfo.Name, Output: "key_id", Names: true}}

// Confirm polls until the leaked key is refused.
type Confirm struct {
	Key     string `param:"key,secret" desc:"the leaked key (the only strong proof: it gets 401)"`
	KeyID   string `param:"key_id" desc:"the key id, used when the key itself is not known"`
	Subuser string `param:"subuser" desc:"subuser that held the key, when no earlier step of the run recorded the owner"`
	actions.Poll
	Region string `param:"region" desc:"override of the owning account's region (global or eu)"`
}

// Validate checks what identifies the key, and the bounds.
func (a *Confirm) Validate() error {
	if _, err := ParseKey(a.Key, a.KeyID); err != nil {
		return err
	}
	if err := a.CheckPoll(); err != nil {
		return err
	}
	return checkRegion(a.Region)
}

// Run polls until the proof or the timeout. With the key's secret the
// proof is the key's own 401 from the host of the account that held it
// (from every host while that account is unknown): containment
// "confirmed". With the id only there is no proof: once the id is gone
// from the account that held it the status is "revoked_unproven", never
// "confirmed"; an id no account holds is "not_found".
func (a *Confirm) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ki, err := ParseKey(a.Key, a.KeyID)
	if err != nil {
		return nil, err
	}
	now := env.Clock()
	steps := journalSteps(env) // read once: the journal is replayed from disk
	owner, known := ownerIn(steps, env.Step, ki.ID)
	if !known && a.Subuser != "" {
		owner, known = hintAccount(a.Subuser, a.Region), true
	} else if known && a.Region != "" && owner.Subuser == a.Subuser {
		owner.Region = a.Region
	}
	rev := outputsIn(steps, env.Step, "sendgrid.revoke_key", ki.ID)
	missing := listHas(rev["not_found"], ki.ID)
	searched := intOf(rev["subusers_searched"])
	where, ownerRegion := "the account that held it", ""
	if known {
		where, ownerRegion = owner.String(), normRegion(owner.Region)
	}

	// The key as given was refused (401) before anything was revoked, yet an
	// account held its id: that 401 is not the key's own refusal (the secret
	// given is not the one SendGrid holds: mistyped or cut), so a 401 after
	// the revoke proves nothing either; the id's 404 is all there is.
	loc := outputsIn(steps, env.Step, "sendgrid.locate_key", ki.ID)
	notItsSecret := ki.HasSecret && loc["status"] == StatusDead && loc["found"] == true
	var (
		probe  func(context.Context) (dead bool, what string, err error)
		proof  string
		strong = ki.HasSecret && !notItsSecret
		// seen: this run saw SendGrid accept the key, or delete its id, at
		// a host this step asks; elsewhere: only at another API
		// (actions.SeenAccepted).
		seen                 bool
		elsewhere, saw, here string
	)
	if strong {
		key := strings.TrimSpace(a.Key)
		if env.Redactor != nil {
			env.Redactor.Add(key)
		}
		regions, region := bothRegions, ""
		proof = "the leaked key itself answered 401 on GET /v3/scopes from every host (the account that held it is unknown)"
		if known {
			region = normRegion(owner.Region)
			regions = []string{region}
			proof = fmt.Sprintf("the leaked key itself answered 401 on GET /v3/scopes from the %s host, where %s lives", region, owner)
		}
		seen, elsewhere, saw, here = seenAccepted(env, ki, regions)
		probe = func(ctx context.Context) (bool, string, error) {
			h := askLiveness(ctx, env, key, regions)
			l := h.verdict(region)
			if l.Status == StatusLive {
				seen = true // accepted here, in this step's own poll
			}
			for _, r := range regions {
				// A host that is not configured stays so: polling on
				// would only wait out the timeout.
				var uh *UnknownHostError
				if l.Status != StatusDead && errors.As(h.Err[r], &uh) {
					return false, h.describe(), h.Err[r]
				}
			}
			if l.Status == StatusUnknown && len(regions) == 1 && h.Err[regions[0]] != nil {
				return false, "", h.Err[regions[0]]
			}
			return l.Status == StatusDead, h.describe(), nil
		}
	} else {
		if missing {
			detail := fmt.Sprintf("key id %s was not found in the parent or any of its %d subusers: nothing was revoked, and without the key's secret keyir cannot tell whether it still authenticates (it may belong to an account this responder key cannot see)", ki.ID, searched)
			if env.DryRun() {
				detail = "DRY RUN: " + detail
			}
			env.Recorder.Containment(report.Containment{Status: report.ContainmentNotFound, At: now(), Detail: detail})
			return actions.Outputs{"confirmed": false, "polls": 0, "time_to_containment_ms": 0}, errors.New("containment not possible: " + detail)
		}
		c, err := newClient(env, RegionGlobal, "")
		if err != nil {
			return nil, err
		}
		proof = fmt.Sprintf("key id %s was deleted from %s (GET /v3/api_keys/%s now answers 404 there). Without the key's secret keyir cannot prove the key no longer authenticates: test it by hand (GET /v3/scopes with the key must answer 401)", ki.ID, where, ki.ID)
		if notItsSecret {
			proof = fmt.Sprintf("the key given answered 401 before it was revoked while %s still held key id %s, so its secret is not the one SendGrid holds (mistyped or cut?) and its 401 proves nothing; %s", where, ki.ID, proof)
		}
		probe = func(ctx context.Context) (bool, string, error) {
			if !known {
				loc, err := locateKey(ctx, c, ki.ID, Account{Region: RegionGlobal})
				switch {
				case err != nil:
					return false, "", err
				case loc.Found:
					return false, "key still exists in " + loc.Account.String(), nil
				case loc.complete():
					return true, "404 in every account", nil
				}
				return false, loc.gaps(), nil
			}
			ac, err := c.forAccount(owner)
			if err != nil {
				return false, "", err
			}
			_, err = getKey(ctx, ac, ki.ID)
			switch st := statusOf(err); {
			case st == 404:
				return true, "404", nil
			case err == nil:
				return false, "key still exists (200)", nil
			case st != 0:
				return false, fmt.Sprintf("%d", st), nil
			default:
				return false, "", err
			}
		}
	}

	if env.DryRun() {
		polls := 0
		state := "not checked"
		if strong {
			polls = 1
			if dead, what, err := probe(ctx); err == nil {
				state = what
				if dead {
					state = "already refused: " + what
				}
			}
		}
		env.Recorder.Containment(report.Containment{
			Status: report.ContainmentPlanned, At: now(),
			Detail: "DRY RUN: revocation planned, not performed; the key is " + state,
		})
		return actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}, nil
	}

	last := ""
	var lastErr, unproven error
	var settled actions.Outputs
	polls := a.Until(ctx, func(polls int) bool {
		dead, what, err := probe(ctx)
		if ctx.Err() != nil {
			return true
		}
		if err != nil {
			lastErr, last = err, "error"
			if what != "" {
				last = what
			}
			var uh *UnknownHostError
			if errors.As(err, &uh) {
				return true
			}
		} else {
			last = what
		}
		if dead && strong && !seen && elsewhere != "" {
			// Waiting will not change this answer; "confirmed" on it would
			// claim the key dead where it lives, which is elsewhere.
			detail := fmt.Sprintf("%s refuses the leaked key (401 on GET /v3/scopes), but this run %s at %s, another API, and never here: the refusal here says nothing about the key there, so keyir did not see its own revocation take effect. Set %s to %s and resume the run to prove it",
				here, saw, elsewhere, envFor(ownerRegion), elsewhere)
			env.Recorder.Containment(report.Containment{Status: report.ContainmentNotConfirmed, At: now(), Detail: detail})
			note(env, "containment not confirmed: "+detail)
			settled = actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}
			unproven = errors.New("containment not confirmed: " + detail)
			return true
		}
		if dead && strong {
			at := now()
			ttc := at.Sub(env.RunStarted)
			if env.RunStarted.IsZero() {
				ttc = 0
			}
			detail := fmt.Sprintf("%s after %s", proof, report.Count(polls, "poll", "polls"))
			if missing {
				detail = fmt.Sprintf("no account holds key id %s (already deleted), and %s after %s", ki.ID, proof, report.Count(polls, "poll", "polls"))
			}
			env.Recorder.Containment(report.Containment{
				Status: report.ContainmentConfirmed, TimeToContainment: ttc, At: at, Detail: detail,
			})
			note(env, "containment confirmed: "+detail)
			settled = actions.Outputs{"confirmed": true, "polls": polls, "time_to_containment_ms": report.DurationMS(ttc)}
			return true
		}
		if dead {
			// The id is gone; the key's secret was not available to prove
			// anything more. No time to containment: nothing was proven.
			env.Recorder.Containment(report.Containment{Status: report.ContainmentRevokedUnproven, At: now(), Detail: proof + "."})
			note(env, "revoked, not proven: "+proof)
			settled = actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}
			return true
		}
		return false
	}, func(polls int, wait time.Duration) {
		if env.Recorder != nil {
			env.Recorder.Progress(fmt.Sprintf("key still %s after poll %d; next check in %s (revocation takes a few minutes to propagate)", last, polls, report.FormatDuration(wait)))
		}
	})
	if settled != nil {
		return settled, unproven
	}
	detail := fmt.Sprintf("the key was not proven dead after %s over %s; last answer: %s", report.Count(polls, "poll", "polls"), a.Timeout, last)
	if ctx.Err() != nil {
		detail = fmt.Sprintf("interrupted after %s; last answer: %s", report.Count(polls, "poll", "polls"), last)
	}
	status := report.ContainmentNotConfirmed
	if missing {
		// Nothing to revoke, and the key still authenticates: it belongs to
		// an account this responder key cannot see.
		status = report.ContainmentNotFound
		detail = fmt.Sprintf("key id %s was not found in the parent or any of its %d subusers, yet the key was not proven dead (%s): it may belong to an account this responder key cannot see", ki.ID, searched, detail)
	}
	env.Recorder.Containment(report.Containment{Status: status, At: now(), Detail: detail})
	err = errors.New("containment not confirmed: " + detail)
	if lastErr != nil {
		err = fmt.Errorf("%w (last error: %v)", err, lastErr)
	}
	return actions.Outputs{"confirmed": false, "polls": polls, "time_to_containment_ms": 0}, err
}

// seenAccepted applies actions.SeenAccepted at each host of regions (both
// while the owner is unknown), for the key's fingerprint (witnesses) and
// its id (heldAt): seen when a witness accepted the key, or the revoke
// deleted its id, at one of them; else elsewhere, the API of a witness at
// another (saw, what the run saw there), and here, the host(s) this step
// asks, for the detail.
func seenAccepted(env *actions.Env, ki KeyInfo, regions []string) (seen bool, elsewhere, saw, here string) {
	var asked []string
	for _, r := range regions {
		api := apiURL(env, r)
		if api == "" {
			continue // not configured: this step fails on it itself
		}
		asked = append(asked, api)
		for _, by := range []struct {
			cred, saw string
			ws        []actions.Witness
		}{{ki.Fingerprint, "saw the key accepted", witnesses}, {ki.ID, "deleted the key's id " + ki.ID, heldAt}} {
			s, e := actions.SeenAccepted(env, by.cred, api, by.ws)
			seen = seen || s
			if elsewhere == "" && e != "" {
				elsewhere, saw = e, by.saw
			}
		}
	}
	return seen, elsewhere, saw, strings.Join(asked, " and ")
}

// envFor names the variable that sets region's host ("" = the owner is
// unknown: either).
func envFor(region string) string {
	switch region {
	case RegionEU:
		return EnvAPIURLEU
	case RegionGlobal:
		return EnvAPIURL
	}
	return EnvAPIURL + " (" + EnvAPIURLEU + " for an EU account)"
}

func listHas(v any, id string) bool {
	switch l := v.(type) {
	case []string:
		return slices.Contains(l, id)
	case []any:
		for _, x := range l {
			if s, _ := x.(string); s == id {
				return true
			}
		}
	}
	return false
}

func intOf(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}

// OnlyReads (actions.Reader): GETs only (the leaked key's own liveness,
// or the key id's 404), so the runner need not wait for the journal's
// commit before it.
func (a *Confirm) OnlyReads() bool { return true }

var (
	_ actions.Action    = (*Confirm)(nil)
	_ actions.Reader    = (*Confirm)(nil)
	_ actions.Validator = (*Confirm)(nil)
)
