// Package slacksim is a simulated Slack Web API for drills and tests. It
// speaks what keyir uses, the way slack-go expects it:
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

import "encoding/json"
import "fmt"
import "net"
import "net/http"
import "net/url"
import "strings"
import "sync"
import "time"

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
	// Now is the clock (response_url expiry, message timestamps, revocation
	// and log times); default time.Now.
	Now func() time.Time

	// Tokens are credentials beyond keyir's own bot and app tokens (which
	// the model holds too): a leak scenario's tokens, a responder's admin
	// token.
	Tokens []Token
	// RevokePropagation is how long after auth.revoke a token is still
	// accepted (Slack's revocation is not instant everywhere).
	RevokePropagation time.Duration
	// FreePlan: the workspace is on the free plan, so team.accessLogs
	// answers paid_only.
	FreePlan bool
	// Logins and IntegrationLogs are what team.accessLogs and
	// team.integrationLogs list; AuditLogs what /audit/v1/logs lists.
	Logins          []Login
	IntegrationLogs []IntegrationLog
	AuditLogs       []AuditEntry
	// MethodLimits overrides DefaultMethodLimits (requests per minute of a
	// method); MethodLimitsOff turns the per-method limits off.
	MethodLimits    map[string]int
	MethodLimitsOff bool
}

// Fault makes the next Times calls of Method fail. Method is a Web API method
// ("chat.postMessage"), "upload" (the upload URL), "response" (response_url
// posts) or "*" for any.
type Fault struct {
	Method string
	// HTTPMethod, when set, limits the fault to requests of that HTTP
	// method (GET, POST).
	HTTPMethod string
	Times      int // default 1
	// After lets this many matching requests through first.
	After int
	// Exactly one of the following applies, first set wins:
	Error      string        // HTTP 200 {"ok":false,"error":Error}
	Status     int           // this HTTP status; 429 gets Retry-After
	RetryAfter time.Duration // Retry-After for Status 429 (default 1s)
	Hang       bool          // never answer until the client gives up or the server closes
	Reset      bool          // drop the connection without an answer
	Truncate   bool          // HTTP 200 and a Content-Length, then half a body and the connection dropped
	Latency    time.Duration // wait this long, then answer normally
	// BareNotOK: HTTP 200 {"ok":false} with no error, which slack-go
	// takes for success (an empty result, no ts).
	BareNotOK bool
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
	// Reply is the JSON body answered (Web API methods).
	Reply json.RawMessage
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
	tokens    map[string]*tokenState
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
		tokens: map[string]*tokenState{},
	}
	s.addToken(Token{Value: o.BotToken, Kind: KindBot, UserID: o.BotUserID, UserName: "keyir", BotID: DefaultBotID,
		Scopes: []string{"chat:write", "files:write", "channels:read", "groups:read", "usergroups:read", "commands"}})
	s.addToken(Token{Value: o.AppToken, Kind: KindApp, Scopes: []string{"connections:write"}})
	for _, t := range o.Tokens {
		s.addToken(t)
	}
	s.mux.HandleFunc("POST /api/{method}", s.api)
	s.mux.HandleFunc("GET /api/{method}", s.api)
	s.mux.HandleFunc("POST /upload/{id}", s.upload)
	s.mux.HandleFunc("POST /response/{id}", s.response)
	s.mux.HandleFunc("GET /ws", s.websocket)
	s.mux.HandleFunc("GET /audit/v1/logs", s.auditLogs)
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
