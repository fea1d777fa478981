package chatops

import "slices"
import "sync"
import "testing"
import "time"

// Writes queued while a commit runs share the next one, and inside it a
// write marked after (a request record) is synced only once every other
// write of that commit is (the audit lines and replay record written
// before it), whatever order they were queued in.
func TestCommitSyncsAfterItemsLast(t *testing.T) {
	var c committer
	hold := make(chan struct{})
	busy := c.enqueue(&commitItem{sync: func() error { <-hold; return nil }})
	time.Sleep(10 * time.Millisecond) // the held commit is running
	var order syncOrder
	rec := order.rec
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
	if got := order.get(); len(got) != 2 || got[0] != "audit log" || got[1] != "request log" {
		t.Fatalf("sync order %v, want one audit log sync (shared), then the request log", got)
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
	var order syncOrder
	rec := order.rec
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
	if got := order.get(); !slices.Equal(got, want) {
		t.Fatalf("sync order %v, want %v", got, want)
	}
}

// syncOrder records the order in which syncs end.
type syncOrder struct {
	mu    sync.Mutex
	names []string
}

// rec is a sync that takes d and records name.
func (o *syncOrder) rec(name string, d time.Duration) func() error {
	return func() error {
		time.Sleep(d)
		o.mu.Lock()
		o.names = append(o.names, name)
		o.mu.Unlock()
		return nil
	}
}

func (o *syncOrder) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.names)
}
