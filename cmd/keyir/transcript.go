package main

import "regexp"
import "strconv"
import "strings"
import "time"
import "unicode/utf8"

// slackEmoji are the emoji keyir's Slack messages use, as a terminal shows
// them; an unknown :name: is shown as its name, without colons.
var slackEmoji = map[string]string{
	"warning": "⚠", "x": "✗", "white_circle": "○", "white_check_mark": "✓", "rotating_light": "🚨",
	"memo": "📝", "hourglass_flowing_sand": "⏳", "double_vertical_bar": "⏸", "test_tube": "🧪",
	"red_circle": "●", "lock": "🔒", "large_yellow_circle": "●", "large_orange_circle": "●",
	"large_blue_circle": "●", "fast_forward": "⏩", "closed_lock_with_key": "🔐",
}

var (
	// [1796146849.705298] at the start of a transcript head line.
	slackTSRE    = regexp.MustCompile(`^(\s*(?:│ )?)\[(\d{9,11})\.\d+\]`)
	slackEmojiRE = regexp.MustCompile(`:([a-z0-9_+-]+):`)
	slackLinkRE  = regexp.MustCompile(`<([^<>|]+)\|([^<>]+)>`)
	slackBareRE  = regexp.MustCompile(`<(https?://[^<>|]+|mailto:[^<>|]+)>`)
	slackSpecial = regexp.MustCompile(`<!(here|channel|everyone)>`)
	// *bold*, _italic_, ~strike~ around a word or phrase.
	// The closing mark must end a word, so an id with underscores
	// (_AbC_dEf) is left alone.
	slackBoldRE   = regexp.MustCompile(`(^|[\s(])\*([^*\n]+)\*($|[\s).,:;!?])`)
	slackItalicRE = regexp.MustCompile(`(^|[\s(])_([^_\n]+)_($|[\s).,:;!?])`)
	slackStrikeRE = regexp.MustCompile(`(^|[\s(])~([^~\n]+)~($|[\s).,:;!?])`)
	slackCodeRE   = regexp.MustCompile("`([^`\n]+)`")
)

// renderTranscript turns the Slack simulator's transcript into what a
// person reads on a terminal: message times as local clock times, Slack
// markup (bold, italic, links, mentions) and emoji codes as text, and every
// line wrapped to width under its own indent.
func renderTranscript(raw string, width int, loc *time.Location) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(raw, "\n"), "\n") {
		if m := slackTSRE.FindStringSubmatch(line); m != nil {
			if sec, err := strconv.ParseInt(m[2], 10, 64); err == nil {
				line = m[1] + "[" + time.Unix(sec, 0).In(loc).Format("15:04:05") + "]" + line[len(m[0]):]
			}
		}
		line = inertRunes(slackText(line)) // message text is anyone's: no escape reaches the terminal
		indent := line[:len(line)-len(strings.TrimLeft(line, " │"))]
		body := strings.TrimLeft(line, " │")
		if utf8.RuneCountInString(line) <= width || body == "" {
			b.WriteString(line + "\n")
			continue
		}
		room := max(width-utf8.RuneCountInString(indent)-2, 20)
		for i, l := range strings.Split(cellWrap(body, room), "\n") {
			if i == 0 {
				b.WriteString(indent + l + "\n")
			} else {
				b.WriteString(indent + "  " + l + "\n")
			}
		}
	}
	return b.String()
}

// slackText renders one line of Slack mrkdwn as plain text.
func slackText(s string) string {
	s = slackLinkRE.ReplaceAllString(s, "$2 ($1)")
	s = slackBareRE.ReplaceAllString(s, "$1")
	s = slackSpecial.ReplaceAllString(s, "@$1")
	s = slackEmojiRE.ReplaceAllStringFunc(s, func(m string) string {
		name := strings.Trim(m, ":")
		if e, ok := slackEmoji[name]; ok {
			return e
		}
		if _, err := strconv.Atoi(name); err == nil {
			return m // a clock time such as 10:04:05, not an emoji
		}
		return name
	})
	// Adjacent spans (*[DRILL]* *Progress:*) share the space between them,
	// which one match consumes: apply until nothing changes.
	for range 4 {
		prev := s
		for _, re := range []*regexp.Regexp{slackBoldRE, slackItalicRE, slackStrikeRE} {
			s = re.ReplaceAllString(s, "$1$2$3")
		}
		if s == prev {
			break
		}
	}
	return slackCodeRE.ReplaceAllString(s, "$1")
}
