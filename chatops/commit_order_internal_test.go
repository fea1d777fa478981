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

// A request's first record (not after) is synced beside the audit log;
// a file with any after item in a commit is synced only after, once, for
// all its items (an earlier fsync would make the after item durable early).
func TestCommitSyncsAFileLateIfAnyOfItsItemsIs(t *testing.T) {
	var c committer
	hold := make(chan struct{})
	busy := c.enqueue(&commitItem{sync: func() error { <-hold; return nil }})
	time.Sleep(10 * time.Millisecond)
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
	waits := []func() error{busy,
		c.enqueue(&commitItem{file: "requests", sync: rec("requests", 0)}),
		c.enqueue(&commitItem{file: "audit", sync: rec("audit", 20*time.Millisecond)}),
		c.enqueue(&commitItem{file: "other requests", sync: rec("first record", 0)}),
		c.enqueue(&commitItem{file: "requests", sync: rec("requests", 0), after: true}),
	}
	close(hold)
	for _, wait := range waits {
		if err := wait(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"first record", "audit", "requests"}
	if len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Fatalf("sync order %v, want %v", order, want)
	}
}
