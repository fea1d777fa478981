package chatops

import "sync"
import "sync/atomic"
import "time"

import "github.com/keyir/keyir/safefile"

// Group commit for everything keyir serve makes durable before it answers
// Slack: audit lines, request records and the replay record. Each write is
// queued at once (a line kept for its file, linebuf.go) and then waits for
// the next commit, which makes every write that arrived meanwhile durable
// together: each file's lines written and its fsync, in parallel, then the renames of the
// new records, then one fsync per directory that got a rename (beside the
// syncs of the items marked after). Nothing is
// acknowledged before its own commit has returned, and no sync is skipped:
// a burst of 100 commands costs a few commits, not hundreds of fsyncs in a
// row.

// commitItem is one write waiting for a commit.
type commitItem struct {
	// file names what sync flushes when several writes share one file (the
	// audit log, the request log): one fsync per file and commit serves
	// them all. nil: the write's own file.
	file   any
	sync   func() error // fsync (the audit log, a record's temporary file)
	rename func() error // then, for a record: move it into place
	dir    string       // whose entry the rename changed: synced after it
	// after: synced once every item of the same commit without it is, so
	// that a request record never reaches the disk ahead of the audit
	// lines and replay record written before it (they share the commit).
	// A request's first record is not after: a start checks that its
	// audit line is on disk instead (audit_at.go).
	after bool
	err   error
}

type commitBatch struct {
	items []*commitItem
	done  chan struct{}
}

type committer struct {
	commits atomic.Int64 // batches run, for the tests

	mu   sync.Mutex
	open *commitBatch // collecting writes while a commit runs
	busy bool         // a commit is running

	// A commit that starts while requests owed an answer are still
	// writing (owed > waiting) carries only what they queued so far; the
	// rest wait for it to end and pay a second commit. So a commit waits
	// (lingers), at most maxLinger, until every request owed is blocked
	// on a commit: a lone command's replay record no longer goes alone,
	// one commit before its audit lines and record, and a burst's first
	// commit no longer carries its first envelope alone.
	owed    atomic.Int64  // requests owed an answer, all servers (ackGate)
	waiting atomic.Int64  // goroutines blocked on a commit
	moved   chan struct{} // owed or waiting changed (cap 1; nudge)
}

// maxLinger bounds how long a commit waits for requests still writing: a
// request that waits on something else (the network) delays the others'
// commit by this much at most.
var maxLinger = 2 * time.Millisecond

// disk is the committer of this process: batching the writes of several
// servers (tests run many) only makes commits larger, never weaker, since
// each write gets its own result.
var disk = committer{moved: make(chan struct{}, 1)}

// commit queues it and returns once it is durable, or its error.
func (c *committer) commit(it *commitItem) error { return c.enqueue(it)() }

// enqueue queues it for the next commit and returns the wait for it: a
// caller can do other work (and queue later writes, which land in the same
// commit or a later one) before it waits.
func (c *committer) enqueue(it *commitItem) func() error {
	c.mu.Lock()
	if c.open == nil {
		c.open = &commitBatch{done: make(chan struct{})}
	}
	b := c.open
	b.items = append(b.items, it)
	if !c.busy {
		// No commit is running: one starts now, led by a goroutine that
		// takes the open batch once it has lingered, and goes on with the
		// writes queued meanwhile.
		c.busy = true
		go c.chain()
	}
	c.mu.Unlock()
	return func() error {
		select {
		case <-b.done:
		default:
			c.waiting.Add(1)
			c.nudge()
			<-b.done
			c.waiting.Add(-1)
		}
		return it.err
	}
}

// nudge wakes a lingering commit to look again: a goroutine began to
// wait, or a request stopped being owed.
func (c *committer) nudge() {
	select {
	case c.moved <- struct{}{}:
	default:
	}
}

// linger returns once every request owed an answer is blocked on a
// commit, or after maxLinger.
func (c *committer) linger() {
	if c.owed.Load() <= c.waiting.Load() {
		return
	}
	t := time.NewTimer(maxLinger)
	defer t.Stop()
	for c.owed.Load() > c.waiting.Load() {
		select {
		case <-c.moved:
		case <-t.C:
			return
		}
	}
}

// chain runs batches until none is waiting.
func (c *committer) chain() {
	for {
		c.linger()
		c.mu.Lock()
		b := c.open
		c.open = nil
		if b == nil {
			c.busy = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.runBatch(b)
	}
}

func (c *committer) runBatch(b *commitBatch) {
	c.commits.Add(1)
	b.run()
}

func (b *commitBatch) run() {
	defer close(b.done)
	// A file with an after item is synced after, for all of its items:
	// an earlier fsync of it would make that item durable early too.
	late := map[any]bool{}
	for _, it := range b.items {
		if it.after && it.file != nil {
			late[it.file] = true
		}
	}
	var first, after []*commitItem
	for _, it := range b.items {
		if it.after || (it.file != nil && late[it.file]) {
			after = append(after, it)
		} else {
			first = append(first, it)
		}
	}
	syncItems(first)
	// The first items' directories are synced beside the after items'
	// syncs: an after item must not reach the disk before the first items'
	// data (the audit lines), but a request record on disk before the
	// replay record's new name only means that the command, sent again,
	// finds its key taken. One serial fsync less per commit.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		syncItems(after)
	}()
	syncDirs(first)
	wg.Wait()
	syncDirs(after)
}

// syncDirs fsyncs each directory whose entries items' renames changed,
// once; its error goes to every write that needed it.
func syncDirs(items []*commitItem) {
	dirs := map[string][]*commitItem{}
	for _, it := range items {
		if it.err == nil && it.dir != "" {
			dirs[it.dir] = append(dirs[it.dir], it)
		}
	}
	var wg sync.WaitGroup
	for dir, its := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := safefile.SyncDir(dir); err != nil {
				for _, it := range its {
					it.err = err
				}
			}
		}()
	}
	wg.Wait()
}

// syncItems syncs (and renames) items at once, one fsync per shared file:
// the writes on it wait for that one.
func syncItems(items []*commitItem) {
	shared := map[any][]*commitItem{}
	var own []*commitItem
	for _, it := range items {
		if it.file != nil && it.sync != nil {
			if len(shared[it.file]) == 0 {
				own = append(own, it)
			}
			shared[it.file] = append(shared[it.file], it)
		} else {
			own = append(own, it)
		}
	}
	each(own, func(it *commitItem) {
		if it.sync != nil {
			it.err = it.sync()
		}
		if it.err == nil && it.rename != nil {
			it.err = it.rename()
		}
	})
	for _, its := range shared {
		for _, it := range its[1:] {
			it.err = its[0].err
		}
	}
}

// each runs fn on every item at once.
func each(items []*commitItem, fn func(*commitItem)) {
	if len(items) == 0 {
		return
	}
	if len(items) == 1 {
		fn(items[0])
		return
	}
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(it)
		}()
	}
	wg.Wait()
}
