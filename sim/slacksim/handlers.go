// The Web API methods: dispatch, replies, and the message methods.

package slacksim

import "encoding/json"
import "io"
import "mime"
import "net/http"
import "net/url"
import "strconv"
import "strings"
import "time"

type reply map[string]any

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// token returns the credential of a request: the form field (what slack-go
// sends for most methods) or the Bearer header.
func token(r *http.Request) string {
	if t := r.PostForm.Get("token"); t != "" {
		return t
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		return strings.TrimPrefix(a, "Bearer ")
	}
	return ""
}

func cleanHeader(h http.Header) http.Header {
	c := h.Clone()
	c.Del("Authorization")
	c.Del("Cookie")
	return c
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	call := Call{Time: s.o.Now(), Method: method, Path: r.URL.Path, Header: cleanHeader(r.Header)}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if len(b) > 0 {
			call.JSON = json.RawMessage(b)
		}
	} else if err := r.ParseForm(); err != nil {
		call.Status, call.Error = 200, "invalid_form_data"
		s.record(call)
		writeJSON(w, 200, reply{"ok": false, "error": "invalid_form_data"})
		return
	}
	call.Token = token(r)
	call.Fields = url.Values{}
	for k, v := range r.PostForm {
		if k != "token" {
			call.Fields[k] = v
		}
	}
	for k, v := range r.URL.Query() {
		if k != "token" {
			call.Fields[k] = v
		}
	}
	if s.applyFault(w, r, &call) {
		return
	}
	if h, ok := tokenMethods[method]; ok {
		s.tokenAPI(w, r, &call, h)
		return
	}
	want := s.o.BotToken
	if method == "apps.connections.open" {
		want = s.o.AppToken
	}
	if call.Token == "" || call.Token != want {
		errCode := "invalid_auth"
		if call.Token == "" {
			errCode = "not_authed"
		}
		s.fail(w, &call, errCode)
		return
	}
	// keyir's own bot token is in the token model too: revoked (a leak of
	// it, contained), every method refuses it.
	if _, code := s.authenticate(call.Token); code != "" {
		s.fail(w, &call, code)
		return
	}
	h, ok := apiMethods[method]
	if !ok {
		s.fail(w, &call, "unknown_method")
		return
	}
	h(s, w, r, &call)
}

var apiMethods = map[string]func(*Server, http.ResponseWriter, *http.Request, *Call){
	"chat.postMessage":             (*Server).postMessage,
	"chat.update":                  (*Server).update,
	"chat.postEphemeral":           (*Server).postEphemeral,
	"files.getUploadURLExternal":   (*Server).getUploadURL,
	"files.completeUploadExternal": (*Server).completeUpload,
	"conversations.info":           (*Server).conversationsInfo,
	"usergroups.users.list":        (*Server).usergroupUsers,
	"apps.connections.open":        (*Server).connectionsOpen,
}

func (s *Server) fail(w http.ResponseWriter, call *Call, code string) {
	s.failWith(w, call, code, nil)
}

// failWith answers ok:false with code and the extra fields Slack adds to
// some errors (missing_scope's needed and provided).
func (s *Server) failWith(w http.ResponseWriter, call *Call, code string, extra reply) {
	v := reply{}
	for k, x := range extra {
		v[k] = x
	}
	v["ok"], v["error"] = false, code
	call.Error = code
	s.answer(w, call, v)
}

func (s *Server) ok(w http.ResponseWriter, call *Call, v reply) {
	v["ok"] = true
	s.answer(w, call, v)
}

// answer records the call with the body it is answered with (the contract
// test reads both), then sends it: HTTP 200, as Slack answers every
// outcome but throttling.
func (s *Server) answer(w http.ResponseWriter, call *Call, v reply) {
	b, _ := json.Marshal(v)
	call.Status, call.Reply = 200, b
	s.record(*call)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(200)
	w.Write(append(b, '\n'))
}

// message reads text and blocks; blocks must be a JSON array.
func messageBody(c *Call) (text string, blocks json.RawMessage, errCode string) {
	text = c.Fields.Get("text")
	if b := c.Fields.Get("blocks"); b != "" {
		var arr []json.RawMessage
		if json.Unmarshal([]byte(b), &arr) != nil {
			return "", nil, "invalid_blocks"
		}
		blocks = json.RawMessage(b)
		if len(arr) == 0 {
			blocks = nil
		}
	}
	if text == "" && blocks == nil {
		return "", nil, "no_text"
	}
	return text, blocks, ""
}

