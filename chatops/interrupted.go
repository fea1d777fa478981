package chatops

import "errors"
import "fmt"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// An interrupted revoke (keyir serve was stopped or crashed during the run)
// may already have changed things: the key may be revoked, or half of the
// playbook done. Until it is resolved it keeps its key's slot, so a second
// /keyir revoke for the same key points at it instead of starting a run that
// would act on the same key from the beginning.
//
// Resolved means one of:
//   - finished: `keyir resume DIR` ran it to its end. serve notices when the
//     key is asked for again: the run directory verifies (MANIFEST and
//     journal chain intact) and its report says it ended (not running, not
//     interrupted). The request becomes finished with that status.
//   - abandoned: an authorized user runs `/keyir abandon REQUEST` (the request
//     id from the reply or /keyir status). One person suffices: abandoning
//     starts nothing, and the next revoke needs its own approval. The run
//     directory stays as it is, as evidence; the decision is audited and
//     posted in the channel.

// VerbAbandon releases an interrupted request's key.
const VerbAbandon = "abandon"

// StateAbandoned: an interrupted run that an authorized user decided not to
// finish; its key is free again.
const StateAbandoned State = "abandoned"

// Audit event names of this file.
const (
	AuditAbandon          = "abandon"
	AuditResolvedByResume = "resolved_by_resume"
)

// parseAbandon: `/keyir abandon <request id>`. A token that is not a request
// id is registered with the redactor (it may be key material) and not shown.
func parseAbandon(a Args, rest []string, red *redact.Redactor) (Args, error) {
	for _, t := range rest {
		if !requestIDRE().MatchString(t) {
			red.Add(t)
		}
	}
	if len(rest) != 1 || !requestIDRE().MatchString(rest[0]) {
		return a, errors.New("usage: /keyir abandon <request id> (req_ and 24 hex digits, from /keyir status)")
	}
	a.RunID = rest[0]
	return a, nil
}

// finishedByResume reports whether an interrupted request's run directory
// has since been finished (by `keyir resume`) and sealed intact, with the
// run's final status.
func finishedByResume(dir string) (report.RunStatus, bool) {
	if dir == "" {
		return "", false
	}
	v, err := runstore.Verify(dir)
	if err != nil || !v.OK() {
		return "", false
	}
	rep, err := runstore.Load(dir)
	if err != nil {
		return "", false
	}
	switch rep.Run.Status {
	case "", report.RunRunning, report.RunInterrupted:
		return "", false
	}
	return rep.Run.Status, true
}

// settleInterrupted checks whether the interrupted request holding keyID's
// slot has been finished by `keyir resume`; if so it records that and frees
// the slot. It reads the run directory without holding mu.
func (s *Server) settleInterrupted(keyID string) {
	s.mu.Lock()
	r := s.reqs[s.byKey[keyID]]
	if r == nil || r.State != StateInterrupted {
		s.mu.Unlock()
		return
	}
	id, dir := r.ID, r.RunDir
	s.mu.Unlock()
	status, done := finishedByResume(dir)
	if !done {
		return
	}
	s.mu.Lock()
	r = s.reqs[id]
	if r.State != StateInterrupted {
		s.mu.Unlock()
		return
	}
	r.State, r.RunStatus = StateFinished, string(status)
	r.Detail = "finished outside keyir serve by keyir resume " + dir
	s.releaseLocked(r)
	s.saveLocked(r)
	s.auditLocked(AuditEvent{Event: AuditResolvedByResume, Request: r.ID, RunID: r.RunID, RunDir: dir, RunStatus: string(status),
		KeyID: r.KeyID, Fingerprint: r.Fingerprint, Channel: r.Channel})
	snap := r.clone()
	s.wg.Add(1)
	s.unlockAndFlush()
	go func() { defer s.wg.Done(); s.updatePlan(s.runCtx, snap) }()
}

// interruptedReply answers a revoke for a key whose earlier run was cut
// short: where it is and the two ways to resolve it.
func interruptedReply(r *Request) Reply {
	where := fmt.Sprintf("run %s, directory `%s` on the keyir server", r.RunID, r.RunDir)
	resume := fmt.Sprintf("finish it on the server with `keyir resume %s` (it continues where it stopped, without repeating what was done), then ask again", r.RunDir)
	if r.RunDir == "" {
		where = fmt.Sprintf("run %s, which was stopped before it recorded its directory: nothing is known to have run", r.RunID)
		resume = "look for its run id under the reports directory on the server"
	}
	return ephemeral("%s has an interrupted revoke: request %s (%s). It may already have changed things, so nothing new was started. "+
		"To go on: %s; or, if it will not be finished, `/keyir abandon %s` releases the key for a new request.",
		upperFirst(keyRef(r)), r.ID, where, resume, r.ID)
}

// abandon resolves an interrupted request by decision of an authorized user.
func (s *Server) abandon(c Command, a Args) Reply {
	// It may have been finished by resume meanwhile: then it is not
	// abandoned, and the reply says so.
	s.mu.Lock()
	r := s.reqs[a.RunID]
	var key string
	if r != nil {
		key = r.slot()
	}
	s.mu.Unlock()
	if r == nil {
		return ephemeral("keyir has no request %s.", a.RunID)
	}
	s.settleInterrupted(key)
	now := s.o.Now()
	s.mu.Lock()
	r = s.reqs[a.RunID]
	if r.State != StateInterrupted {
		st := describeState(r)
		s.mu.Unlock()
		return ephemeral("Request %s is %s, not interrupted: there is nothing to abandon.", r.ID, st)
	}
	if r.Channel != c.Channel {
		s.mu.Unlock()
		return ephemeral("Request %s belongs to another channel.", r.ID)
	}
	r.State = StateAbandoned
	r.Detail = fmt.Sprintf("abandoned by %s at %s; the run directory is kept as it was", c.User, now.UTC().Format("2006-01-02 15:04:05Z"))
	s.releaseLocked(r)
	s.saveLocked(r)
	s.auditLocked(AuditEvent{Event: AuditAbandon, Transport: c.Transport, User: c.User, Channel: c.Channel, Request: r.ID, RunID: r.RunID,
		RunDir: r.RunDir, KeyID: r.KeyID, Fingerprint: r.Fingerprint})
	snap := r.clone()
	if err := s.unlockAndFlush(); err != nil {
		s.mu.Lock()
		if cur := s.reqs[snap.ID]; cur.Version == snap.Version {
			cur.State, cur.Detail = StateInterrupted, "keyir serve stopped during the run"
			s.byKey[cur.slot()] = cur.ID
			s.saveLocked(cur)
		}
		s.unlockAndFlush()
		return ephemeral("keyir could not record the decision; request %s is still interrupted.", snap.ID)
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.updatePlan(s.runCtx, snap) }()
	dir := "no run directory was recorded"
	if snap.RunDir != "" {
		dir = "its directory stays on the keyir server as evidence: `" + snap.RunDir + "`"
	}
	return Reply{ResponseType: "in_channel", Text: fmt.Sprintf("<@%s> abandoned the interrupted revoke %s of %s (run %s; %s). The key may be partly handled: a new `/keyir revoke` of it starts from the beginning.",
		c.User, snap.ID, keyRef(snap), snap.RunID, dir)}
}
