package notify

import "strings"

import "github.com/slack-go/slack/slackutilsx"

// SlackEscape makes text from an API or a user safe for Slack: &, < and > are
// escaped, so "<!channel>", "<@U123>" or "<https://evil|click>" in a key name
// reach the channel as text, not as a mention or a disguised link. Slack
// never escapes block text for you.
func SlackEscape(s string) string { return slackutilsx.EscapeMessage(s) }

// SlackLiteral renders untrusted text for a mrkdwn field as inline code:
// escaped as SlackEscape does, and inside backticks so *bold*, _italic_,
// ~strike~ and bare links are shown as typed. Backticks in s would end the
// code span, so they become a look-alike (ˋ). Newlines are flattened: a field
// value is one line.
func SlackLiteral(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	s = strings.NewReplacer("`", "ˋ", "\r", " ", "\n", " ").Replace(s)
	return "`" + SlackEscape(s) + "`"
}
