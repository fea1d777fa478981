package chatops

import "bytes"
import "encoding/json"
import "io"

import "github.com/keyir/keyir/safefile"

// A request's first record and its command's audit lines are synced at
// once, in the same commit, not one after the other: one fsync fewer
// before every revoke's acknowledgement. A crash during that commit can
// leave the record on disk without the lines. Nothing was acknowledged
// then (the answer waits for the whole commit), so the rule at start is:
// a request still at its first version whose authorization line is not
// where the record says (Request.AuditAt) is failed, never restored —
// keyir never acts on a command its audit log does not hold. Later
// versions need no check: they are written after the first one's commit
// has returned, and keep the order (commitItem.after).

// auditAppendAt is auditAppend, returning where the line ends in the log
// (0 when it was not written).
func (s *Server) auditAppendAt(ev AuditEvent) int64 {
	at, err := s.audit.appendAt(ev)
	if err != nil {
		s.logf("audit log: %v", err)
		return 0
	}
	return at
}

// maxAuditLine bounds the read of the line before AuditAt.
const maxAuditLine = 64 << 10

// unauditedReason says why r cannot be restored ("" when it can): its
// authorization line is not in the audit log. A log that cannot be read
// at all is not taken as proof of a loss.
func (s *Server) unauditedReason(r *Request) string {
	if r.Version != 1 || r.AuditAt <= 0 {
		return ""
	}
	ev, ok, err := auditLineEndingAt(s.audit.path, r.AuditAt)
	if err != nil {
		s.logf("audit log: checking request %s: %v", r.ID, err)
		return ""
	}
	if ok && ev.Event == AuditAuthorization && ev.User == r.Requester && ev.Decision == "allow" {
		return ""
	}
	return "keyir serve stopped before the command's audit lines were on disk: it was never acknowledged, and nothing was started; send it again"
}

// auditLineEndingAt reads the line of the audit log at path that ends at
// byte end: false when the log is shorter or no whole line ends there.
func auditLineEndingAt(path string, end int64) (AuditEvent, bool, error) {
	var ev AuditEvent
	f, err := safefile.Open(path)
	if err != nil {
		return ev, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ev, false, err
	}
	if st.Size() < end {
		return ev, false, nil
	}
	start := max(0, end-maxAuditLine)
	b := make([]byte, end-start)
	if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
		return ev, false, err
	}
	line, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return ev, false, nil
	}
	line = line[bytes.LastIndexByte(line, '\n')+1:]
	if json.Unmarshal(line, &ev) != nil {
		return ev, false, nil
	}
	return ev, true, nil
}

// failUnauditedLocked fails r at start, audited and saved: see above.
func (s *Server) failUnauditedLocked(r *Request, why string) {
	s.endLocked(r, StateFailed, AuditUnacknowledged, why)
}

// endTornLine ends a last line that a crash cut short, so that the next
// line is not glued to it (and a line's end, AuditAt, stays a line's end).
func (a *auditLog) endTornLine() error {
	if a.size == 0 {
		return nil
	}
	f, err := safefile.Open(a.path)
	if err != nil {
		return err
	}
	defer f.Close()
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, a.size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	n, err := a.f.Write([]byte("\n"))
	a.size += int64(n)
	return err
}