// newMessage reads what chat.postMessage and chat.postEphemeral share: the
// channel (an id, a name or "#name"), the user when the method needs one,
// and the body. On a problem it answers Slack's error and ok is false.
func (s *Server) newMessage(w http.ResponseWriter, c *Call, needUser bool) (id, text string, blocks json.RawMessage, ok bool) {
	s.mu.Lock()
	id = s.channelID(c.Fields.Get("channel"))
	s.mu.Unlock()
	code := ""
	switch {
	case id == "":
		code = "channel_not_found"
	case needUser && c.Fields.Get("user") == "":
		code = "user_not_in_channel"
	default:
		text, blocks, code = messageBody(c)
	}
	if code != "" {
		s.fail(w, c, code)
		return "", "", nil, false
	}
	return id, text, blocks, true
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, c *Call) {
	id, text, blocks, ok := s.newMessage(w, c, false)
	if !ok {
		return
	}
	if ok, wait := s.allow(id); !ok {
		c.Status = http.StatusTooManyRequests
		s.record(*c)
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	s.mu.Lock()
	thread := c.Fields.Get("thread_ts")
	if thread != "" {
		parent := s.findMessage(id, thread)
		if parent == nil {
			s.mu.Unlock()
			s.fail(w, c, "thread_not_found")
			return
		}
		if parent.ThreadTS != "" { // replying to a reply lands in its thread
			thread = parent.ThreadTS
		}
	}
	m := &Message{Channel: id, TS: s.nextTS(), ThreadTS: thread, Text: text, Blocks: blocks, User: s.o.BotUserID}
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	s.ok(w, c, reply{"channel": id, "ts": m.TS, "message": msgJSON(m)})
}

func msgJSON(m *Message) reply {
	out := reply{"type": "message", "text": m.Text, "ts": m.TS, "user": m.User}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	return out
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, c *Call) {
	ch := c.Fields.Get("channel")
	s.mu.Lock()
	// chat.update wants the channel id; a name is channel_not_found.
	known := s.channel(ch).ID != ""
	var m *Message
	if known {
		m = s.findMessage(ch, c.Fields.Get("ts"))
	}
	s.mu.Unlock()
	if !known {
		s.fail(w, c, "channel_not_found")
		return
	}
	if m == nil {
		s.fail(w, c, "message_not_found")
		return
	}
	text, blocks, code := messageBody(c)
	if code != "" {
		s.fail(w, c, code)
		return
	}
	s.mu.Lock()
	m.Versions = append(m.Versions, Version{Text: m.Text, Blocks: m.Blocks})
	m.Text = text
	if c.Fields.Has("blocks") {
		m.Blocks = blocks
	}
	resp := reply{"channel": ch, "ts": m.TS, "text": m.Text, "message": msgJSON(m)}
	s.mu.Unlock()
	s.ok(w, c, resp)
}

func (s *Server) postEphemeral(w http.ResponseWriter, r *http.Request, c *Call) {
	id, text, blocks, ok := s.newMessage(w, c, true)
	if !ok {
		return
	}
	s.mu.Lock()
	m := &Message{Channel: id, TS: s.nextTS(), ThreadTS: c.Fields.Get("thread_ts"), Text: text, Blocks: blocks, User: c.Fields.Get("user"), Ephemeral: true}
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	s.ok(w, c, reply{"message_ts": m.TS})
}

func (s *Server) conversationsInfo(w http.ResponseWriter, r *http.Request, c *Call) {
	s.mu.Lock()
	ch := s.channel(c.Fields.Get("channel"))
	s.mu.Unlock()
	if ch.ID == "" {
		s.fail(w, c, "channel_not_found")
		return
	}
	s.ok(w, c, reply{"channel": reply{"id": ch.ID, "name": ch.Name, "is_channel": !ch.Private,
		"is_private": ch.Private, "is_member": true}})
}

func (s *Server) usergroupUsers(w http.ResponseWriter, r *http.Request, c *Call) {
	users, ok := s.o.UserGroups[c.Fields.Get("usergroup")]
	if !ok {
		s.fail(w, c, "no_such_subteam")
		return
	}
	s.ok(w, c, reply{"users": append([]string{}, users...)})
}
