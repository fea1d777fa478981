// Package slacksim is a simulated Slack Web API for drills and tests. It speaks what keyir uses, the way slack-go expects it:
// auth.test, chat.postMessage / update / postEphemeral, the three-step file
// upload (files.getUploadURLExternal, POST to the upload URL on this server's
// own host, files.completeUploadExternal), conversations.info,
// usergroups.users.list, response_url endpoints, and Socket Mode
// (apps.connections.open and a WebSocket at /ws).
//
// Like Slack, failures are HTTP 200 with {"ok":false,"error":"…"}; throttling
// is HTTP 429 with Retry-After. Faults can be injected per method. Every call
// is recorded (credentials removed) so tests can assert what reached "Slack",
// and Transcript renders a channel as a person would read it.
//
// Serve it with httptest.NewServer(sim) and point slack-go at
// srv.URL+"/api/", or call Listen for a loopback listener.
package slacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults used when Options leaves them empty.
const (
	DefaultBotToken = "xoxb-0000000000-0000000000-simulatedBotToken"
	DefaultAppToken = "xapp-1-A0000000000-0000000000-simulatedAppToken"
	DefaultTeamID   = "T0SIMTEAM"
	DefaultBotUser  = "U0KEYIRBOT"
	DefaultAppID    = "A0KEYIR"
)

// Channel is a channel the simulated workspace has.
type Channel struct {
	ID, Name string
	Private  bool
}

// DefaultChannels are #incidents and #keyir-drill.
var DefaultChannels = []Channel{{ID: "C0INCIDENT", Name: "incidents"}, {ID: "C0DRILL", Name: "keyir-drill"}}

// RateLimit models chat.postMessage's ~1 message per second per channel: a
// token bucket per channel.
type RateLimit struct {
	Off bool
	// Interval refills one message; default 1s.
	Interval time.Duration
	// Burst is how many messages may go at once; default 3.
	Burst int
}

// Options configure a Server. The zero value is a usable workspace.
type Options struct {
	BotToken, AppToken, TeamID, BotUserID, AppID string
	Channels                                     []Channel
	// UserGroups maps a user group id (S…) to its members.
	UserGroups map[string][]string
	RateLimit  RateLimit
	// Now is the clock (response_url expiry, message timestamps); default time.Now.
	Now func() time.Time
}

// Fault makes the next Times calls of Method fail. Method is a Web API method
// ("chat.postMessage"), "upload" (the upload URL), "response" (response_url
// posts) or "*" for any.
type Fault struct {
	Method string
	Times  int // default 1
	// Exactly one of the following applies, first set wins:
	Error      string        // HTTP 200 {"ok":false,"error":Error}
	Status     int           // this HTTP status; 429 gets Retry-After
	RetryAfter time.Duration // Retry-After for Status 429 (default 1s)
	Hang       bool          // never answer until the client gives up or the server closes
	Reset      bool          // drop the connection without an answer
}

// Call is one request the simulator received. Credentials are kept apart in
// Token and never copied into Fields, JSON or Header, so a test can search the
// recorded content for secrets that should not be there.
type Call struct {
	Time   time.Time
	Method string // API method, "upload", "response", "ws.ack"
	Path   string
	Token  string // the credential it authenticated with (form token or Bearer)
	Header http.Header
	Fields url.Values      // form fields, without "token"
	JSON   json.RawMessage // JSON body (response_url, Socket Mode acks)
	File   []byte          // uploaded bytes
	Status int
	Error  string // the ok:false error answered, if any
}

// Content is everything the call carried except its credential, for leak
// searches.
func (c Call) Content() []byte {
	var b strings.Builder
	b.WriteString(c.Method + " " + c.Path + "\n")
	for k, v := range c.Header {
		b.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	b.WriteString(c.Fields.Encode() + "\n")
	// The decoded form values as well: a secret is found whatever the encoding.
	for k, v := range c.Fields {
		b.WriteString(k + "=" + strings.Join(v, "\x00") + "\n")
	}
	b.Write(c.JSON)
	b.WriteByte('\n')
	b.Write(c.File)
	return []byte(b.String())
}

// Version is one earlier state of an updated message.
type Version struct {
	Text   string
	Blocks json.RawMessage
}

// Message is a message as the channel shows it now.
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string // "" for a top-level message
	Text      string
	Blocks    json.RawMessage
	User      string // the bot, or for an ephemeral message the one user who sees it
	Ephemeral bool
	Files     []File
	// Versions are the states before each chat.update, oldest first.
	Versions []Version
}

