package sendgrid

import "context"
import "fmt"

import "github.com/keyir/keyir/actions"

// KeyDetails is what SendGrid says about a key: its name and scopes, read
// with the responder key (GET /v3/api_keys/{id}), never guessed.
type KeyDetails struct {
	ID     string
	Name   string
	Scopes []string
	// Type is full, billing or restricted; Found is false on a 404.
	Type  string
	Found bool
	// Subuser and Region name the account that holds the key ("" for the
	// parent).
	Subuser string
	Region  string
}

// DescribeKey reads a key's name and scopes with the responder key
// (SENDGRID_API_KEY, or _FILE, through env), for callers outside a run such
// as the Slack approval message, from whichever account holds it. A key no
// account holds is not an error: Found is false.
func DescribeKey(ctx context.Context, env *actions.Env, keyID, subuser, region string) (KeyDetails, error) {
	if err := checkKeyID("key_id", keyID); err != nil {
		return KeyDetails{}, err
	}
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return KeyDetails{}, err
	}
	// The key may live in any subuser: the one named is only where to look
	// first.
	loc, err := locateKey(ctx, c, keyID, hintAccount(subuser, region))
	if err != nil {
		return KeyDetails{}, fmt.Errorf("reading key %s: %w", keyID, err)
	}
	if !loc.Found {
		return KeyDetails{ID: keyID}, nil
	}
	k := loc.Key
	return KeyDetails{ID: keyID, Name: k.Name, Scopes: k.Scopes, Type: KeyType(k.Scopes), Found: true, Subuser: loc.Account.Subuser, Region: normRegion(loc.Account.Region)}, nil
}
