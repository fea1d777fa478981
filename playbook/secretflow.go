package playbook

import "fmt"
import "sort"
import "strings"

// Secret flow, checked at load.
//
// A secret input (the leaked key) may reach exactly one kind of place: a
// parameter its action declares secret (`param:"key,secret"`), as the whole
// value and untouched: `key: "{{ .inputs.key }}"`. The action then registers
// it with the redactor before using it. Every other use is a load error, so
// a playbook cannot put the key in a URL, a note, a header, a list, a
// mapping, or a string built around it, nor transform it into a form the
// redactor would not recognise (there is no function a secret can reach:
// any template that reads it other than directly is refused).
//
// The rules, and why:
//   - Reading the whole scope ({{ . }}, {{ $ }}) or the whole inputs map
//     (.inputs, index .inputs …, range .inputs, with .inputs) counts as
//     reading every secret input in it: it would print or hand them on.
//   - An `if` cannot read a secret input at all, not even to test that it is
//     set: a comparison leaks a bit per run, and a playbook could branch on
//     prefixes. Test a non-secret input (key_id) instead; an action given an
//     empty key already knows what to do.
//   - Step outputs are not secret: an action returns no secret (identify_key
//     returns the key's id and fingerprint, not the key), and the runner
//     redacts every output before a later step can read it.
//   - Run metadata (.run) is not secret: incident ids and operators that
//     look like keys are refused before a run starts.

// secretInputs is the set of the playbook's secret input names.
func secretInputs(inputs []Input) map[string]bool {
	out := map[string]bool{}
	for _, in := range inputs {
		if in.Secret {
			out[in.Name] = true
		}
	}
	return out
}

// secretsRead lists, sorted, the secret inputs a path read from the root
// reaches: the whole scope and the whole inputs map reach all of them.
func secretsRead(path []string, secret map[string]bool) []string {
	var out []string
	switch {
	case len(path) == 0, len(path) == 1 && path[0] == "inputs":
		for name := range secret {
			out = append(out, name)
		}
		sort.Strings(out)
	case path[0] == "inputs" && secret[path[1]]:
		out = []string{path[1]}
	}
	return out
}

// secretUse describes how a template reads secret inputs: none, directly
// (the whole template is one secret input), or otherwise.
type secretUse struct {
	names  []string // secret inputs read, sorted, without duplicates
	direct bool     // the template is exactly {{ .inputs.NAME }} of a secret input
	whole  string   // a read of the whole scope or inputs map, as written, if any
}

func (t *Template) secretUse(secret map[string]bool) secretUse {
	var u secretUse
	if len(secret) == 0 {
		return u
	}
	seen := map[string]bool{}
	for _, p := range t.reads {
		names := secretsRead(p, secret)
		if len(names) > 0 && len(p) < 2 && u.whole == "" {
			u.whole = "." + strings.Join(p, ".")
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				u.names = append(u.names, n)
			}
		}
	}
	sort.Strings(u.names)
	u.direct = len(u.names) == 1 && t.direct == u.names[0] && u.whole == ""
	return u
}

// checkSecretFlow reports every use of a secret input that is not the whole
// value of a secret parameter. ta.param is "" for `if`; ta.whole is false for
// a template nested in a list or mapping.
func (l *loader) checkSecretFlow(src stepSource, ta templateAt, secret map[string]bool) {
	u := ta.t.secretUse(secret)
	if len(u.names) == 0 {
		return
	}
	name := u.names[0]
	what := fmt.Sprintf("the secret input %q", name)
	if len(u.names) > 1 {
		what = fmt.Sprintf("the secret inputs %s", quoteList(u.names))
	}
	switch {
	case ta.param == "":
		l.errf(ta.node, "%s: if: a condition cannot read %s (a test leaks part of it); test a non-secret input instead", src.label, what)
	case u.whole != "":
		l.errf(ta.node, "%s: %s: %s reads %s; name the inputs you need (.inputs.NAME)", src.label, ta.where, wholeName(u.whole), what)
	case ta.secretParam == nil:
		// Unknown action or parameter: already reported.
	case !*ta.secretParam:
		l.errf(ta.node, "%s: %s: %s can go only to a parameter declared secret, and %s of %s is not one", src.label, ta.where, what, ta.param, src.action)
	case !ta.whole || !u.direct:
		l.errf(ta.node, "%s: %s: %s must be the whole value, untransformed: write '{{ .inputs.%s }}'", src.label, ta.where, what, name)
	}
}

func wholeName(w string) string {
	if w == "." {
		return "the whole scope ({{ . }} or {{ $ }})"
	}
	return w + " (every input)"
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
