package chatops

import (
	"sync"
	"testing"
	"time"
)

// Writes queued while a commit runs share the next one, and inside it a
// write marked after (a request record) is synced only once every other
// write of that commit is (the audit lines and replay record written
// before it), whatever order they were queued in.
func TestCommitSyncsAfterItemsLast(t *testing.T) {
	var c committer
	hold := make(chan struct{})
	busy := c.enqueue(&commitItem{sync: func() error { <-hold; return nil }})
	time.Sleep(10 * time.Millisecond) // the held commit is running
	var mu sync.Mutex
	var order []string
	rec := func(name string, d time.Duration) func() error {
		return func() error {
			time.Sleep(d)
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return nil
		}
	}
	record := c.enqueue(&commitItem{sync: rec("request log", 0), after: true})
	audit := c.enqueue(&commitItem{file: "audit", sync: rec("audit log", 20*time.Millisecond)})
	audit2 := c.enqueue(&commitItem{file: "audit", sync: rec("audit log again", 0)})
	close(hold)
	for _, wait := range []func() error{busy, record, audit, audit2} {
		if err := wait(); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.commits.Load(); got != 2 {
		t.Fatalf("%d commits, want 2 (the held one, then one for the three writes queued meanwhile)", got)
	}
	if len(order) != 2 || order[0] != "audit log" || order[1] != "request log" {
		t.Fatalf("sync order %v, want one audit log sync (shared), then the request log", order)
	}
}
