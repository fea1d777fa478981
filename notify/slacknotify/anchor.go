package slacknotify

// Anchor makes the notifier post the run's thread under an existing message
// (channel id and ts) instead of posting an anchor of its own: keyir serve
// posts the approval message first and wants the run's progress, findings
// and report in that message's thread. Call it before the first event; the
// Opened event then edits that message into the incident's status.
func (n *Notifier) Anchor(channel, ts string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.channel, n.parentTS = channel, ts
}
