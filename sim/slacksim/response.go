// response_url endpoints: what a slash command or button click replies through.

package slacksim

import "encoding/json"
import "io"
import "net/http"
import "strings"
import "time"

// ResponseURLLimit and ResponseURLTTL are Slack's: 5 posts within 30 minutes.
const (
	ResponseURLLimit = 5
	ResponseURLTTL   = 30 * time.Minute
)

// NewResponseURL returns a response_url for a slash command or interaction
// from user in channel; base is the server's root ("http://127.0.0.1:port"),
// or "" for the root of Listen.
func (s *Server) NewResponseURL(base, channel, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if base == "" {
		base = s.root
	}
	id := s.nextID("R")
	s.responses[id] = &responseURL{Channel: s.channelID(channel), User: user, Created: s.o.Now()}
	return strings.TrimSuffix(base, "/") + "/response/" + id
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	c := Call{Time: s.o.Now(), Method: "response", Path: r.URL.Path, Header: cleanHeader(r.Header), Token: token(r)}
	if s.applyFault(w, r, &c) {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	c.JSON = json.RawMessage(b)
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	s.mu.Lock()
	ru := s.responses[r.PathValue("id")]
	var code string
	switch {
	case ru == nil:
		code = "invalid_url"
	case s.o.Now().Sub(ru.Created) > ResponseURLTTL:
		code = "expired_url"
	case ru.Posts >= ResponseURLLimit:
		code = "used_url"
	case json.Unmarshal(b, &msg) != nil:
		code = "invalid_json"
	}
	if code != "" {
		s.mu.Unlock()
		c.Status, c.Error = http.StatusNotFound, code
		s.record(c)
		writeJSON(w, http.StatusNotFound, reply{"ok": false, "error": code})
		return
	}
	ru.Posts++
	if len(msg.Blocks) == 0 || string(msg.Blocks) == "null" {
		msg.Blocks = nil
	}
	m := &Message{Channel: ru.Channel, TS: s.nextTS(), ThreadTS: msg.ThreadTS, Text: msg.Text, Blocks: msg.Blocks,
		User: ru.User, Ephemeral: msg.ResponseType != "in_channel"}
	if !m.Ephemeral {
		m.User = s.o.BotUserID
	}
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	c.Status = 200
	s.record(c)
	// An empty 200 would make slack-go fail with "mime: no media type".
	writeJSON(w, 200, reply{"ok": true})
}
