package main

import "context"
import "fmt"
import "slices"
import "strings"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/scanners"

// reportKey is one distinct secret of a scanner's report: the key, what it
// is, and every place the report found it.
type reportKey struct {
	secret string
	kind   provider.Recognised
	// why it is not handled ("" when it is).
	why   string
	rule  string
	found []string
}

// respondFrom contains, in one incident, every key of a scanner's report
// that keyir responds to, and lists the others as not handled, by rule and
// location.
func (a *app) respondFrom(ctx context.Context, o runOptions, path, format string) error {
	asked := format // the resume hint repeats only what was asked
	format, findings, err := a.readReport(path, format)
	if err != nil {
		return err
	}
	keys := distinctKeys(findings)
	var handled, other []*reportKey
	for _, k := range keys {
		if k.why == "" {
			handled = append(handled, k)
		} else {
			other = append(other, k)
		}
	}
	fmt.Fprintf(a.errOut, "keyir: %s (%s): %d finding(s), %d distinct secret(s); %d of a kind keyir responds to, %d not handled\n",
		path, format, len(findings), len(keys), len(handled), len(other))
	a.printNotHandled(other)
	switch {
	case len(handled) == 0:
		return usageErr(fmt.Errorf("nothing to respond to: no secret in %s is a key keyir responds to (it knows %s); revoke the others where they were issued", path, provider.KnownKinds()))
	case len(handled) > playbook.MaxComposedKeys:
		return usageErr(fmt.Errorf("%s holds %d keys keyir responds to; one incident takes at most %d: split the report", path, len(handled), playbook.MaxComposedKeys))
	}
	parts := make([]playbook.ComposePart, len(handled))
	o.keys = map[string]string{}
	for i, k := range handled {
		found := make([]string, len(k.found))
		for j, loc := range k.found {
			found[j] = a.red.String(plainText(loc)) // a report's path is text from outside
		}
		parts[i] = playbook.ComposePart{Kind: k.kind.KeyKind, Fingerprint: redact.Fingerprint(k.secret), Found: found}
		o.keys[playbook.KeyInputOf(i, k.kind.KeyKind)] = k.secret
		fmt.Fprintf(a.errOut, "keyir: %s: %s %s (%s at %s)\n", playbook.Label(i), k.kind.Human, parts[i].Fingerprint, clipRule(k.rule), strings.Join(found, "; "))
	}
	pb, err := playbook.Compose(fmt.Sprintf("respond-%d-keys", len(parts)), parts)
	if err != nil {
		return a.reportLoadError(err)
	}
	o.playbook = pb.Name
	o.from, o.fromFormat = path, asked
	o.flagInputs = perKeyInputs(pb, o.flagInputs, len(parts))
	o.inputs = perKeyRaw(pb, o.inputs, len(parts))
	return a.runResolved(ctx, pb, o)
}

// distinctKeys groups a report's findings by secret, in the order first
// found, and says which keys keyir responds to.
func distinctKeys(findings []scanners.Finding) []*reportKey {
	var out []*reportKey
	bySecret := map[string]*reportKey{}
	for _, f := range findings {
		k, seen := bySecret[f.Secret]
		if !seen {
			k = &reportKey{secret: f.Secret, rule: f.Rule}
			r, err := provider.Recognise(f.Secret)
			k.kind = r
			if err != nil {
				k.why = "no shape keyir responds to"
				if r.KeyKind != nil && !r.ChecksumOK {
					k.why = "looks like " + r.Named() + " but its checksum does not match"
				} else if r.KeyKind != nil {
					k.why = r.Named() + ", which keyir has no response for: revoke it in " + r.Revoke
				}
			}
			bySecret[f.Secret] = k
			out = append(out, k)
		}
		if loc := f.Location(); !slices.Contains(k.found, loc) {
			k.found = append(k.found, loc)
		}
	}
	return out
}

// printNotHandled lists the secrets keyir does not respond to: by the
// scanner's rule and every location, never by value.
func (a *app) printNotHandled(other []*reportKey) {
	for _, k := range other {
		fmt.Fprintf(a.errOut, "keyir: not handled: %s at %s — %s\n", clipRule(k.rule), plainText(strings.Join(k.found, "; ")), k.why)
	}
}

// clipRule bounds a scanner's rule name for a message (it comes from the
// report).
func clipRule(rule string) string {
	if rule == "" {
		return "(no rule)"
	}
	return clipText(plainText(rule), 60)
}

// perKeyInputs gives each key's playbook the convenience inputs (the
// exposure window) it declares: --window-start is k1_window_start, … .
func perKeyInputs(pb *playbook.Playbook, flags map[string]string, n int) map[string]string {
	out := map[string]string{}
	for name, v := range flags {
		for _, in := range perKeyNames(pb, name, n) {
			out[in] = v
		}
	}
	return out
}

// perKeyRaw does the same for --input NAME=VALUE: --input org=acme gives
// every key whose playbook takes an org its own k1_org, k3_org, … .
// Malformed ones pass unchanged, for givenInputs' refusal.
func perKeyRaw(pb *playbook.Playbook, raw []string, n int) []string {
	var out []string
	for _, kv := range raw {
		name, v, ok := strings.Cut(kv, "=")
		if !ok {
			out = append(out, kv)
			continue
		}
		for _, in := range perKeyNames(pb, strings.TrimSpace(name), n) {
			out = append(out, in+"="+v)
		}
	}
	return out
}

// perKeyNames are the composed playbook's names for input name: each key's
// own where its playbook declares it, else name itself (refused by name, as
// keyir run refuses it).
func perKeyNames(pb *playbook.Playbook, name string, n int) []string {
	var out []string
	for i := range n {
		if in := playbook.Label(i) + "_" + name; declares(pb, in) {
			out = append(out, in)
		}
	}
	if len(out) == 0 {
		return []string{name}
	}
	return out
}
