package chatops

import "bytes"
import "encoding/json"
import "errors"
import "io"
import "net/http"

import "github.com/slack-go/slack"

// Body limits: a slash command is a few hundred bytes; an interaction
// payload carries the message's blocks, a few KiB.
const (
	MaxCommandBody     = 16 << 10
	MaxInteractionBody = 256 << 10
)

// Handler is the HTTP adapter: POST /slack/commands, POST
// /slack/interactions, GET /healthz and GET /readyz. Every POST is read
// through a bounded body and verified (signature, timestamp window, no
// replay) before it is parsed; any verification failure is a bare 401.
func (s *Server) Handler(signingSecret string) http.Handler {
	s.red.Add(signingSecret)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		s.acks.begin()
		defer s.acks.end()
		admitted, ok := s.verify(w, r, signingSecret, MaxCommandBody)
		if !ok {
			return
		}
		unsignedQuery(r)
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			if s.unrecorded(w, r, admitted()) {
				return
			}
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		reply, err := s.HandleCommand(r.Context(), Command{Transport: "http", Team: cmd.TeamID, APIAppID: cmd.APIAppID,
			User: cmd.UserID, Channel: cmd.ChannelID, Command: cmd.Command, Text: cmd.Text, ResponseURL: cmd.ResponseURL,
			admitted: admitted})
		if s.unrecorded(w, r, admitted()) {
			return
		}
		if err != nil {
			unauthorized(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reply)
	})
	mux.HandleFunc("POST /slack/interactions", func(w http.ResponseWriter, r *http.Request) {
		s.acks.begin()
		defer s.acks.end()
		admitted, ok := s.verify(w, r, signingSecret, MaxInteractionBody)
		if !ok || s.unrecorded(w, r, admitted()) {
			return
		}
		a, err := parseInteraction(r)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := s.HandleAction(r.Context(), a); err != nil {
			unauthorized(w)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.Ready() {
			http.Error(w, "stopping", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	return mux
}

func unauthorized(w http.ResponseWriter) {
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// verify reads the bounded body, checks the signature and timestamp with
// slack-go's SecretsVerifier, refuses a request seen before (by content, see
// replay.go), and restores the body for parsing. It answers the refusal
// itself. An admitted request comes with the wait for its replay record
// (replayCache.admitQueued): the caller answers nothing before it, and
// answers 503 if it fails (unrecorded). The verifier decodes the hex signature and compares the bytes
// with hmac.Equal: constant time, and "ABCD" and "abcd" are one signature.
func (s *Server) verify(w http.ResponseWriter, r *http.Request, secret string, limit int64) (func() error, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.AuditVerificationFailure("http", "body over the size limit", r.RemoteAddr)
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		s.AuditVerificationFailure("http", "unreadable body", r.RemoteAddr)
		unauthorized(w)
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, secret)
	if err != nil {
		s.AuditVerificationFailure("http", "missing or stale signature headers", r.RemoteAddr)
		unauthorized(w)
		return nil, false
	}
	if _, err := sv.Write(body); err != nil {
		s.AuditVerificationFailure("http", "verifier", r.RemoteAddr)
		unauthorized(w)
		return nil, false
	}
	if err := sv.Ensure(); err != nil {
		s.AuditVerificationFailure("http", "bad signature", r.RemoteAddr)
		unauthorized(w)
		return nil, false
	}
	// After the signature: only a genuine request is recorded. The
	// verifier already parsed the timestamp; this cannot fail for one that
	// passed it.
	ts, err := parseTimestamp(r.Header.Get("X-Slack-Request-Timestamp"))
	if err != nil {
		s.AuditVerificationFailure("http", "missing or stale signature headers", r.RemoteAddr)
		unauthorized(w)
		return nil, false
	}
	admitted, err := s.replay.admitQueued(contentKey(r.Header.Get("X-Slack-Request-Timestamp"), body), ts)
	if err != nil {
		if errors.Is(err, errReplayed) || errors.Is(err, errFenced) {
			s.AuditVerificationFailure("http", err.Error(), r.RemoteAddr)
			unauthorized(w)
			return nil, false
		}
		s.unrecorded(w, r, err)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return admitted, true
}

// parseInteraction reads a verified interaction request down to the one
// button click keyir acts on: the payload field of the form body, as JSON.
// The query string is not signed: slack-go v0.35 ignores it, and it is
// dropped here so that not even a malformed one changes the outcome.
// FuzzParseInteraction holds it to that.
func parseInteraction(r *http.Request) (Action, error) {
	unsignedQuery(r)
	cb, err := slack.InteractionCallbackParse(r)
	if err != nil {
		return Action{}, err
	}
	// InteractionCallbackParse has parsed the form: the payload is at hand.
	return actionOf("http", cb, []byte(r.PostFormValue("payload"))), nil
}

// unsignedQuery drops the URL's query: the signature covers the body only,
// so nothing outside it may reach a decision (url.ParseForm would fail the
// whole request on a malformed query).
func unsignedQuery(r *http.Request) {
	r.URL.RawQuery = ""
	r.Form, r.PostForm = nil, nil
}

// actionOf takes the click only when the payload carries exactly one action
// and it is a block action: anything else is no decision (HandleAction
// refuses an empty action id). The raw count matters because slack-go sorts
// a mixed list into two slices and appends across a repeated "actions" key,
// so its block-action count alone can say one where the payload holds more.
func actionOf(transport string, cb slack.InteractionCallback, payload []byte) Action {
	a := Action{Transport: transport, Team: cb.Team.ID, APIAppID: cb.APIAppID, User: cb.User.ID, Channel: cb.Channel.ID,
		ResponseURL: cb.ResponseURL, MessageTS: cb.Container.MessageTs}
	var raw struct {
		Actions []json.RawMessage `json:"actions"`
	}
	if json.Unmarshal(payload, &raw) != nil || len(raw.Actions) != 1 {
		return a
	}
	if len(cb.ActionCallback.BlockActions) == 1 && len(cb.ActionCallback.AttachmentActions) == 0 {
		ba := cb.ActionCallback.BlockActions[0]
		a.ActionID, a.Value = ba.ActionID, ba.Value
	}
	return a
}
