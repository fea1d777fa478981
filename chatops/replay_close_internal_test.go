package chatops

import "fmt"
import "testing"
import "time"

// Serve closes its replay record at shutdown while a group commit may be
// fsyncing it: the commit must then neither crash (it sliced the keys it
// had counted out of a list close had emptied: CI's -race run panicked
// "slice bounds out of range [1:0]") nor report a commit durable that was
// not. Its admission is either durable (nil) or refused with an error.
func TestReplayCommitRacingCloseNeitherCrashesNorLies(t *testing.T) {
	for i := range 200 {
		c, _, err := loadReplay(t.TempDir(), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("h:%d", i)
		durable, err := c.admitQueued(key, -1)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			time.Sleep(time.Duration(i%7) * 100 * time.Microsecond) // somewhere in the commit's fsync
		}
		cerr := c.close()
		if err := durable(); err == nil && cerr == nil {
			if rec, _, rerr := readReplay(c.path); rerr != nil || len(rec.Entries) != 1 || rec.Entries[0].Key != key {
				t.Fatalf("round %d: the commit said durable, the record holds %+v (%v)", i, rec, rerr)
			}
		}
	}
}
