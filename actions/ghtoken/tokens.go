package ghtoken

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/keyir/keyir/provider"
	"github.com/keyir/keyir/redact"
)

// Kind names of GitHub tokens (provider.KeyKind.Kind).
const (
	KindClassicPAT      = "github-pat-classic"
	KindFineGrainedPAT  = "github-pat-fine-grained"
	KindOAuth           = "github-oauth-token"
	KindAppUser         = "github-app-user-token"
	KindAppRefresh      = "github-app-refresh-token"
	KindAppInstallation = "github-app-installation-token"
)

// classic is the shape of the prefixed tokens GitHub mints since 2021:
// prefix, 30 random base62 characters, a 6-character CRC32 checksum.
func classic(kind, human, prefix, revoke string) *provider.KeyKind {
	return &provider.KeyKind{
		Kind: kind, Human: human, Prefix: prefix,
		Pattern:  prefix + `[A-Za-z0-9]{36}`,
		Loose:    prefix + `[A-Za-z0-9]{6,}`,
		Checksum: checksumOK,
		Revoke:   revoke,
		Playbook: PlaybookName,
		Sample:   sample(prefix),
	}
}

// PlaybookName is the built-in response to a leaked GitHub token.
const PlaybookName = "github-token-compromise"

// The token kinds, one definition each: the redactor, provider.Identify
// and this package's parser all use them.
var (
	ClassicPAT = classic(KindClassicPAT, "GitHub personal access token (classic)", "ghp_",
		"GitHub: Settings → Developer settings → Personal access tokens (tokens classic)")
	FineGrainedPAT = &provider.KeyKind{
		Kind: KindFineGrainedPAT, Human: "GitHub fine-grained personal access token", Prefix: "github_pat_",
		Pattern:  `github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}`,
		Loose:    `github_pat_[A-Za-z0-9_]{6,}`,
		Checksum: checksumOK,
		Revoke:   "GitHub: Settings → Developer settings → Personal access tokens → Fine-grained tokens",
		Playbook: PlaybookName,
		Sample:   sample("github_pat_"),
	}
	OAuth = classic(KindOAuth, "GitHub OAuth app token", "gho_",
		"GitHub: Settings → Applications → Authorized OAuth Apps (revoke the app's access)")
	AppUser = classic(KindAppUser, "GitHub App user access token", "ghu_",
		"GitHub: Settings → Applications → Authorized GitHub Apps (revoke the app's access)")
	AppRefresh = classic(KindAppRefresh, "GitHub App refresh token", "ghr_",
		"GitHub: Settings → Applications → Authorized GitHub Apps (revoke the app's access)")
	AppInstallation = classic(KindAppInstallation, "GitHub App installation token", "ghs_",
		"GitHub: the app's installation revokes its own token (DELETE /installation/token); or suspend the installation")
)

// Kinds are every GitHub token kind, the longest prefix first.
var Kinds = []*provider.KeyKind{FineGrainedPAT, ClassicPAT, OAuth, AppUser, AppRefresh, AppInstallation}

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
	return Token{}, fmt.Errorf("not a GitHub token: expected ghp_, gho_, ghu_, ghr_ or ghs_ and 36 characters, or github_pat_ and 22+1+59 characters; got %s", shape(token))
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
