package chatops

import "fmt"
import "sort"
import "strings"

// /keyir status and the words for a request's state.

func describeState(r *Request) string {
	switch r.State {
	case StatePending:
		return "waiting for approval"
	case StateApproved:
		if r.RunID != "" {
			return "running (run " + r.RunID + ")"
		}
		return "starting"
	case StateInterrupted:
		return "interrupted (run " + r.RunID + "): resume it on the server or /keyir abandon " + r.ID
	}
	return string(r.State)
}

// status lists requests, or shows one by run id or request id.
func (s *Server) status(a Args) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.RunID != "" {
		for _, r := range s.reqs {
			if r.RunID == a.RunID || r.ID == a.RunID {
				return ephemeral("%s", statusText(r, s.steps[r.ID]))
			}
		}
		return ephemeral("No run or request %s.", a.RunID)
	}
	var rs []*Request
	for _, r := range s.reqs {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Created.After(rs[j].Created) })
	if len(rs) == 0 {
		return ephemeral("No requests yet. %s", "Start one with `/keyir revoke <key or key id>`.")
	}
	var b strings.Builder
	b.WriteString("*keyir requests* (newest first)\n")
	for i, r := range rs {
		if i == 10 {
			fmt.Fprintf(&b, "… and %d older\n", len(rs)-10)
			break
		}
		fmt.Fprintf(&b, "• %s — %s — %s%s\n", r.ID, keyRef(r), describeState(r), runSuffix(r))
	}
	return ephemeral("%s", b.String())
}

func runSuffix(r *Request) string {
	out := ""
	if r.RunStatus != "" {
		out += " — run " + r.RunID + " " + r.RunStatus
	}
	if r.State == StateInterrupted && r.RunDir != "" {
		out += " — resume on the server: `keyir resume " + r.RunDir + "`"
	}
	return out
}

// Requests returns a snapshot of every request (tests, status).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, 0, len(s.reqs))
	for _, r := range s.reqs {
		out = append(out, *r.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}
