package redact

import "unicode/utf8"

// Clip is s redacted, then cut to at most n bytes at a rune boundary: the
// one order for text shown in part (an answer's body in an output or an
// error). Cutting first could leave part of a secret the redactor no longer
// recognises.
func (r *Redactor) Clip(s string, n int) string {
	s = r.String(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
