package provider

import "fmt"
import "regexp"
import "sort"
import "strings"
import "sync"

import "github.com/keyir/keyir/redact"

// KeyKind is one kind of credential a provider recognises: the one
// definition its parser, the redactor and the CLI's "this is a …" all use.
type KeyKind struct {
	// Kind is a stable name ("sendgrid-api-key").
	Kind string
	// Human names it for people ("SendGrid API key"), so a message can say
	// what a key is without quoting any of it.
	Human string
	// Prefix is the fixed start every key of the kind has ("SG.").
	Prefix string
	// Pattern is the whole key, unanchored, as a regular expression; its
	// groups are what Match returns ("SG\.([A-Za-z0-9_-]{22})\.(…)").
	Pattern string
	// Loose matches what merely starts like such a key (truncated,
	// mistyped): refused where only a name belongs, never quoted. Empty:
	// the prefix and six more key characters.
	Loose string
	// Checksum reports whether a key of the right shape has a valid
	// checksum; nil when the format has none.
	Checksum func(key string) bool
	// Revoke says where a responder revokes one by hand.
	Revoke string
	// Playbook is the built-in playbook that responds to a leak of one, and
	// Input the name of its (secret) input that takes the key; "" means
	// "key".
	Playbook string
	Input    string
	// Sample is a made-up key of the kind (a valid checksum included):
	// registration proves the redactor catches it.
	Sample string
	// Batch, when set, names the step of Playbook whose action can act on
	// many keys of the kind in one request (a provider's bulk revocation):
	// a response to several keys at once (playbook.Compose) runs that step
	// once for all of them, BatchMax keys (0: no limit) a step, giving it the
	// keys as the list parameter BatchParam, declared secret.
	Batch      string
	BatchParam string
	BatchMax   int
	// InputsFromEnv maps inputs of Playbook to the environment variable a
	// server (keyir serve, where a request gives only the key) reads each
	// from: GitHub's organization (GITHUB_ORG), without which its
	// assessment is not assessable and finds no footholds.
	InputsFromEnv map[string]string

	// plain is Pattern as it is, compiled at registration for the
	// redactor (which must know every shape before anything is printed);
	// whole is the whole-key expression Match uses, compiled on the first
	// match (wholeOnce): most commands never identify a key, and compiling
	// every kind's second expression was part of every start-up.
	plain, loose *regexp.Regexp
	wholeOnce    sync.Once
	whole        *regexp.Regexp
}

func (k *KeyKind) compile() error {
	if k.Kind == "" || k.Human == "" || k.Prefix == "" || k.Pattern == "" || k.Sample == "" {
		return fmt.Errorf("key kind %q needs Kind, Human, Prefix, Pattern and Sample", k.Kind)
	}
	if !strings.HasPrefix(k.Sample, k.Prefix) {
		return fmt.Errorf("key kind %s: the sample does not start with %q", k.Kind, k.Prefix)
	}
	plain, err := regexp.Compile(k.Pattern)
	if err != nil {
		return fmt.Errorf("key kind %s: %w", k.Kind, err)
	}
	loose := k.Loose
	if loose == "" {
		loose = regexp.QuoteMeta(k.Prefix) + `[A-Za-z0-9_.-]{6,}`
	}
	lre, err := regexp.Compile(loose)
	if err != nil {
		return fmt.Errorf("key kind %s: %w", k.Kind, err)
	}
	k.plain, k.loose = plain, lre
	if !k.sampleMatches() {
		return fmt.Errorf("key kind %s: its sample does not match its pattern and checksum", k.Kind)
	}
	return nil
}

// sampleMatches is Valid(k.Sample), checked at registration without the
// whole-key expression: when the plain pattern's first match is the whole
// sample, the sample is a key of the pattern. Only when it is not (a
// malformed kind, or an alternative preferred for a shorter match) is the
// whole-key expression compiled to decide, as Match would.
func (k *KeyKind) sampleMatches() bool {
	if k.Checksum != nil && !k.Checksum(k.Sample) {
		return false
	}
	if loc := k.plain.FindStringIndex(k.Sample); loc != nil && loc[0] == 0 && loc[1] == len(k.Sample) {
		return true
	}
	return k.Match(k.Sample) != nil
}

// Match returns the groups of the kind's pattern when key is, whole, a key
// of the kind (nil otherwise): element 0 is the key, then each group. The
// checksum is not checked: Valid does.
func (k *KeyKind) Match(key string) []string {
	return matchWhole(k.wholeExpr(), key)
}

// wholeExpr is the whole-key expression, compiled on first use (by
// whichever goroutine comes first; the others wait for it). A pattern that
// does not compile is refused at registration (compile), so the panic here
// is only for a kind used without being registered.
func (k *KeyKind) wholeExpr() *regexp.Regexp {
	k.wholeOnce.Do(func() {
		whole, err := wholeRE(k.Pattern)
		if err != nil {
			panic(err)
		}
		k.whole = whole
	})
	return k.whole
}

// Valid reports whether key is a key of the kind, with a valid checksum
// where the format has one.
func (k *KeyKind) Valid(key string) bool {
	return k.Match(key) != nil && (k.Checksum == nil || k.Checksum(key))
}

// Named is the kind's human name with its article ("a SendGrid API key"),
// for "this is …" messages that never quote the key.
func (k *KeyKind) Named() string { return article(k.Human) }

// KeyInput is the input of the kind's playbook that takes the key.
func (k *KeyKind) KeyInput() string {
	if k.Input == "" {
		return "key"
	}
	return k.Input
}

// feedRedactor registers the kind's shape with the redactor, so anything
// shaped like it is redacted wherever it appears, and proves, with the
// kind's sample, that it is.
func feedRedactor(p Provider, k *KeyKind) {
	redact.RegisterShape(redact.Shape{
		Prefix:  k.Prefix,
		Name:    article(k.Human),
		Revoke:  k.Revoke,
		Pattern: k.plain,
		Loose:   k.loose,
		Sample:  k.Sample,
	})
	if !redact.New().Contains(k.Sample) || !redact.LooksLikeKey(k.Sample) {
		panic(fmt.Sprintf("provider: %s: the redactor does not catch a %s", p.Name, k.Human))
	}
}

// article puts "a" or "an" before a kind's name.
func article(s string) string {
	if s != "" && strings.ContainsRune("AEIOUaeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// Recognised is what Identify learns about a key.
type Recognised struct {
	*KeyKind
	// Provider is the provider that registered the kind.
	Provider string
	// ChecksumOK is false when the key has the kind's shape but not a valid
	// checksum (a mistyped or forged key); true when the format has none.
	ChecksumOK bool
}

// Identify names the registered kind key has the shape of. Where two kinds
// match, the longer prefix wins. It never returns any part of the key.
func Identify(key string) (Recognised, bool) {
	key = strings.TrimSpace(key)
	var best Recognised
	for _, p := range registry() {
		for _, k := range p.Keys {
			if k.Match(key) == nil || (best.KeyKind != nil && len(best.Prefix) >= len(k.Prefix)) {
				continue
			}
			best = Recognised{KeyKind: k, Provider: p.Name, ChecksumOK: k.Checksum == nil || k.Checksum(key)}
		}
	}
	return best, best.KeyKind != nil
}

// Kinds lists every registered key kind, sorted by Kind.
func Kinds() []*KeyKind {
	var out []*KeyKind
	for _, p := range registry() {
		out = append(out, p.Keys...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}
