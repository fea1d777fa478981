package chatops

import "strings"
import "testing"
import "time"

// TestApprovalStateMachine drives the approval rules alone: no Slack, no
// disk, no server.
func TestApprovalStateMachine(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	pending := func() *Request {
		return &Request{ID: "req_1", State: StatePending, Channel: "C1", Requester: "U1", MessageTS: "1.1", Expires: t0.Add(15 * time.Minute)}
	}
	at := func(verb, user, channel string, d time.Duration) click {
		return click{verb: verb, user: user, channel: channel, messageTS: "1.1", now: t0.Add(d)}
	}
	for _, c := range []struct {
		name      string
		r         func() *Request
		click     click
		twoPerson bool
		refuse    string
		msg       string
		expire    bool
	}{
		{"unknown request", func() *Request { return nil }, at("approve", "U2", "C1", 0), true, "unknown request", "no such request", false},
		{"another channel", pending, at("approve", "U2", "C9", 0), true, "wrong channel", "another channel", false},
		{"another request's message", pending, func() click { c := at("approve", "U2", "C1", 0); c.messageTS = "2.2"; return c }(), true, "not its approval message", "not on this request's approval message", false},
		{"before its plan was posted", func() *Request { r := pending(); r.MessageTS = ""; return r }, func() click { c := at("approve", "U2", "C1", 0); c.messageTS = ""; return c }(), true, "not its approval message", "nothing was done", false},
		{"after expiry", pending, at("approve", "U2", "C1", 15*time.Minute), true, "expired", "has expired", true},
		{"just before expiry", pending, at("approve", "U2", "C1", 15*time.Minute-time.Nanosecond), true, "", "", false},
		{"already decided", func() *Request { r := pending(); r.State, r.DecidedBy = StateApproved, "U2"; return r }, at("cancel", "U3", "C1", 0), true, "already approved", "already approved by <@U2>", false},
		{"decided late is not expired", func() *Request { r := pending(); r.State = StateCancelled; return r }, at("approve", "U2", "C1", time.Hour), true, "already cancelled", "already cancelled;", false},
		{"self-approval of a live run", pending, at("approve", "U1", "C1", 0), true, "self-approval", "second person", false},
		{"self-approval without two-person", pending, at("approve", "U1", "C1", 0), false, "", "", false},
		{"self-approval of a dry run", func() *Request { r := pending(); r.DryRun = true; return r }, at("approve", "U1", "C1", 0), true, "", "", false},
		{"the requester may cancel", pending, at("cancel", "U1", "C1", 0), true, "", "", false},
		{"another approves", pending, at("approve", "U2", "C1", 0), true, "", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := decide(c.r(), c.click, c.twoPerson)
			if v.refuse != c.refuse || v.expire != c.expire || !strings.Contains(v.msg, c.msg) {
				t.Errorf("got %+v, want refuse %q, expire %v, msg with %q", v, c.refuse, c.expire, c.msg)
			}
		})
	}

	r := pending()
	decideRequest(r, at("approve", "U2", "C1", time.Minute))
	if r.State != StateApproved || r.DecidedBy != "U2" || !r.DecidedAt.Equal(t0.Add(time.Minute)) || r.RunID == "" {
		t.Errorf("approved: %+v", r)
	}
	r = pending()
	decideRequest(r, at("cancel", "U1", "C1", 0))
	if r.State != StateCancelled || r.DecidedBy != "U1" || r.RunID != "" {
		t.Errorf("cancelled: %+v", r)
	}
	if due(r, t0.Add(time.Hour)) {
		t.Error("a cancelled request is due to expire")
	}
	if r := pending(); due(r, t0.Add(15*time.Minute-time.Nanosecond)) || !due(r, t0.Add(15*time.Minute)) {
		t.Error("due is not exactly at Expires")
	}
}
