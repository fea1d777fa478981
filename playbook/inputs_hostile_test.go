package playbook

import "strings"
import "testing"

// TestResolveInputsRefusesHostileValues: a value over MaxInputSize or not
// valid UTF-8 is refused by name and length, never echoed (it may be a
// secret), whichever front end (CLI, Slack) passed it.
func TestResolveInputsRefusesHostileValues(t *testing.T) {
	pb, err := Builtin("generic-key-revoke")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ value, want string }{
		{"http://127.0.0.1:1/" + strings.Repeat("SECRETx", MaxInputSize/7+1), "input revoke_url: the value is 65560 bytes; the limit is 65536"},
		{"http://127.0.0.1:1/SECRET\xff\xfe", "input revoke_url: the value is not valid UTF-8"},
	} {
		_, err := pb.ResolveInputs(map[string]string{"revoke_url": c.value})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("the value was echoed: %.200s", err)
		}
	}
}
