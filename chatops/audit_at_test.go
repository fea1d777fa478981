package chatops_test

import "bytes"
import "encoding/json"
import "os"
import "path/filepath"
import "testing"

import "github.com/keyir/keyir/chatops"

// A revoke's first record and its command's audit lines are synced at
// once (one fsync fewer before the answer), so a crash in that commit can
// leave the record on disk without the lines; the command was never
// answered. The next start fails such a record (audited, never restored,
// no plan) and restores the same record when its lines are on disk.
func TestStartFailsARequestWhoseAuditLinesAreLost(t *testing.T) {
	for _, lost := range []bool{false, true} {
		name := "audit lines on disk"
		if lost {
			name = "audit lines lost"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			id := keyIDOf(w.fx.LeakedKey)
			w.command(alice, channel, "revoke "+id+" INC-AT")
			r := w.request(id, chatops.StatePending)
			w.stop()
			// The state a crash leaves: the first record only (the log
			// emptied into the files), the audit log as synced.
			path := filepath.Join(w.dataDir, "requests", r.ID+".json")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var rec map[string]any
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			at, _ := rec["audit_at"].(float64)
			if at <= 0 {
				t.Fatalf("the record does not say where its audit line ends: %s", b)
			}
			rec["version"] = 1
			if b, err = json.Marshal(rec); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(filepath.Join(w.dataDir, "requests.log"), 0); err != nil {
				t.Fatal(err)
			}
			if lost {
				// The authorization line never reached the disk.
				log := filepath.Join(w.dataDir, "audit.jsonl")
				b, err := os.ReadFile(log)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(log, int64(bytes.LastIndexByte(b[:int(at)-1], '\n')+1)); err != nil {
					t.Fatal(err)
				}
			}
			w.start()
			want := chatops.StatePending
			if lost {
				want = chatops.StateFailed
			}
			got := w.request(id, want)
			if n := w.countAudit(chatops.AuditUnacknowledged, ""); (n == 1) != lost {
				t.Fatalf("%d audit lines for the unacknowledged request, state %s", n, got.State)
			}
			if lost {
				// The command sent again is a new request, not "already has
				// a request".
				w.command(alice, channel, "revoke "+id+" INC-AT2")
				if len(w.srv.Requests()) != 2 {
					t.Fatalf("the command sent again: %d requests", len(w.srv.Requests()))
				}
			}
		})
	}
}
