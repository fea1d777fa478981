// Package redact is the one redaction layer every keyir output passes through:
// terminal, logs, journal, evidence, reports, Slack and email.
//
// A registered secret becomes [REDACTED:<first 8 hex of its SHA-256>] wherever it
// appears, including its URL- and JSON-escaped forms. Independently of
// registration, anything shaped like a SendGrid API key or a Slack token is
// redacted too, so a key that keyir was never told about (one an API returned,
// one pasted into a note) cannot leak either.
package redact

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// MinLength is the shortest value Add accepts as a secret. Shorter values would
// redact ordinary words and numbers and make every output unreadable.
const MinLength = 6

// patterns are credential shapes redacted even when nobody registered them.
var patterns = regexp.MustCompile(`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}|xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}`)

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
	mu       sync.RWMutex
	secrets  map[string]string // form -> token
	replacer *strings.Replacer
}

// New returns a Redactor with the given secrets registered.
func New(secrets ...string) *Redactor {
	r := &Redactor{secrets: map[string]string{}}
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
	token := Token(secret)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.secrets[secret]; ok {
		return
	}
	for _, form := range forms(secret) {
		r.secrets[form] = token
	}
	r.rebuild()
}

// forms are the spellings a secret takes in the places keyir writes: raw, in a
// URL path or query, inside a JSON string, and base64 (HTTP basic auth).
func forms(secret string) []string {
	out := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	if b, err := json.Marshal(secret); err == nil {
		out = append(out, strings.Trim(string(b), `"`))
	}
	out = append(out, base64.StdEncoding.EncodeToString([]byte(secret)))
	return out
}

func (r *Redactor) rebuild() {
	keys := make([]string, 0, len(r.secrets))
	for k := range r.secrets {
		keys = append(keys, k)
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, r.secrets[k])
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		rep := r.replacer
		r.mu.RUnlock()
		if rep != nil {
			s = rep.Replace(s)
		}
	}
	if patterns.MatchString(s) {
		s = patterns.ReplaceAllStringFunc(s, Token)
	}
	return s
}

// Bytes returns b with every secret replaced.
func (r *Redactor) Bytes(b []byte) []byte {
	return []byte(r.String(string(b)))
}

// Contains reports whether s holds a registered secret or a credential shape.
// Tests and last-line-of-defence checks use it.
func (r *Redactor) Contains(s string) bool {
	return r.String(s) != s
}
