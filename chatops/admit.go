package chatops

import "errors"
import "fmt"
import "net/http"

// A request's replay record (replay.go) is queued by its adapter when the
// request arrives and made durable by the group commit that also carries
// the command's own writes; these say what happens when it cannot be.

// errUnrecorded: a command's replay record could not be written. It is not
// run, nor answered: HTTP answers 503, Socket Mode does not ack (Slack
// delivers the envelope again).
var errUnrecorded = errors.New("chatops: replay record unavailable")

// recorded waits for c's replay record; nothing of c acts or is answered
// before it returns nil.
func (c Command) recorded() error {
	if c.admitted == nil {
		return nil
	}
	if err := c.admitted(); err != nil {
		return fmt.Errorf("%w: %v", errUnrecorded, err)
	}
	return nil
}

// unrecorded answers 503 when err (a request's replay record could not be
// written) is not nil: not recorded, so not run; Slack shows the user an
// error and they can try again.
func (s *Server) unrecorded(w http.ResponseWriter, r *http.Request, err error) bool {
	if err == nil {
		return false
	}
	s.logf("replay record: %v", err)
	s.AuditVerificationFailure("http", "replay record unavailable", r.RemoteAddr)
	http.Error(w, "unavailable", http.StatusServiceUnavailable)
	return true
}

// unackedEnvelope: the envelope's replay record could not be written. Not
// recorded: not acked either, so Slack redelivers it.
func (s *Server) unackedEnvelope(err error) {
	s.logf("replay record: %v", err)
	s.AuditVerificationFailure("socket", "replay record unavailable", "")
}
