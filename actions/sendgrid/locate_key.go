package sendgrid

import "context"
import "fmt"
import "strings"
import "sync"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// locateKeyInfo declares sendgrid.locate_key; provider.go registers it.
var locateKeyInfo = actions.Info{
	Name:    "sendgrid.locate_key",
	Summary: "Find the leaked key before revoking it: which account holds it (the parent, else every subuser), its name and scopes, and whether it still authenticates on the host where it lives; all reads, concurrently",
	Outputs: actions.OutputList([]actions.Output{
		{Name: "status", Type: actions.TypeString, Description: "live, dead or unknown (unknown without the key's secret)"},
		{Name: "liveness", Type: actions.TypeString, Description: "what each host answered to the leaked key"},
		actions.APIURLOutput,
	}, snapshotOutputs),
	New: func() actions.Action { return new(Locate) },
}

// Locate runs the two reads that must precede a revoke at the same time,
// so the DELETE goes out after one round trip: the leaked key's liveness
// (GET /v3/scopes with the key, on both hosts while the owner is unknown)
// and the owner's GET /v3/api_keys/{id} (the parent, or the subuser named
// as a shortcut; on a 404 every subuser is searched).
type Locate struct {
	Key     string `param:"key,secret" desc:"the leaked key; without it liveness is unknown"`
	KeyID   string `param:"key_id,required" desc:"the leaked key's id"`
	Subuser string `param:"subuser" desc:"look in this subuser first (a shortcut: every account is searched when it does not hold the key)"`
	Region  string `param:"region" desc:"override of the owning account's region (global or eu); default: the parent is global, a subuser's region comes from the subuser listing"`
}

// Validate checks the key, id and region.
func (a *Locate) Validate() error {
	if err := checkKeyID("key_id", a.KeyID); err != nil {
		return err
	}
	if strings.TrimSpace(a.Key) != "" {
		if _, err := ParseKey(a.Key, a.KeyID); err != nil {
			return err
		}
	}
	return checkRegion(a.Region)
}

// hint is the account to look in first.
func hintAccount(subuser, region string) Account {
	a := Account{Subuser: strings.TrimSpace(subuser), Region: RegionGlobal}
	if a.Subuser != "" && region != "" {
		a.Region = region
	}
	return a
}

// applyOverride makes --region the owning account's region: a subuser
// found by the search keeps its listed region unless the operator said
// otherwise for it (the shortcut account), and the parent is global.
func applyOverride(loc *location, subuser, region string) {
	if !loc.Found || region == "" {
		return
	}
	if loc.Account.Subuser == strings.TrimSpace(subuser) && loc.Account.Subuser != "" {
		loc.Account.Region = region
	}
}

