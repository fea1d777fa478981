package slacksim

import "encoding/json"
import "fmt"
import "html"
import "strings"

// Transcript renders a channel as a person would read it: each top-level
// message with its blocks flattened to text, then its thread replies
// indented, files as attachments, edits and ephemeral visibility marked. The
// drill prints it so the participants see what the incident channel got.
func (s *Server) Transcript(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.channelID(channel)
	if id == "" {
		return fmt.Sprintf("(no channel %q)\n", channel)
	}
	msgs := s.sortedMessages(id)
	var b strings.Builder
	fmt.Fprintf(&b, "#%s (%s)\n", s.channel(id).Name, id)
	if len(msgs) == 0 {
		b.WriteString("  (no messages)\n")
	}
	for _, m := range msgs {
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			continue
		}
		writeMessage(&b, m, "")
		for _, r := range msgs {
			if r.ThreadTS == m.TS && r != m {
				writeMessage(&b, r, "    │ ")
			}
		}
	}
	return b.String()
}

func writeMessage(b *strings.Builder, m *Message, indent string) {
	head := "[" + m.TS + "] " + m.User
	if m.Ephemeral {
		head += " (only visible to " + m.User + ")"
	}
	if m.Edited() {
		head += " (edited)"
	}
	b.WriteString(indent + head + "\n")
	body := renderBlocks(m.Blocks)
	if body == "" {
		body = m.Text
	}
	for _, line := range strings.Split(strings.TrimRight(html.UnescapeString(body), "\n"), "\n") {
		if line == "" && body == "" {
			continue
		}
		b.WriteString(indent + "  " + line + "\n")
	}
	for _, f := range m.Files {
		fmt.Fprintf(b, "%s  📎 %s (%s, %d bytes)\n", indent, f.Title, f.Name, len(f.Content))
	}
}

// renderBlocks flattens Block Kit to text: headers, sections and their
// fields, context lines, dividers, buttons.
func renderBlocks(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	type text struct {
		Text string `json:"text"`
	}
	var blocks []struct {
		Type     string `json:"type"`
		Text     *text  `json:"text"`
		Fields   []text `json:"fields"`
		Elements []struct {
			Type string          `json:"type"`
			Text json.RawMessage `json:"text"`
		} `json:"elements"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return string(raw)
	}
	var b strings.Builder
	for _, bl := range blocks {
		switch bl.Type {
		case "header":
			if bl.Text != nil {
				b.WriteString("== " + bl.Text.Text + " ==\n")
			}
		case "section":
			if bl.Text != nil {
				b.WriteString(bl.Text.Text + "\n")
			}
			for _, f := range bl.Fields {
				b.WriteString("  " + strings.ReplaceAll(f.Text, "\n", " ") + "\n")
			}
		case "context":
			var parts []string
			for _, e := range bl.Elements {
				var s string
				if json.Unmarshal(e.Text, &s) == nil {
					parts = append(parts, s)
				}
			}
			b.WriteString(strings.Join(parts, " · ") + "\n")
		case "divider":
			b.WriteString("────────\n")
		case "actions":
			var parts []string
			for _, e := range bl.Elements {
				var t text
				if json.Unmarshal(e.Text, &t) == nil {
					parts = append(parts, "["+t.Text+"]")
				}
			}
			b.WriteString(strings.Join(parts, " ") + "\n")
		}
	}
	return b.String()
}
