package chatops

import "bytes"
import "os"
import "path/filepath"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// Lines wait in memory for their commit (linebuf.go): each must be in its
// file once the commit that covers it has returned, and a line appended
// but never committed must still reach the file when the log is closed.
// Offsets said at append are where the lines are written.
func TestLogLinesReachTheirFileByTheirCommitOrClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	a, err := openAudit(path, redact.New(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	at1, err := a.appendAt(AuditEvent{Event: AuditCommand, User: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.commit()(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); int64(len(b)) != at1 || !bytes.Contains(b, []byte(`"U1"`)) {
		t.Fatalf("after its commit the log holds %q, want the line ending at %d", b, at1)
	}
	at2, err := a.appendAt(AuditEvent{Event: AuditCommand, User: "U2"}) // never committed
	if err != nil {
		t.Fatal(err)
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	if ev, ok, err := auditLineEndingAt(path, at2); err != nil || !ok || ev.User != "U2" {
		t.Fatalf("after close: line ending at %d: %+v %v %v", at2, ev, ok, err)
	}

	c, _, err := loadReplay(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.admit("h:one", -1); err != nil {
		t.Fatal(err)
	}
	if rec, _, err := readReplay(c.path); err != nil || len(rec.Entries) != 1 || rec.Entries[0].Key != "h:one" {
		t.Fatalf("after its commit the replay record holds %+v (%v)", rec, err)
	}
	if _, err := c.admitQueued("h:two", -1); err != nil { // its commit is not waited for
		t.Fatal(err)
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	if rec, _, err := readReplay(c.path); err != nil || len(rec.Entries) != 2 {
		t.Fatalf("after close the replay record holds %+v (%v)", rec, err)
	}
}
