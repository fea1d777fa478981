package sendgridsim

import "math/rand/v2"
import "regexp"
import "slices"
import "strings"
import "time"

// Key is one API key of the simulated account. The ID is the middle segment of the token, as on
// the live API, so a leaked token names the key to revoke.
type Key struct {
	ID      string
	Secret  string
	Name    string
	Scopes  []string
	Subuser string // "" = parent account
	// RevokedAt is when the key was deleted; zero while it exists. A revoked key keeps
	// authenticating for Config.PropagationDelay after this instant.
	RevokedAt time.Time
}

// Token is the secret the key's holder sends: "SG.<ID>.<Secret>" (69 characters).
func (k Key) Token() string { return "SG." + k.ID + "." + k.Secret }

// HasScope reports whether the key carries scope s.
func (k Key) HasScope(s string) bool { return slices.Contains(k.Scopes, s) }

// FullAccess reports whether the key is a full-access key (user.email.read is the marker).
func (k Key) FullAccess() bool { return k.HasScope("user.email.read") }

const (
	keyIDLen     = 22
	keySecretLen = 43
	idAlphabet   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
)

var tokenRE = regexp.MustCompile(`^SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$`)

// ValidToken reports whether tok has the shape of a SendGrid API key.
func ValidToken(tok string) bool { return tokenRE.MatchString(tok) }

// ParseToken splits a token into its key id and secret; ok is false unless it is well formed.
func ParseToken(tok string) (id, secret string, ok bool) {
	if !ValidToken(tok) {
		return "", "", false
	}
	parts := strings.Split(tok, ".")
	return parts[1], parts[2], true
}

func randString(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// NewKey makes a parent-account key with a fresh id and secret drawn from rng, so a seeded rng
// gives the same key every time. The scopes slice is copied.
func NewKey(rng *rand.Rand, name string, scopes []string) Key {
	return Key{
		ID:     randString(rng, keyIDLen),
		Secret: randString(rng, keySecretLen),
		Name:   name,
		Scopes: slices.Clone(scopes),
	}
}

// FullAccessScopes is a representative scope set of a full-access key: every scope a route of
// the simulator checks, plus the user.email.read marker and the 2fa_required pseudo-scope.
func FullAccessScopes() []string {
	return slices.Clone(fullAccess)
}

// fullAccess is computed at init: the route table refers to the handlers, which refer to it.
var fullAccess []string

func init() {
	s := []string{"2fa_required", "user.email.read", "user.profile.read", "api_keys.update"}
	for _, rt := range routes {
		if rt.scope != "" && !slices.Contains(s, rt.scope) {
			s = append(s, rt.scope)
		}
	}
	slices.Sort(s)
	fullAccess = s
}