// Edited reports whether the message was updated.
func (m Message) Edited() bool { return len(m.Versions) > 0 }

// File is an uploaded file.
type File struct {
	ID, Name, Title  string
	Channel, Thread  string // where it was shared; "" until completeUploadExternal
	Content          []byte
	Length           int // the length announced to getUploadURLExternal
	Uploaded, Shared bool
}

// Server is the simulator. It is an http.Handler.
type Server struct {
	o   Options
	mux *http.ServeMux

	mu        sync.Mutex
	calls     []Call
	messages  []*Message
	files     map[string]*File
	fileOrder []string
	faults    []*Fault
	buckets   map[string]*bucket
	responses map[string]*responseURL
	seq       int64
	lastTS    time.Time
	sockets   []*socket
	acks      []Ack
	hangs     chan struct{}

	ln   net.Listener
	srv  *http.Server
	root string
}

type bucket struct {
	tokens float64
	last   time.Time
}

type responseURL struct {
	Channel, User string
	Created       time.Time
	Posts         int
}

// New returns a simulator.
func New(o Options) *Server {
	if o.BotToken == "" {
		o.BotToken = DefaultBotToken
	}
	if o.AppToken == "" {
		o.AppToken = DefaultAppToken
	}
	if o.TeamID == "" {
		o.TeamID = DefaultTeamID
	}
	if o.BotUserID == "" {
		o.BotUserID = DefaultBotUser
	}
	if o.AppID == "" {
		o.AppID = DefaultAppID
	}
	if o.Channels == nil {
		o.Channels = DefaultChannels
	}
	if o.RateLimit.Interval <= 0 {
		o.RateLimit.Interval = time.Second
	}
	if o.RateLimit.Burst <= 0 {
		o.RateLimit.Burst = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		o: o, mux: http.NewServeMux(),
		files: map[string]*File{}, buckets: map[string]*bucket{},
		responses: map[string]*responseURL{}, hangs: make(chan struct{}),
	}
	s.mux.HandleFunc("POST /api/{method}", s.api)
	s.mux.HandleFunc("GET /api/{method}", s.api)
	s.mux.HandleFunc("POST /upload/{id}", s.upload)
	s.mux.HandleFunc("POST /response/{id}", s.response)
	s.mux.HandleFunc("GET /ws", s.websocket)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Listen serves the simulator on addr (loopback only: "127.0.0.1:0" picks a
// port) and returns the Web API base URL, ending in "/", for
// slack.OptionAPIURL.
func (s *Server) Listen(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("slacksim: refusing to listen on %s: loopback only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	s.mu.Lock()
	s.root = "http://" + ln.Addr().String()
	s.mu.Unlock()
	return s.root + "/api/", nil
}

// URL is the root URL ("http://127.0.0.1:port") after Listen, "" before.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.root
}

// Close stops a listener started by Listen, releases hung requests and closes
// Socket Mode connections.
func (s *Server) Close() error {
	s.mu.Lock()
	select {
	case <-s.hangs:
	default:
		close(s.hangs)
	}
	socks := s.sockets
	s.sockets = nil
	s.mu.Unlock()
	for _, c := range socks {
		c.conn.Close()
	}
	if s.srv != nil {
		return s.srv.Close()
	}
	return nil
}

// Inject adds a fault. Faults apply in the order they were added.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Calls returns every recorded call, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the recorded calls of one method.
func (s *Server) CallsTo(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the messages of a channel (id or name), top-level and
// replies, in timestamp order.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.channelID(channel)
	var out []Message
	for _, m := range s.messages {
		if m.Channel == id {
			c := *m
			c.Versions = append([]Version(nil), m.Versions...)
			c.Files = append([]File(nil), m.Files...)
			out = append(out, c)
		}
	}
	return out
}

// Files returns every file, in upload order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		out = append(out, *s.files[id])
	}
	return out
}

