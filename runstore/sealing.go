package runstore

import "sync/atomic"
import "time"

// sealing counts the Finishes between their manifest_written event and
// their MANIFEST. In that window the journal says the run was sealed but
// the directory can be neither verified nor resumed, so a process told to
// stop (main's watchdog, after a signal) must not exit inside it: it waits
// with AwaitSeals. Outside that window an exit leaves a run that resumes
// (not yet sealed) or verifies (sealed).
var sealing atomic.Int64

// AwaitSeals waits until no Finish is inside that window, for at most d,
// and reports whether none is.
func AwaitSeals(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for sealing.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