// Run reads concurrently, then records the owner, the blast radius and
// the state of the key.
func (a *Locate) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	key := strings.TrimSpace(a.Key)
	if key != "" && env.Redactor != nil {
		env.Redactor.Add(key)
	}
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	var (
		wg   sync.WaitGroup
		live hostLiveness
		loc  location
		lerr error
	)
	if key != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			regions := bothRegions
			if a.Region != "" && a.Subuser != "" {
				regions = []string{a.Region}
			}
			live = askLiveness(ctx, env, key, regions)
		}()
	}
	loc, lerr = locateKey(ctx, c, a.KeyID, hintAccount(a.Subuser, a.Region))
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	applyOverride(&loc, a.Subuser, a.Region)

	out := actions.Outputs{"status": StatusUnknown, "liveness": "", "api_url": "", "found": loc.Found,
		"name": "", "scopes": []string{}, "key_type": "", "categories": []Category{}, "risk": ""}
	ownerOutputs(out, a.KeyID, loc, loc.Found)

	// Liveness: with the owner known, its host is the one that counts.
	// One note for both reads: every journal line is an fsync on the way
	// to the DELETE.
	var l liveness
	var said []string
	if key != "" {
		region := ""
		if loc.Found {
			region = loc.Account.Region
		} else if a.Region != "" && a.Subuser != "" {
			region = a.Region
		}
		l = live.verdict(region)
		out["status"], out["liveness"] = l.Status, live.describe()
		// The host that accepted the key: a later confirm counts this
		// step as its witness only there.
		out["api_url"] = apiURL(env, live.acceptedAt(region))
		if l.KeyType != "" {
			out["key_type"] = l.KeyType
		}
		if len(l.Scopes) > 0 {
			out["scopes"] = l.Scopes
		}
		switch l.Status {
		case StatusLive:
			said = append(said, fmt.Sprintf("the leaked key is LIVE (%s)", live.describe()))
		case StatusDead:
			said = append(said, fmt.Sprintf("the leaked key is refused (%s)", live.describe()))
		default:
			said = append(said, fmt.Sprintf("liveness unknown (%s)", live.describe()))
		}
	} else {
		said = append(said, "liveness unknown: only the key id is known, and only the key itself can prove it is live or dead")
	}
	if loc.Found {
		said = append(said, fmt.Sprintf("key %s is held by %s", a.KeyID, loc.Account))
	}
	note(env, strings.Join(said, "; "))

	switch {
	case loc.Found:
		a.blastRadius(env, loc, out)
	case lerr != nil && statusOf(lerr) == 403:
		notAssessable(env, "api_key", "the responder key may not read API keys or list subusers (api_keys.read, subusers.read)", lerr)
	case lerr != nil:
		// Not one account could be searched (the responder key refused, the
		// API failing): the step fails; the revoke step searches again.
		return out, fmt.Errorf("locating key %s: %w", a.KeyID, lerr)
	case loc.complete():
		env.Finding(report.Finding{
			Kind: "key.not_found", Subject: a.KeyID, Severity: report.Info,
			Title:  "No account holds the leaked key's id",
			Detail: firstUpper(loc.notFoundText(a.KeyID)) + ". It was probably deleted already (SendGrid deletes keys it finds on public GitHub), or it belongs to an account the responder key cannot see.",
		})
	default:
		env.Finding(report.Finding{
			Kind: "key.search_incomplete", Subject: a.KeyID, Severity: report.High,
			Title:  "The leaked key was not found, but not every account could be searched",
			Detail: firstUpper(loc.notFoundText(a.KeyID)) + ". Search those accounts by hand (Settings > API Keys, as each subuser).",
		})
	}
	return out, nil
}

// blastRadius records the snapshot evidence and the blast-radius finding.
func (a *Locate) blastRadius(env *actions.Env, loc location, out actions.Outputs) {
	k := loc.Key
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	cats := Categorize(k.Scopes)
	risk := Risk(k.Scopes)
	ktype := KeyType(k.Scopes)
	ref, _ := evidence(env, "api_key_snapshot", map[string]any{"api_key_id": a.KeyID, "name": k.Name, "scopes": k.Scopes,
		"subuser": loc.Account.Subuser, "region": normRegion(loc.Account.Region), "categories": cats, "risk": risk})
	env.Finding(report.Finding{
		Kind: "key.blast_radius", Subject: a.KeyID, Severity: risk,
		Title:    fmt.Sprintf("Leaked key %q: %s access, %s blast radius", k.Name, ktype, risk),
		Detail:   fmt.Sprintf("%d scopes, held by %s: %s.", len(k.Scopes), loc.Account, categoryText(cats)),
		Evidence: refs(ref),
	})
	out["name"], out["scopes"], out["key_type"], out["categories"], out["risk"] = k.Name, k.Scopes, ktype, cats, string(risk)
}

func categoryText(cats []Category) string {
	parts := make([]string, 0, len(cats))
	for _, cat := range cats {
		rw := "read"
		if cat.Write {
			rw = "write"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, %d scopes)", cat.Category, rw, len(cat.Scopes)))
	}
	return strings.Join(parts, "; ")
}

// OnlyReads (actions.Reader): GETs only, with the responder key and the
// leaked key, so the runner need not wait for the journal's commit before it.
func (a *Locate) OnlyReads() bool { return true }

var (
	_ actions.Action    = (*Locate)(nil)
	_ actions.Reader    = (*Locate)(nil)
	_ actions.Validator = (*Locate)(nil)
)
