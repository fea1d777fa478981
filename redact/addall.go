package redact

import "strings"

// AddAll registers many secrets at once, with one rebuild of the index:
// Add rebuilds it for each secret, which makes registering the thousands
// of secrets of a scanner's report quadratic.
func (r *Redactor) AddAll(secrets []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < MinLength || r.set[s] {
			continue
		}
		r.set[s] = true
		changed = true
	}
	if changed {
		r.gen++
		r.ix = buildIndex(r.set, r.gen)
	}
}
