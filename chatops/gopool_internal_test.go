package chatops

import "bytes"
import "runtime"
import "strconv"
import "sync"
import "testing"
import "time"

// The pool never queues: 100 functions that each wait for all of them to
// have started must all run at once.
func TestGoPoolRunsEveryFunctionAtOnce(t *testing.T) {
	p := newGoPool(time.Second)
	const n = 100
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	var done sync.WaitGroup
	done.Add(n)
	for range n {
		p.do(func() {
			defer done.Done()
			started.Done()
			<-all
		})
	}
	ok := make(chan struct{})
	go func() { started.Wait(); close(ok) }()
	select {
	case <-ok:
	case <-time.After(10 * time.Second):
		t.Fatal("not every function started: the pool queued work")
	}
	close(all)
	done.Wait()
}

// A goroutine that finished a function takes the next one (its stack
// already grown), and leaves once idle for its time.
func TestGoPoolReusesAndReleasesGoroutines(t *testing.T) {
	p := newGoPool(200 * time.Millisecond)
	ids := map[uint64]bool{}
	for range 20 {
		got := make(chan uint64)
		p.do(func() { got <- goid() })
		ids[<-got] = true
		time.Sleep(time.Millisecond) // the goroutine is back waiting
	}
	if len(ids) != 1 {
		t.Fatalf("20 functions one after another ran on %d goroutines, want 1", len(ids))
	}
	waitFor := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		if n := runtime.Stack(buf, true); !containsWorker(buf[:n]) {
			return
		}
		if time.Now().After(waitFor) {
			t.Fatal("the idle goroutine did not leave")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func containsWorker(stacks []byte) bool {
	return bytes.Contains(stacks, []byte("chatops.(*goPool).worker"))
}

// goid is the calling goroutine's id, from its stack's header line.
func goid() uint64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := bytes.Fields(buf)
	if len(f) < 2 {
		return 0
	}
	id, _ := strconv.ParseUint(string(f[1]), 10, 64)
	return id
}
