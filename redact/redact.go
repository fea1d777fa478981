// Package redact is the one redaction layer every keyir output passes through:
// terminal, logs, journal, evidence, reports, Slack and email.
//
// A registered secret becomes [REDACTED:<first 8 hex of its SHA-256>] wherever it
// appears: raw; behind URL, JSON, HTML-entity and \x escapes; inside base64
// (standard or URL alphabet, padded or not, at any offset, so `Bearer S` and
// the Basic-auth pairs `user:S` and `S:` are caught) or hex; and, for a secret
// of LongSecret characters or more, any run of Gram or more of its consecutive
// characters (an upstream that echoes a prefix or suffix of a key). See scan.go.
// Independently of registration, anything shaped like a SendGrid API key, a
// Slack token or a GitHub token is redacted too, so a key that keyir was never
// told about (one an API returned, one pasted into a note) cannot leak either.
package redact

import "crypto/sha256"
import "encoding/hex"
import "regexp"
import "strings"
import "sync"

// MinLength is the shortest value Add accepts as a secret. Shorter values would
// redact ordinary words and numbers and make every output unreadable.
const MinLength = 6

// patterns are credential shapes redacted even when nobody registered them.
var patterns = regexp.MustCompile(`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}` +
	`|xoxe\.xox[a-z]-[A-Za-z0-9-]{10,}|xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}` +
	`|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}`)

// keyShape is looser than patterns: a value that merely starts like a key of a
// kind keyir knows (a truncated or mistyped one included). It decides what is
// refused where only a name belongs (an incident id, a key id) and what an
// error message must not quote. Redaction itself uses patterns, so that
// ordinary text is not blotted out.
var keyShape = regexp.MustCompile(`SG\.[A-Za-z0-9_-]{6,}` +
	`|xox[abposre][-.][A-Za-z0-9.-]{6,}|xapp-[A-Za-z0-9-]{6,}` +
	`|gh[pousr]_[A-Za-z0-9]{6,}|github_pat_[A-Za-z0-9_]{6,}`)

// LooksLikeKey reports whether s holds something shaped like a credential
// keyir knows: a SendGrid key (SG.…), a Slack token (xoxb-, xoxp-, xoxe.…,
// xapp-), a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_) or a
// kind a provider registered (RegisterShape), whole or truncated. Callers refuse such a value where it does not belong and never
// quote it.
func LooksLikeKey(s string) bool {
	if keyShape.MatchString(s) {
		return true
	}
	lx := looseExtra()
	return lx != nil && lx.MatchString(s)
}

// Token is what a secret is replaced with: stable for one secret, so two
// outputs can be correlated without revealing it.
func Token(secret string) string {
	return "[REDACTED:" + Fingerprint(secret) + "]"
}

// Fingerprint is the first 8 hex digits of the secret's SHA-256. It identifies a
// secret in reports without revealing it.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:4])
}

// Redactor replaces registered secrets. The zero value is not usable; use New.
// It is safe for concurrent use.
type Redactor struct {
	mu  sync.RWMutex
	set map[string]bool
	gen uint64 // bumped whenever set changes (see Generation)
	// ix is immutable once built: Add builds a new one, readers take the
	// pointer under the read lock and scan without holding it.
	ix *index
}

// New returns a Redactor with the given secrets registered.
func New(secrets ...string) *Redactor {
	r := &Redactor{set: map[string]bool{}}
	for _, s := range secrets {
		r.Add(s)
	}
	return r
}

// Add registers a secret. Values shorter than MinLength are ignored; an empty
// value is common (an unset variable) and never an error.
func (r *Redactor) Add(secret string) {
	secret = strings.TrimSpace(secret)
	if len(secret) < MinLength {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set[secret] {
		return
	}
	r.set[secret] = true
	r.gen++
	r.ix = buildIndex(r.set, r.gen)
}

func (r *Redactor) index() *index {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.ix
}

// String returns s with every secret, every encoded form of one, and every
// credential shape replaced.
func (r *Redactor) String(s string) string {
	spans := r.index().find(s)
	if len(spans) == 0 {
		return s
	}
	return apply(s, spans)
}

// Bytes returns b with every secret replaced.
func (r *Redactor) Bytes(b []byte) []byte {
	return []byte(r.String(string(b)))
}

// Contains reports whether s holds a registered secret (in any form String
// redacts) or a credential shape. Tests and last-line-of-defence checks use it.
func (r *Redactor) Contains(s string) bool {
	return len(r.index().find(s)) > 0
}

// AddShapes registers every word of s that has the shape of a key
// (LooksLikeKey), whole: a key pasted into a field that is not secret (an
// operator name, a note, a subuser) becomes a secret from then on, while the
// rest of the field stays readable.
func (r *Redactor) AddShapes(s string) {
	locs := keyShape.FindAllStringIndex(s, -1)
	if lx := looseExtra(); lx != nil {
		locs = append(locs, lx.FindAllStringIndex(s, -1)...)
	}
	for _, loc := range locs {
		st, en := loc[0], loc[1]
		for st > 0 && !isSpace(s[st-1]) {
			st--
		}
		for en < len(s) && !isSpace(s[en]) {
			en++
		}
		r.Add(s[st:en])
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
