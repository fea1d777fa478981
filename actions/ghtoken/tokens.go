package ghtoken

import "crypto/sha256"
import "encoding/base64"
import "fmt"
import "math/rand/v2"
import "regexp"
import "strings"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/tokenfmt"

// revokeHints say where a responder revokes a token of each kind by hand.
var revokeHints = map[string]string{
	"ghp_":        "GitHub: Settings → Developer settings → Personal access tokens (tokens classic)",
	"github_pat_": "GitHub: Settings → Developer settings → Personal access tokens → Fine-grained tokens",
	"gho_":        "GitHub: Settings → Applications → Authorized OAuth Apps (revoke the app's access)",
	"ghu_":        "GitHub: Settings → Applications → Authorized GitHub Apps (revoke the app's access)",
	"ghr_":        "GitHub: Settings → Applications → Authorized GitHub Apps (revoke the app's access)",
	"ghs_":        "GitHub: the installation token revokes itself (DELETE /installation/token), or suspend the app's installation",
}

// PlaybookName is the built-in response to a leaked GitHub token.
const PlaybookName = "github-token-compromise"

// kindOf is the provider's key kind of one tokenfmt kind: tokenfmt is the
// one definition of the shapes and the checksum, shared with the simulator.
func kindOf(k tokenfmt.GitHubKind) *provider.KeyKind {
	kk := &provider.KeyKind{
		Kind: k.Name, Human: k.Human, Prefix: k.Prefix, Pattern: k.Pattern,
		Loose:    regexp.QuoteMeta(k.Prefix) + `[A-Za-z0-9_]{6,}`,
		Checksum: tokenfmt.GitHubChecksumOK,
		Revoke:   revokeHints[k.Prefix],
		Playbook: PlaybookName,
		Sample:   sample(k),
		// keyir serve's requests give only the token: the organization
		// to assess comes from the server's environment.
		InputsFromEnv: map[string]string{"org": EnvOrg},
	}
	if k.Prefix != "ghs_" {
		// Many tokens of a kind share one POST /credentials/revoke (up to
		// 1,000 a request, 60 requests an hour): a scanner report of many
		// tokens spends one request, not one each. An installation token
		// revokes itself, one request per token.
		kk.Batch, kk.BatchParam, kk.BatchMax = "revoke", "keys", maxBatch
	}
	return kk
}

// sample is a made-up token of a kind, with a valid checksum where the kind
// has one; made from a fixed seed, so it is the same in every build.
func sample(k tokenfmt.GitHubKind) string {
	if k.Checksum {
		body := "keyirSampleToken00000000000000"
		return k.Prefix + body + tokenfmt.GitHubChecksum(body)
	}
	var seed [32]byte
	copy(seed[:], "keyir sample GitHub token")
	t, err := tokenfmt.MintGitHub(k.Prefix, rand.NewChaCha8(seed))
	if err != nil {
		panic(err)
	}
	return t
}

// Kinds are every GitHub token kind, in tokenfmt's order.
var Kinds = func() []*provider.KeyKind {
	var out []*provider.KeyKind
	for _, k := range tokenfmt.GitHubKinds {
		out = append(out, kindOf(k))
	}
	return out
}()

// byPrefix finds a kind by its prefix.
func byPrefix(prefix string) *provider.KeyKind {
	for _, k := range Kinds {
		if k.Prefix == prefix {
			return k
		}
	}
	panic("ghtoken: no kind with prefix " + prefix)
}

// The kinds the actions treat apart.
var (
	ClassicPAT      = byPrefix("ghp_")
	FineGrainedPAT  = byPrefix("github_pat_")
	AppInstallation = byPrefix("ghs_")
	AppRefresh      = byPrefix("ghr_")
)

// Token is what can be derived from a leaked token without the network.
type Token struct {
	Kind       *provider.KeyKind
	ChecksumOK bool
	// Fingerprint names the token in outputs and reports (redact's rule).
	Fingerprint string
	// Hashed is base64(SHA-256(token)): what GitHub's audit log records as
	// hashed_token.
	Hashed string
}

// ParseToken recognises a GitHub token by its shape. A token of the right
// shape with a bad checksum is returned with ChecksumOK false, not refused:
// the caller decides (identify refuses it; nothing is sent for it).
// Errors describe the value by its shape only, never by its characters.
func ParseToken(token string) (Token, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Token{}, fmt.Errorf("no token given")
	}
	for _, k := range Kinds {
		if k.Match(token) == nil {
			continue
		}
		return Token{Kind: k, ChecksumOK: k.Checksum == nil || k.Checksum(token), Fingerprint: redact.Fingerprint(token), Hashed: HashedToken(token)}, nil
	}
	return Token{}, fmt.Errorf("not a GitHub token: expected ghp_, gho_, ghu_ or ghs_ and 36 characters, ghr_ and 76, or github_pat_ and 22+1+59; got %s", shape(token))
}

// parseValid is ParseToken refusing a bad checksum: a mistyped or forged
// token is never sent anywhere.
func parseValid(token string) (Token, error) {
	t, err := ParseToken(token)
	if err != nil {
		return t, err
	}
	if !t.ChecksumOK {
		return t, fmt.Errorf("the %s (fingerprint %s) has the right shape but a bad checksum: it is mistyped, truncated or made up, and GitHub never issued it; nothing was sent", t.Kind.Human, t.Fingerprint)
	}
	return t, nil
}

// HashedToken is base64(SHA-256(token)), the hashed_token of GitHub's audit
// log. It is a hash of the secret, not the secret: a 36-character base62
// token is far beyond brute force, so the hash can be recorded (outputs,
// journal) to search the log with; it still identifies the token, so it is
// treated as sensitive: only steps of the same run use it.
func HashedToken(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// shape describes a refused value without revealing any of it.
func shape(s string) string {
	desc := fmt.Sprintf("%d characters", len(s))
	for _, p := range []string{"github_pat_", "ghp_", "gho_", "ghu_", "ghr_", "ghs_"} {
		if strings.HasPrefix(s, p) {
			desc += fmt.Sprintf(" starting %s (%d after it)", p, len(s)-len(p))
			break
		}
	}
	if strings.ContainsAny(s, " \t\r\n") {
		desc += " including whitespace"
	}
	return desc
}

// installation reports an installation token: it cannot be revoked by
// POST /credentials/revoke and answers 403 on GET /user while live.
func (t Token) installation() bool { return t.Kind == AppInstallation }

// refresh reports an App refresh token: it is exchanged for tokens at the
// OAuth endpoint and the API refuses it (401) live or dead, so no API call
// can tell whether it still works.
func (t Token) refresh() bool { return t.Kind == AppRefresh }
