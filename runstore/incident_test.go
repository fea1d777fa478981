package runstore

import "os"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

// A key-shaped incident id, as report's own tests use.
const incidentKey = "SG.IncidentKeyIdIncide01.INCIDENTsecretPART0123456789abcdefghijklm"

// TestCreateNeverNamesADirectoryAfterAKey: the last guard, for a caller that
// did not validate; the old name kept 38 of the secret's characters.
func TestCreateNeverNamesADirectoryAfterAKey(t *testing.T) {
	root := t.TempDir()
	st, err := Create(root, report.Run{ID: "r1", Incident: incidentKey[:50], Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.Contains(e.Name(), "IncidentKeyId") || strings.Contains(e.Name(), "INCIDENTsecret") {
			t.Errorf("run directory named after the key: %s", e.Name())
		}
	}
}
