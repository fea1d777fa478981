package redact

import "bytes"
import "fmt"
import "regexp"
import "strings"
import "sync"
import "sync/atomic"

// Shape is a kind of credential a provider registers (package provider
// feeds it at registration): what it is called, where it is revoked, and its
// shapes. The built-in shapes (patterns, keyShape, kinds) stay as a floor:
// redaction never depends on which providers a program links.
type Shape struct {
	Prefix string // the fixed start of every such key
	Name   string // "a SendGrid API key"
	Revoke string // where such a key is revoked by hand
	// Pattern matches a whole key, unanchored: redacted wherever found.
	Pattern *regexp.Regexp
	// Loose matches what merely starts like one (LooksLikeKey, AddShapes).
	Loose *regexp.Regexp
	// Sample is a made-up key of the shape. When the built-in patterns
	// already catch it, the shape adds no regular expression to the scan
	// (the hot path stays as it is); it only names the kind.
	Sample string
}

// extra is what registered shapes add to the built-in ones; immutable once
// published.
type extra struct {
	kinds    []kindEntry // registered names, longest prefix first
	pattern  *regexp.Regexp
	loose    *regexp.Regexp
	prefixes [][]byte
}

type kindEntry struct{ prefix, name, revoke string }

var (
	extrasMu sync.Mutex
	extras   atomic.Pointer[extra]
)

// RegisterShape adds a kind of credential. It panics on a malformed shape
// (a programming error of the registering provider).
func RegisterShape(s Shape) {
	if s.Prefix == "" || s.Name == "" || s.Pattern == nil || s.Loose == nil || len(s.Sample) < minShape {
		panic(fmt.Sprintf("redact: bad shape %q (a prefix, name, pattern, loose pattern and a sample of %d+ characters)", s.Prefix, minShape))
	}
	extrasMu.Lock()
	defer extrasMu.Unlock()
	old := extras.Load()
	next := &extra{}
	if old != nil {
		*next = *old
		next.kinds = append([]kindEntry(nil), old.kinds...)
		next.prefixes = append([][]byte(nil), old.prefixes...)
	}
	next.kinds = append(next.kinds, kindEntry{s.Prefix, s.Name, s.Revoke})
	// Longest prefix first, as in kinds: "github_pat_" before "gh".
	for i := len(next.kinds) - 1; i > 0 && len(next.kinds[i].prefix) > len(next.kinds[i-1].prefix); i-- {
		next.kinds[i], next.kinds[i-1] = next.kinds[i-1], next.kinds[i]
	}
	if !wholeMatch(patterns, s.Sample) {
		next.pattern = union(next.pattern, s.Pattern)
		next.prefixes = append(next.prefixes, []byte(s.Prefix))
	}
	if !keyShape.MatchString(s.Sample) {
		next.loose = union(next.loose, s.Loose)
	}
	extras.Store(next)
}

// wholeMatch reports whether re finds all of s as one match.
func wholeMatch(re *regexp.Regexp, s string) bool {
	loc := re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

func union(a, b *regexp.Regexp) *regexp.Regexp {
	if a == nil {
		return b
	}
	return regexp.MustCompile(a.String() + `|` + b.String())
}

// scanExtra is scanShapes for registered shapes the built-in patterns do not
// cover.
func scanExtra(b []byte, emit func(st, en int, tok string) bool) bool {
	ex := extras.Load()
	if ex == nil || ex.pattern == nil {
		return false
	}
	hit := false
	for _, p := range ex.prefixes {
		if bytes.Contains(b, p) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for _, loc := range ex.pattern.FindAllIndex(b, -1) {
		if emit(loc[0], loc[1], Token(string(b[loc[0]:loc[1]]))) {
			return true
		}
	}
	return false
}

// looseExtra is the registered loose shapes not covered by keyShape, or nil.
func looseExtra() *regexp.Regexp {
	if ex := extras.Load(); ex != nil {
		return ex.loose
	}
	return nil
}

// registeredKind is the registered kind whose prefix s starts with, the
// longest such prefix.
func registeredKind(s string) (kindEntry, bool) {
	ex := extras.Load()
	if ex == nil {
		return kindEntry{}, false
	}
	for _, k := range ex.kinds {
		if strings.HasPrefix(s, k.prefix) {
			return k, true
		}
	}
	return kindEntry{}, false
}
