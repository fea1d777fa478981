package runstore

import "errors"
import "fmt"
import "os"
import "syscall"

// ErrInUse is a run directory another keyir process is writing: a run still
// going, or a resume of it. Two writers would run steps twice (a revoke
// included) and interleave the journal, breaking its chain for good.
var ErrInUse = errors.New("another keyir process is writing this run (its journal is locked); let it finish, or stop it, before resuming")

// lockJournal takes an exclusive advisory lock on the open journal for as
// long as the store holds it. The kernel drops it when the process dies
// (kill -9 included), so a crashed run never leaves a stale lock behind.
func lockJournal(f *os.File) error { return LockExclusive(f, ErrInUse) }

// LockExclusive takes an exclusive advisory lock (flock) on f without
// waiting, held until f is closed or the process dies; a lock another
// process holds is inUse, wrapped with f's name.
func LockExclusive(f *os.File, inUse error) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return fmt.Errorf("%s: %w", f.Name(), inUse)
		default:
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
	}
}
