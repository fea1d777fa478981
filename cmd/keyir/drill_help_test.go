package main

import "strings"
import "testing"

// A drill reads no notification credential (drillNotify): its webhook
// deliveries are signed with a secret made up for it and its email goes to
// the simulator. Its help said "secret from KEYIR_WEBHOOK_SECRET" and "key
// from SENDGRID_NOTIFY_API_KEY", the run's words, so an operator set real
// credentials for a rehearsal and believed a receiver would accept it.
func TestDrillHelpNamesNoCredential(t *testing.T) {
	r := keyir(t, "", nil, "drill", "--help")
	for _, bad := range []string{"KEYIR_WEBHOOK_SECRET", "SENDGRID_NOTIFY_API_KEY"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("keyir drill --help names %s, which a drill never reads:\n%s", bad, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "made up for the drill") {
		t.Errorf("keyir drill --help does not say how the webhook is signed:\n%s", r.stdout)
	}
	// The run's own help is unchanged.
	if r := keyir(t, "", nil, "run", "--help"); !strings.Contains(r.stdout, "KEYIR_WEBHOOK_SECRET") {
		t.Errorf("keyir run --help lost the webhook secret's variable:\n%s", r.stdout)
	}
}
