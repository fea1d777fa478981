package sendgrid

import (
	"context"
	"fmt"

	"github.com/keyir/keyir/actions"
)

// KeyDetails is what SendGrid says about a key: its name and scopes, read
// with the responder key (GET /v3/api_keys/{id}), never guessed.
type KeyDetails struct {
	ID     string
	Name   string
	Scopes []string
	// Type is full, billing or restricted; Found is false on a 404.
	Type  string
	Found bool
}

// DescribeKey reads a key's name and scopes with the responder key
// (SENDGRID_API_KEY, or _FILE, through env), for callers outside a run such
// as the Slack approval message. A 404 is not an error: Found is false.
func DescribeKey(ctx context.Context, env *actions.Env, keyID, subuser, region string) (KeyDetails, error) {
	if err := checkKeyID("key_id", keyID); err != nil {
		return KeyDetails{}, err
	}
	c, err := newClient(env, region, subuser)
	if err != nil {
		return KeyDetails{}, err
	}
	k, err := getKey(ctx, c, keyID)
	switch statusOf(err) {
	case 0:
		if err != nil {
			return KeyDetails{}, err
		}
	case 404:
		return KeyDetails{ID: keyID}, nil
	default:
		return KeyDetails{}, fmt.Errorf("reading key %s: %w", keyID, err)
	}
	return KeyDetails{ID: keyID, Name: k.Name, Scopes: k.Scopes, Type: KeyType(k.Scopes), Found: true}, nil
}
