package chatops

import "os"
import "path/filepath"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// A last audit line cut short by a crash is ended at open: the next line
// starts on its own, and the offset appendAt returns is that line's end.
func TestAuditOpenEndsATornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, []byte("{\"event\":\"command\"}\n{\"event\":\"auth"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := openAudit(path, redact.New(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	at, err := a.appendAt(AuditEvent{Event: AuditAuthorization, User: "U1", Decision: "allow"})
	if err != nil {
		t.Fatal(err)
	}
	a.close()
	ev, ok, err := auditLineEndingAt(path, at)
	if err != nil || !ok || ev.Event != AuditAuthorization || ev.User != "U1" {
		t.Fatalf("line ending at %d: %+v %v %v", at, ev, ok, err)
	}
	if _, ok, _ := auditLineEndingAt(path, at+1); ok {
		t.Fatal("a line past the end of the log")
	}
}