// BotToken and AppToken are the credentials the simulator accepts.
func (s *Server) BotToken() string { return s.o.BotToken }
func (s *Server) AppToken() string { return s.o.AppToken }

// --- plumbing ---

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

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// fault returns the fault that applies to method, consuming one use.
func (s *Server) fault(method string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method == method || f.Method == "*" {
			c := *f
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return &c
		}
	}
	return nil
}

// applyFault answers with the fault and reports whether it did.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, call *Call) bool {
	f := s.fault(call.Method)
	if f == nil {
		return false
	}
	switch {
	case f.Error != "":
		call.Status, call.Error = 200, f.Error
		s.record(*call)
		writeJSON(w, 200, reply{"ok": false, "error": f.Error})
	case f.Status != 0:
		call.Status = f.Status
		s.record(*call)
		if f.Status == http.StatusTooManyRequests {
			ra := f.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Status)
		io.WriteString(w, "<html>simulated failure</html>")
	case f.Hang:
		call.Error = "hang"
		s.record(*call)
		select {
		case <-r.Context().Done():
		case <-s.hangs:
		}
	case f.Reset:
		call.Error = "reset"
		s.record(*call)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	default:
		return false
	}
	return true
}

// nextTS returns a Slack-style, strictly increasing message timestamp.
func (s *Server) nextTS() string {
	now := s.o.Now()
	if !now.After(s.lastTS) {
		now = s.lastTS.Add(time.Microsecond)
	}
	s.lastTS = now
	return fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}

// channelID resolves an id, a name or "#name"; "" if unknown. Caller holds mu.
func (s *Server) channelID(ch string) string {
	name := strings.TrimPrefix(ch, "#")
	for _, c := range s.o.Channels {
		if c.ID == ch || c.Name == name {
			return c.ID
		}
	}
	return ""
}

func (s *Server) channel(id string) Channel {
	for _, c := range s.o.Channels {
		if c.ID == id {
			return c
		}
	}
	return Channel{}
}

func (s *Server) findMessage(channel, ts string) *Message {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts && !m.Ephemeral {
			return m
		}
	}
	return nil
}

// allow takes a token from the channel's bucket, or says how long to wait.
func (s *Server) allow(channel string) (bool, time.Duration) {
	if s.o.RateLimit.Off {
		return true, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now() // real time: throttling is about the client's real pace
	b := s.buckets[channel]
	if b == nil {
		b = &bucket{tokens: float64(s.o.RateLimit.Burst), last: now}
		s.buckets[channel] = b
	}
	iv := s.o.RateLimit.Interval
	b.tokens = min(float64(s.o.RateLimit.Burst), b.tokens+float64(now.Sub(b.last))/float64(iv))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(iv))
}

// --- Web API ---

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
	h, ok := apiMethods[method]
	if !ok {
		s.fail(w, &call, "unknown_method")
		return
	}
	h(s, w, r, &call)
}

var apiMethods = map[string]func(*Server, http.ResponseWriter, *http.Request, *Call){
	"auth.test":                    (*Server).authTest,
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
	call.Status, call.Error = 200, code
	s.record(*call)
	writeJSON(w, 200, reply{"ok": false, "error": code})
}

func (s *Server) ok(w http.ResponseWriter, call *Call, v reply) {
	call.Status = 200
	s.record(*call)
	v["ok"] = true
	writeJSON(w, 200, v)
}

