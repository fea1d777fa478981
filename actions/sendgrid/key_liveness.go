package sendgrid

import "context"
import "encoding/json"
import "fmt"
import "sort"
import "strings"

import "github.com/keyir/keyir/actions"

// keyLivenessInfo declares sendgrid.key_liveness; provider.go registers it.
var keyLivenessInfo = actions.Info{
	Name:    "sendgrid.key_liveness",
	Summary: "Ask SendGrid, with the leaked key itself, whether it still authenticates (GET /v3/scopes)",
	Outputs: []actions.Output{
		actions.StatusOutput,
		{Name: "key_type", Type: actions.TypeString, Description: "full, billing or restricted (empty when not live)"},
		{Name: "scopes", Type: actions.TypeList, Description: "the key's scopes when it is live and may read them"},
		actions.APIURLOutput,
	},
	New: func() actions.Action { return new(Liveness) },
}

// Liveness statuses: the values of actions.StatusOutput.
const (
	StatusLive    = actions.StatusLive
	StatusDead    = actions.StatusDead
	StatusUnknown = actions.StatusUnknown
)

// Key types, from scopes.
const (
	TypeFull       = "full"
	TypeBilling    = "billing"
	TypeRestricted = "restricted"
)

// Liveness checks whether the leaked key still authenticates.
type Liveness struct {
	Key    string `param:"key,secret" desc:"the leaked key; without it the status is unknown"`
	Region string `param:"region" desc:"the region of the account that holds the key; default: unknown, both hosts are asked (live if either accepts the key, dead only if both refuse it)"`
}

// Validate checks the key's shape and the region.
func (a *Liveness) Validate() error {
	if err := checkRegion(a.Region); err != nil {
		return err
	}
	if strings.TrimSpace(a.Key) == "" {
		return nil
	}
	_, err := ParseKey(a.Key, "")
	return err
}

// liveness is one GET /v3/scopes with the leaked key.
type liveness struct {
	Status  string
	KeyType string
	Scopes  []string
	HTTP    int
}

func checkLiveness(ctx context.Context, c *Client) (liveness, error) {
	var body struct {
		Scopes []string `json:"scopes"`
	}
	r, err := c.get(ctx, "/v3/scopes", &body)
	for n := 1; r != nil && r.Status == 401 && !refusedBySendGrid(r.Body) && n <= maxTransientRetries; n++ {
		// A 401 without SendGrid's body is a gateway's, or SendGrid's cut
		// short: asked again, as an unreadable 2xx is (Client.call).
		if actions.Sleep(ctx, backoff(n)) != nil {
			break
		}
		r, err = c.get(ctx, "/v3/scopes", &body)
	}
	if r == nil && err != nil {
		return liveness{Status: StatusUnknown}, err
	}
	l := liveness{HTTP: r.Status}
	switch {
	case r.Status == 200 && err == nil:
		l.Status, l.Scopes = StatusLive, body.Scopes
		sort.Strings(l.Scopes)
		l.KeyType = KeyType(l.Scopes)
	case r.Status == 401 && refusedBySendGrid(r.Body):
		l.Status = StatusDead
	case r.Status == 403:
		l.Status, l.KeyType = StatusLive, TypeRestricted
	default:
		l.Status = StatusUnknown
	}
	return l, nil
}

// refusedBySendGrid reports SendGrid's own word that the key is refused: a
// 401 with its error body ({"errors":[{"message":…}]}). A 401 without it (a
// gateway's or a proxy's page in front of SENDGRID_API_URL) says nothing
// about the key, so it proves nothing: the status stays unknown.
func refusedBySendGrid(body []byte) bool {
	var b struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &b) != nil {
		return false
	}
	for _, e := range b.Errors {
		if strings.TrimSpace(e.Message) != "" {
			return true
		}
	}
	return false
}

// KeyType classifies a key by its scopes: user.email.read means full access,
// billing.read a billing key, anything else restricted.
func KeyType(scopes []string) string {
	has := func(s string) bool {
		for _, x := range scopes {
			if x == s {
				return true
			}
		}
		return false
	}
	switch {
	case has("user.email.read"):
		return TypeFull
	case has("billing.read"):
		return TypeBilling
	}
	return TypeRestricted
}

// Run checks liveness.
func (a *Liveness) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	key := strings.TrimSpace(a.Key)
	if key == "" {
		note(env, "liveness unknown: only the key id is known, and only the key itself can prove it is live or dead")
		return actions.Outputs{"status": StatusUnknown, "key_type": "", "scopes": []string{}, "api_url": ""}, nil
	}
	if _, err := ParseKey(key, ""); err != nil {
		return nil, err
	}
	regions := bothRegions
	if a.Region != "" {
		regions = []string{a.Region}
	}
	h := askLiveness(ctx, env, key, regions)
	l := h.verdict(a.Region)
	if l.Status == StatusUnknown && len(regions) == 1 && h.Err[a.Region] != nil {
		return nil, fmt.Errorf("liveness of the leaked key: %w", h.Err[a.Region])
	}
	if l.Status == StatusUnknown && len(regions) == 2 && h.Err[RegionGlobal] != nil && h.Err[RegionEU] != nil {
		return nil, fmt.Errorf("liveness of the leaked key: %w", h.Err[RegionGlobal])
	}
	switch l.Status {
	case StatusLive:
		if l.HTTP == 403 {
			note(env, "the leaked key is LIVE (403 on /v3/scopes: authenticated but restricted)")
		} else {
			note(env, fmt.Sprintf("the leaked key is LIVE: %s access, %d scopes", l.KeyType, len(l.Scopes)))
		}
	case StatusDead:
		note(env, "the leaked key is refused (401): revoked already (by SendGrid or someone else), or not a key SendGrid holds as given (mistyped or cut?)")
	default:
		note(env, fmt.Sprintf("liveness unknown: %s", h.describe()))
	}
	if l.Scopes == nil {
		l.Scopes = []string{}
	}
	// The host that accepted the key: a later confirm counts this step as
	// its witness only there.
	return actions.Outputs{"status": l.Status, "key_type": l.KeyType, "scopes": l.Scopes, "api_url": apiURL(env, h.acceptedAt(a.Region))}, nil
}

func checkRegion(r string) error {
	if r != "" && !regionRE.MatchString(r) {
		return &actions.ParamError{Param: "region", Msg: fmt.Sprintf("want global or eu, got %q", r)}
	}
	return nil
}

// note is the package's short name for env.Note.
func note(env *actions.Env, text string) { env.Note(text) }

// OnlyReads (actions.Reader): one GET /v3/scopes per host, with the leaked
// key, so the runner need not wait for the journal's commit before it.
func (a *Liveness) OnlyReads() bool { return true }

var (
	_ actions.Action    = (*Liveness)(nil)
	_ actions.Reader    = (*Liveness)(nil)
	_ actions.Validator = (*Liveness)(nil)
)
