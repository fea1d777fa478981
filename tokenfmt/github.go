// Package tokenfmt knows the shapes of the tokens keyir responds to, offline:
// which kind a token is by its prefix, whether it is well formed, whether its
// checksum holds, and how to mint a made-up one for simulators and tests.
// It imports nothing of keyir, so redaction, providers and simulators can all
// stand on it.
package tokenfmt

import "errors"
import "fmt"
import "hash/crc32"
import "io"
import "regexp"
import "strings"

// GitHubKind is one kind of GitHub token, told apart by its prefix.
type GitHubKind struct {
	Name   string // keyir's kind name ("github_classic_pat")
	Prefix string // "ghp_"
	Human  string // "GitHub personal access token (classic)"
	// Pattern is the whole token, unanchored, as a regular expression.
	Pattern string
	// Checksum is true when the token's last six characters are a checksum of
	// the rest, so a typo or a made-up token can be refused offline.
	Checksum bool
}

// The prefixed kinds but ghr_ are the prefix and 36 base62 characters: 30
// random ones then the checksum (GitHub's 2021 format). A refresh token is
// ghr_ and 76 characters (the example of POST /credentials/revoke in
// GitHub's REST description). Fine-grained tokens are github_pat_, 22
// characters, "_", 59 characters. GitHub publishes no checksum for those two,
// and none of the obvious CRC32 layouts matches public fine-grained
// examples, so only their shape is checked.
var GitHubKinds = []GitHubKind{
	{Name: "github_classic_pat", Prefix: "ghp_", Human: "GitHub personal access token (classic)", Pattern: `ghp_[A-Za-z0-9]{36}`, Checksum: true},
	{Name: "github_fine_grained_pat", Prefix: "github_pat_", Human: "GitHub fine-grained personal access token", Pattern: `github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}`},
	{Name: "github_oauth", Prefix: "gho_", Human: "GitHub OAuth app user token", Pattern: `gho_[A-Za-z0-9]{36}`, Checksum: true},
	{Name: "github_user_to_server", Prefix: "ghu_", Human: "GitHub App user-to-server token", Pattern: `ghu_[A-Za-z0-9]{36}`, Checksum: true},
	{Name: "github_refresh", Prefix: "ghr_", Human: "GitHub App refresh token", Pattern: `ghr_[A-Za-z0-9]{76}`},
	{Name: "github_installation", Prefix: "ghs_", Human: "GitHub App installation token", Pattern: `ghs_[A-Za-z0-9]{36}`, Checksum: true},
}

var githubWhole = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for _, k := range GitHubKinds {
		m[k.Prefix] = regexp.MustCompile(`^(?:` + k.Pattern + `)$`)
	}
	return m
}()

// GitHubKindOf names the kind of a token by its prefix alone; ok is false for
// a token with no GitHub prefix. Use GitHubShapeOK for the whole shape.
func GitHubKindOf(token string) (k GitHubKind, ok bool) {
	for _, k := range GitHubKinds {
		if strings.HasPrefix(token, k.Prefix) {
			return k, true
		}
	}
	return GitHubKind{}, false
}

// GitHubShapeOK reports whether token is exactly one GitHub kind's shape.
func GitHubShapeOK(token string) bool {
	k, ok := GitHubKindOf(token)
	return ok && githubWhole[k.Prefix].MatchString(token)
}

// GitHubChecksumOK reports whether token has a GitHub kind's shape and, for a
// kind with a checksum, whether the checksum holds. A fine-grained token has
// no checksum keyir can verify: its shape alone decides.
func GitHubChecksumOK(token string) bool {
	if !GitHubShapeOK(token) {
		return false
	}
	k, _ := GitHubKindOf(token)
	if !k.Checksum {
		return true
	}
	body := token[len(k.Prefix):]
	return GitHubChecksum(body[:30]) == body[30:]
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// GitHubChecksum is the six-character checksum GitHub appends to the random
// part of a prefixed token: the CRC-32 (IEEE) of the random part's bytes in
// base62 (digits, then upper, then lower case), left-padded with '0'.
func GitHubChecksum(random string) string {
	n := crc32.ChecksumIEEE([]byte(random))
	var b [6]byte
	for i := len(b) - 1; i >= 0; i-- { // 62^6 > 2^32: six digits always suffice
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b[:])
}

// MintGitHub makes a well-formed token of the kind with this prefix from rng
// (crypto/rand.Reader for a token nobody can guess, a seeded reader for a
// reproducible one): random base62 characters, and the checksum where the
// kind has one. For simulators and tests only: GitHub never saw the token.
func MintGitHub(prefix string, rng io.Reader) (string, error) {
	k, ok := GitHubKindOf(prefix)
	if !ok || k.Prefix != prefix {
		return "", fmt.Errorf("tokenfmt: %q is not a GitHub token prefix", prefix)
	}
	if k.Prefix == "ghr_" {
		r, err := randBase62(rng, 76)
		return prefix + r, err
	}
	if !k.Checksum {
		a, err := randBase62(rng, 22)
		if err != nil {
			return "", err
		}
		b, err := randBase62(rng, 59)
		if err != nil {
			return "", err
		}
		return prefix + a + "_" + b, nil
	}
	r, err := randBase62(rng, 30)
	if err != nil {
		return "", err
	}
	return prefix + r + GitHubChecksum(r), nil
}

// randBase62 draws n uniform base62 characters (bytes of 248 and above are
// skipped so that no character is likelier than another).
func randBase62(rng io.Reader, n int) (string, error) {
	if rng == nil {
		return "", errors.New("tokenfmt: no random source")
	}
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := io.ReadFull(rng, buf); err != nil {
			return "", fmt.Errorf("tokenfmt: random source: %w", err)
		}
		for _, c := range buf {
			if c < 248 && len(out) < n {
				out = append(out, base62[c%62])
			}
		}
	}
	return string(out), nil
}
