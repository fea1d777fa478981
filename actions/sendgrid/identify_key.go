package sendgrid

import "context"
import "errors"
import "fmt"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"

// identifyKeyInfo declares sendgrid.identify_key; provider.go registers it.
var identifyKeyInfo = actions.Info{
	Name:    "sendgrid.identify_key",
	Summary: "Derive the key id and fingerprint of a leaked SendGrid key (no network)",
	Outputs: []actions.Output{
		{Name: "key_id", Type: actions.TypeString, Description: "the api_key_id (middle segment of SG.<id>.<secret>)"},
		{Name: "fingerprint", Type: actions.TypeString, Description: "first 8 hex of the SHA-256 of the full key (of the id when only the id is known)"},
		actions.HumanOutput,
		{Name: "has_secret", Type: actions.TypeBool, Description: "whether the full key is known (liveness can be proven with it)"},
	},
	New: func() actions.Action { return new(Identify) },
}

// Identify derives the key id and fingerprint of a leaked key.
type Identify struct {
	Key   string `param:"key,secret" desc:"the leaked key, SG.<22 chars>.<43 chars>"`
	KeyID string `param:"key_id" desc:"the key's api_key_id (22 chars), when the full key is not known"`
}

// KeyInfo is what can be derived from a leaked key without the network.
type KeyInfo struct {
	ID          string
	Fingerprint string
	HasSecret   bool
}

// ParseKey validates a leaked key and/or key id and derives its id and
// fingerprint. Errors describe the value by its length only: never by any
// of its characters.
func ParseKey(key, keyID string) (KeyInfo, error) {
	key, keyID = strings.TrimSpace(key), strings.TrimSpace(keyID)
	var ki KeyInfo
	switch {
	case key == "" && keyID == "":
		return ki, errors.New("neither key nor key_id is given: pass the leaked key or its id")
	case key != "":
		m := APIKey.Match(key)
		if m == nil {
			return ki, fmt.Errorf("key is not a SendGrid API key: expected SG.<22 chars>.<43 chars> (69 characters), got %s", shape(key))
		}
		ki = KeyInfo{ID: m[1], Fingerprint: redact.Fingerprint(key), HasSecret: true}
		if keyID != "" && keyID != ki.ID {
			return KeyInfo{}, errors.New("key and key_id disagree: the key's id segment is not the key_id given")
		}
		return ki, nil
	default:
		// A full key pasted where an id belongs is still a key: accept it
		// rather than echo it in an error.
		if APIKey.Match(keyID) != nil {
			return ParseKey(keyID, "")
		}
		if !keyIDRE.MatchString(keyID) {
			return ki, fmt.Errorf("key_id is not a SendGrid API key id: expected 22 characters of A-Z a-z 0-9 _ -, got %s", shape(keyID))
		}
		return KeyInfo{ID: keyID, Fingerprint: redact.Fingerprint(keyID)}, nil
	}
}

// shape describes a rejected value without revealing any of it.
func shape(s string) string {
	desc := fmt.Sprintf("%d characters", len(s))
	if strings.HasPrefix(s, "SG.") {
		parts := strings.Split(s, ".")
		lens := make([]string, len(parts))
		for i, p := range parts {
			lens[i] = fmt.Sprint(len(p))
		}
		desc += fmt.Sprintf(" in %d dot-separated parts of lengths %s", len(parts), strings.Join(lens, ", "))
	}
	if strings.ContainsAny(s, " \t\r\n") {
		desc += " including whitespace"
	}
	return desc
}

// Validate checks the key's shape before the run starts.
func (a *Identify) Validate() error {
	_, err := ParseKey(a.Key, a.KeyID)
	return err
}

// Run derives the outputs.
func (a *Identify) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	ki, err := ParseKey(a.Key, a.KeyID)
	if err != nil {
		return nil, err
	}
	if ki.HasSecret && env.Redactor != nil {
		env.Redactor.Add(strings.TrimSpace(a.Key))
	}
	if !ki.HasSecret && env.Recorder != nil {
		env.Recorder.Note("only the key id is known: keyir can revoke the key by its id, but without its secret nothing can prove it no longer authenticates; containment will be reported as revoked_unproven, never confirmed")
	}
	return actions.Outputs{"key_id": ki.ID, "fingerprint": ki.Fingerprint, "has_secret": ki.HasSecret, "human": APIKey.Human}, nil
}

// OnlyReads (actions.Reader): it makes no request at all, so the
// runner need not wait for the journal's commit before it.
func (a *Identify) OnlyReads() bool { return true }

var (
	_ actions.Action    = (*Identify)(nil)
	_ actions.Reader    = (*Identify)(nil)
	_ actions.Validator = (*Identify)(nil)
)
