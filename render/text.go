package render

import "fmt"
import "strconv"
import "strings"
import "time"
import "unicode"
import "unicode/utf8"

// FormatTime is a timestamp in UTC, to the second: incident timelines are
// compared across people in different zones.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Plain makes text from an API or a playbook safe for one line of a
// terminal: line breaks and tabs become spaces; other control characters
// (an ANSI escape could rewrite the screen) and bidirectional overrides
// (which can make text read differently from what it is) are dropped.
func Plain(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r), isBidi(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// Truncate caps s at n runes, marking the cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// md makes untrusted text inert in Markdown. Finding titles, details and URLs
// come from APIs an attacker controls (a key's name, a webhook URL), so
// nothing in them may become a link, an image, HTML, a Slack-style mention
// (<!here>), a code span, or a table cell boundary. The characters that open
// those (and emphasis) are backslash-escaped, which CommonMark renders as the
// character itself; with [ and < escaped no link, image or tag can form.
// "://" and "www." are broken up so GitHub does not autolink a bare URL. The
// text is kept on one line.
func md(s string) string {
	s = Plain(s)
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '\\', '`', '*', '[', ']', '<', '>', '|', '~', '&':
			b.WriteByte('\\')
		case '_':
			// Inside a word (revoke_key) an underscore cannot start
			// emphasis; escaping it there would only hurt readability.
			if !(i > 0 && i+1 < len(rs) && isWord(rs[i-1]) && isWord(rs[i+1])) {
				b.WriteByte('\\')
			}
		case ':':
			if strings.HasPrefix(string(rs[i+1:min(i+3, len(rs))]), "//") {
				b.WriteByte('\\')
			}
		case '.':
			if i >= 3 && strings.EqualFold(string(rs[i-3:i]), "www") {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// ClipWords shortens every word (a run without white space) of s longer
// than n runes to its head and tail around "…[N bytes]…": an error message
// quotes what it was given — a path, a flag's value, a scenario name — and
// a megabyte argument must not become a megabyte message. The head and
// tail keep it recognisable; the rest of s is untouched. n below 24 is 24.
func ClipWords(s string, n int) string {
	n = max(n, 24)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	var b strings.Builder
	start := -1
	flush := func(end int) {
		w := s[start:end]
		if utf8.RuneCountInString(w) <= n {
			b.WriteString(w)
			return
		}
		r := []rune(w)
		head, tail := n*2/3, n/3
		b.WriteString(string(r[:head]))
		b.WriteString("…[" + strconv.Itoa(len(w)) + " bytes]…")
		b.WriteString(string(r[len(r)-tail:]))
	}
	for i, c := range s {
		if unicode.IsSpace(c) {
			if start >= 0 {
				flush(i)
				start = -1
			}
			b.WriteRune(c)
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		flush(len(s))
	}
	return b.String()
}

// Escaped keeps the lines of s (line breaks and tabs) and shows every other
// control character, bidirectional override and invalid byte as a Go escape
// (`\x1b`, `\u202e`, `\xff`). An error message quotes what it was given — a
// path, a flag's value, a name read from a run directory — and such text may
// carry an ANSI sequence that would move the cursor, clear the screen or
// repaint an earlier line; escaped, it is shown as what it is, and the path
// stays recognisable (Plain drops those characters, for one-line labels).
func Escaped(s string) string { return escape(s, true) }

// EscapedLine is Escaped for text that must stay one line, such as the FILE
// of a FILE:LINE:COL listing: line breaks and tabs are shown as escapes too,
// so a name cannot start a line of its own that reads like keyir's.
func EscapedLine(s string) string { return escape(s, false) }

func escape(s string, keepLines bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1: // an invalid byte, not U+FFFD itself
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case (!keepLines || r != '\n' && r != '\t') && (unicode.IsControl(r) || isBidi(r)):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
