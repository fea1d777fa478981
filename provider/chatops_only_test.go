package provider_test

import "os/exec"
import "strings"
import "testing"

// TestChatopsAloneLoadsPlaybooks builds and runs a program that links
// chatops and nothing else of keyir's (testdata/chatopsonly): every built-in
// playbook must load, so importing a provider's package is enough for its
// playbooks. Before providers registered their playbooks (and imported the
// actions those use), this failed: unknown action "notify.all".
func TestChatopsAloneLoadsPlaybooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goBin, "run", "./testdata/chatopsonly").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sendgrid-key-compromise") {
		t.Fatalf("%v\n%s", err, out)
	}
}
