package slacksim

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "net/http"
import "time"

import "github.com/gorilla/websocket"

// Envelope is a Socket Mode message the simulator pushes to the app: a slash
// command ("slash_commands"), an interaction ("interactive") or an event
// ("events_api"). Payload is what Slack would put in it.
type Envelope struct {
	Type                   string `json:"type"`
	EnvelopeID             string `json:"envelope_id"`
	Payload                any    `json:"payload"`
	AcceptsResponsePayload bool   `json:"accepts_response_payload"`
	RetryAttempt           int    `json:"retry_attempt"`
	RetryReason            string `json:"retry_reason"`
}

// Ack is what the app answered to an envelope.
type Ack struct {
	Time       time.Time
	EnvelopeID string
	Payload    json.RawMessage
}

type socket struct {
	conn   *websocket.Conn
	writes chan []byte
}

// The client sends Origin: https://api.slack.com; accept any origin, as Slack
// does for Socket Mode.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) connectionsOpen(w http.ResponseWriter, r *http.Request, c *Call) {
	ws := "ws"
	if r.TLS != nil {
		ws = "wss"
	}
	s.ok(w, c, reply{"url": ws + "://" + r.Host + "/ws"})
}

// pingInterval keeps slack-go's client from reconnecting (it expects a ping
// within 30 s).
const pingInterval = 10 * time.Second

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	sk := &socket{conn: conn, writes: make(chan []byte, 64)}
	s.mu.Lock()
	s.sockets = append(s.sockets, sk)
	s.mu.Unlock()
	s.record(Call{Time: s.o.Now(), Method: "ws.connect", Path: r.URL.Path, Header: cleanHeader(r.Header), Status: http.StatusSwitchingProtocols})

	hello, _ := json.Marshal(map[string]any{
		"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": s.o.AppID},
		"debug_info":      map[string]any{"host": "keyir-slacksim", "approximate_connection_time": 3600},
	})
	sk.writes <- hello

	done := make(chan struct{})
	go func() { // the only writer of conn
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case b := <-sk.writes:
				if conn.WriteMessage(websocket.TextMessage, b) != nil {
					return
				}
			case <-t.C:
				if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)) != nil {
					return
				}
			case <-done:
				return
			}
		}
	}()
	defer func() {
		close(done)
		conn.Close()
		s.mu.Lock()
		for i, o := range s.sockets {
			if o == sk {
				s.sockets = append(s.sockets[:i], s.sockets[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
	}()
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(b, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		s.acks = append(s.acks, Ack{Time: s.o.Now(), EnvelopeID: ack.EnvelopeID, Payload: ack.Payload})
		s.calls = append(s.calls, Call{Time: s.o.Now(), Method: "ws.ack", Path: "/ws", JSON: json.RawMessage(b)})
		s.mu.Unlock()
	}
}

// ErrNoSocket is returned by Push when no app is connected.
var ErrNoSocket = errors.New("slacksim: no Socket Mode connection")

// Push sends an envelope to every connected app; an empty EnvelopeID is
// filled in. It returns the envelope id.
func (s *Server) Push(env Envelope) (string, error) {
	s.mu.Lock()
	if env.EnvelopeID == "" {
		env.EnvelopeID = s.nextID("env-")
	}
	socks := append([]*socket(nil), s.sockets...)
	s.mu.Unlock()
	if len(socks) == 0 {
		return "", ErrNoSocket
	}
	b, err := json.Marshal(env)
	if err != nil {
		return "", err
	}
	for _, sk := range socks {
		select {
		case sk.writes <- b:
		default:
			return "", fmt.Errorf("slacksim: socket write queue full")
		}
	}
	return env.EnvelopeID, nil
}

// WaitSocket waits until an app has connected, or ctx ends.
func (s *Server) WaitSocket(ctx context.Context) error {
	for {
		s.mu.Lock()
		n := len(s.sockets)
		s.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNoSocket, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Acks returns every ack received, oldest first.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// WaitAck waits for the ack of an envelope, or ctx ends.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	for {
		// Scanned under the lock, not copied: a benchmark waits for every
		// ack of thousands, and a copy per poll was most of its CPU.
		s.mu.Lock()
		for _, a := range s.acks {
			if a.EnvelopeID == envelopeID {
				s.mu.Unlock()
				return a, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Ack{}, fmt.Errorf("slacksim: no ack for %s: %w", envelopeID, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
