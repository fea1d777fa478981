package chatops

import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// An audit line is redacted as it is encoded: a registered secret in any
// field (here pasted where a reason goes) never reaches the file, and the
// offset said at append is where the line, as written, ends.
func TestAuditLineIsRedactedAsEncoded(t *testing.T) {
	const secret = "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := openAudit(path, redact.New(secret), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	at, err := a.appendAt(AuditEvent{Event: AuditCommand, User: "U1", Reason: "pasted " + secret})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.commit()(); err != nil {
		t.Fatal(err)
	}
	a.close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) || strings.Contains(string(b), secret[3:25]) {
		t.Fatalf("the secret reached the audit log: %s", b)
	}
	if int64(len(b)) != at || !strings.Contains(string(b), `"U1"`) {
		t.Fatalf("log %q, want one line ending at %d", b, at)
	}
}
