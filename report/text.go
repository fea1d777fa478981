package report

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Exit codes of keyir, in one place. The CLI exits with them and the reports
// explain them.
const (
	ExitDone         = 0
	ExitCouldNotRun  = 1
	ExitUsage        = 2
	ExitDegraded     = 3
	ExitNotContained = 4
	// ExitFootholdsOpen: the key is contained (or the run contains nothing),
	// but footholds of high severity or worse found by the assessment stay
	// in the account; `keyir eradicate DIR` removes them.
	ExitFootholdsOpen = 5
)

var exitMeanings = map[int]string{
	ExitDone:          "done",
	ExitCouldNotRun:   "could not run",
	ExitUsage:         "bad usage or invalid playbook",
	ExitDegraded:      "finished with failed non-critical steps",
	ExitNotContained:  "containment not confirmed (the key may still be live)",
	ExitFootholdsOpen: "contained, but footholds of high severity or worse are open (keyir eradicate DIR)",
}

// ExitMeaning says what a keyir exit code means.
func ExitMeaning(code int) string {
	if m, ok := exitMeanings[code]; ok {
		return m
	}
	return "unknown exit code"
}

// FormatDuration is a duration as a responder reads it: "350ms", "1.2s",
// "2m05s", "1h04m". time.Duration.String's "1.234567891s" is noise in a report.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// formatTime is a timestamp in UTC, to the second: incident timelines are
// compared across people in different zones.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// plain makes text from an API or a playbook safe for one line of a
// terminal: line breaks and tabs become spaces; other control characters
// (an ANSI escape could rewrite the screen) and bidirectional overrides
// (which can make text read differently from what it is) are dropped.
func plain(s string) string {
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

// truncate caps s at n runes, marking the cut.
func truncate(s string, n int) string {
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
	s = plain(s)
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