func (s *Server) authTest(w http.ResponseWriter, r *http.Request, c *Call) {
	s.ok(w, c, reply{"url": "https://keyir-sim.slack.com/", "team": "keyir-sim", "user": "keyir",
		"team_id": s.o.TeamID, "user_id": s.o.BotUserID, "bot_id": "B0KEYIR"})
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

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, c *Call) {
	s.mu.Lock()
	id := s.channelID(c.Fields.Get("channel"))
	s.mu.Unlock()
	if id == "" {
		s.fail(w, c, "channel_not_found")
		return
	}
	text, blocks, code := messageBody(c)
	if code != "" {
		s.fail(w, c, code)
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
	s.mu.Lock()
	id := s.channelID(c.Fields.Get("channel"))
	s.mu.Unlock()
	if id == "" {
		s.fail(w, c, "channel_not_found")
		return
	}
	user := c.Fields.Get("user")
	if user == "" {
		s.fail(w, c, "user_not_in_channel")
		return
	}
	text, blocks, code := messageBody(c)
	if code != "" {
		s.fail(w, c, code)
		return
	}
	s.mu.Lock()
	m := &Message{Channel: id, TS: s.nextTS(), ThreadTS: c.Fields.Get("thread_ts"), Text: text, Blocks: blocks, User: user, Ephemeral: true}
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	s.ok(w, c, reply{"message_ts": m.TS})
}

func (s *Server) getUploadURL(w http.ResponseWriter, r *http.Request, c *Call) {
	name := c.Fields.Get("filename")
	length, err := strconv.Atoi(c.Fields.Get("length"))
	if name == "" || err != nil || length <= 0 {
		s.fail(w, c, "invalid_arguments")
		return
	}
	s.mu.Lock()
	id := s.nextID("F")
	s.files[id] = &File{ID: id, Name: name, Length: length}
	s.fileOrder = append(s.fileOrder, id)
	s.mu.Unlock()
	// The upload URL is on this server's own host: slack-go sends the token
	// only to Slack's domains or to the configured API host.
	s.ok(w, c, reply{"upload_url": scheme(r) + "://" + r.Host + "/upload/" + id, "file_id": id})
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// upload receives the file bytes, multipart (as slack-go sends them) or raw.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c := Call{Time: s.o.Now(), Method: "upload", Path: r.URL.Path, Header: cleanHeader(r.Header), Token: token(r)}
	if s.applyFault(w, r, &c) {
		return
	}
	var data []byte
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "file" || p.FileName() != "" {
				data, _ = io.ReadAll(io.LimitReader(p, 64<<20))
			}
		}
	} else {
		data, _ = io.ReadAll(io.LimitReader(r.Body, 64<<20))
	}
	c.File = data
	s.mu.Lock()
	f := s.files[id]
	if f != nil {
		f.Content, f.Uploaded = data, true
	}
	s.mu.Unlock()
	if f == nil {
		c.Status = http.StatusNotFound
		s.record(c)
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	c.Status = 200
	s.record(c)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "OK - %d", len(data))
}

func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request, c *Call) {
	var files []struct{ ID, Title string }
	if err := json.Unmarshal([]byte(c.Fields.Get("files")), &files); err != nil || len(files) == 0 {
		s.fail(w, c, "invalid_arguments")
		return
	}
	s.mu.Lock()
	ch := c.Fields.Get("channel_id")
	if ch == "" {
		ch = strings.Split(c.Fields.Get("channels"), ",")[0]
	}
	id := s.channelID(ch)
	thread := c.Fields.Get("thread_ts")
	if ch != "" && id == "" {
		s.mu.Unlock()
		s.fail(w, c, "channel_not_found")
		return
	}
	if id != "" && thread != "" && s.findMessage(id, thread) == nil {
		s.mu.Unlock()
		s.fail(w, c, "thread_not_found")
		return
	}
	var shared []File
	var summary []reply
	for _, fs := range files {
		f := s.files[fs.ID]
		if f == nil || !f.Uploaded {
			s.mu.Unlock()
			s.fail(w, c, "file_not_found")
			return
		}
		if len(f.Content) != f.Length {
			s.mu.Unlock()
			s.fail(w, c, "file_size_mismatch")
			return
		}
		f.Title = fs.Title
		if f.Title == "" {
			f.Title = f.Name
		}
		f.Channel, f.Thread, f.Shared = id, thread, id != ""
		shared = append(shared, *f)
		summary = append(summary, reply{"id": f.ID, "title": f.Title})
	}
	if id != "" {
		// Sharing a file posts a message carrying it, like Slack does.
		m := &Message{Channel: id, TS: s.nextTS(), ThreadTS: thread, Text: c.Fields.Get("initial_comment"), User: s.o.BotUserID, Files: shared}
		s.messages = append(s.messages, m)
	}
	s.mu.Unlock()
	s.ok(w, c, reply{"files": summary})
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

// --- response_url ---

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

// sortedMessages is used by Transcript; caller holds mu.
func (s *Server) sortedMessages(id string) []*Message {
	var out []*Message
	for _, m := range s.messages {
		if m.Channel == id {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}
