package ghtoken

import "context"
import "strings"

import "github.com/keyir/keyir/actions"

// identifyTokenInfo declares github.identify_token; provider.go registers it.
var identifyTokenInfo = actions.Info{
	Name:    "github.identify_token",
	Summary: "Name a leaked GitHub token's kind, check its checksum, derive its fingerprint and audit-log hash (no network)",
	Outputs: []actions.Output{
		{Name: "kind", Type: actions.TypeString, Description: "the token's kind (github-pat-classic, github-pat-fine-grained, github-oauth-token, github-app-user-token, github-app-refresh-token, github-app-installation-token)"},
		actions.HumanOutput,
		{Name: "checksum_ok", Type: actions.TypeBool, Description: "the checksum is valid (always true for fine-grained tokens: GitHub publishes none)"},
		actions.FingerprintOutput,
		{Name: "hashed_token", Type: actions.TypeString, Description: "base64(SHA-256(token)): what GitHub's audit log records as hashed_token"},
		{Name: "installation", Type: actions.TypeBool, Description: "an App installation token (ghs_): it revokes itself, GET /user answers 403 while it lives"},
	},
	New: func() actions.Action { return new(Identify) },
}

// Identify names a leaked token without the network.
type Identify struct {
	Token string `param:"key,required,secret" desc:"the leaked token"`
}

// Validate refuses what is not a GitHub token, or whose checksum is wrong:
// GitHub never issued such a token, so nothing is sent for it.
func (a *Identify) Validate() error {
	_, err := parseValid(a.Token)
	return err
}

// Run derives the outputs. The hashed token is an output on purpose: the
// activity step searches the audit log by it, and a resume must find it in
// the journal; it is a hash of a 178-bit secret, not the secret.
func (a *Identify) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	if env.Redactor != nil {
		env.Redactor.Add(strings.TrimSpace(a.Token))
	}
	t, err := parseValid(a.Token)
	if err != nil {
		return nil, err
	}
	return actions.Outputs{
		"kind": t.Kind.Kind, "human": t.Kind.Human, "checksum_ok": t.ChecksumOK,
		"fingerprint": t.Fingerprint, "hashed_token": t.Hashed, "installation": t.installation(),
	}, nil
}

var (
	_ actions.Action    = (*Identify)(nil)
	_ actions.Validator = (*Identify)(nil)
)
