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
