package chatops

// HoldCommits stops the group commit (commit.go) until release is called:
// a commit that never returns, as a disk that never answers an fsync. Every
// write queued meanwhile waits for it, so nothing that must be durable
// before an answer can be answered.
func HoldCommits() (release func()) {
	started, hold := make(chan struct{}), make(chan struct{})
	wait := disk.enqueue(&commitItem{sync: func() error { close(started); <-hold; return nil }})
	<-started
	return func() { close(hold); _ = wait() }
}

// Commits counts the group commits run so far (benchmarks report how many
// a burst took).
func Commits() int64 { return disk.commits.Load() }

// RewriteReplayRecord makes the next commit rewrite the replay record
// whole, as after a failed write (replay_log.go): a test that puts a
// directory at its path makes that write fail, and every later one until
// the directory goes.
func (s *Server) RewriteReplayRecord() {
	s.replay.mu.Lock()
	s.replay.log.rewrite = true
	s.replay.mu.Unlock()
}
