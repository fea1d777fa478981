package provider

import "strings"
import "testing"
import "testing/fstest"

import "github.com/keyir/keyir/actions"
import _ "github.com/keyir/keyir/actions/core"

func playbookFS(name, action string) fstest.MapFS {
	return fstest.MapFS{name + ".yaml": {Data: []byte("name: " + name + "\nsteps:\n  - id: a\n    action: " + action + "\n")}}
}

// mustPanic runs f and returns what it panicked with ("" if it did not).
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			msg = r.(string)
		}
	}()
	f()
	t.Fatal("no panic")
	return ""
}

// TestRegisterRefusesMissingAction is the hidden dependency made loud: a
// provider whose playbook names another package's action that nothing
// registered (its package does not import it) is refused at registration,
// not in an incident.
func TestRegisterRefusesMissingAction(t *testing.T) {
	msg := mustPanic(t, func() {
		Register(Provider{Name: "lonely", Playbooks: playbookFS("lonely-playbook", "notify.nowhere")})
	})
	if !strings.Contains(msg, "notify.nowhere (playbook lonely-playbook)") || !strings.Contains(msg, "must import") {
		t.Errorf("panic %q", msg)
	}
	if _, ok := providers["lonely"]; ok {
		t.Error("a refused provider was registered")
	}
	// Its own namespace is checked at the first query, when every init has
	// run: checkActions names what is missing.
	info, err := prepare(Provider{Name: "lonely", Playbooks: playbookFS("lonely-playbook", "lonely.revoke")})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkActions(info, func(string) bool { return true }); err == nil || !strings.Contains(err.Error(), "lonely.revoke") {
		t.Errorf("checkActions = %v", err)
	}
	if _, ok := actions.Lookup("core.note"); !ok {
		t.Fatal("core.note not registered")
	}
	info, _ = prepare(Provider{Name: "fine", Playbooks: playbookFS("fine-playbook", "core.note")})
	if err := checkActions(info, func(string) bool { return true }); err != nil {
		t.Errorf("checkActions of a linked action: %v", err)
	}
}

// TestRegisterRefusesMalformed: duplicates and key kinds whose sample does
// not match their own shape are programming errors.
func TestRegisterRefusesMalformed(t *testing.T) {
	Register(Provider{Name: "first", Playbooks: playbookFS("shared-name", "core.note")})
	for _, tc := range []struct {
		p    Provider
		want string
	}{
		{Provider{Name: "first"}, "duplicate registration first"},
		{Provider{Name: "second", Playbooks: playbookFS("shared-name", "core.note")}, "both bring a playbook named shared-name"},
		{Provider{Name: "Bad Name"}, "bad provider name"},
		{Provider{Name: "third", Keys: []*KeyKind{{Kind: "k", Human: "K key", Prefix: "kk_", Pattern: `kk_[0-9]{20}`, Sample: "kk_123"}}}, "sample does not match"},
		{Provider{Name: "fourth", Keys: []*KeyKind{{Kind: "k", Human: "K key", Prefix: "kk_", Pattern: `kk_[0-9]{20}`, Sample: "kk_12345678901234567890", Checksum: func(string) bool { return false }}}}, "sample does not match its pattern and checksum"},
		{Provider{Name: "fifth", Playbooks: fstest.MapFS{"x.yaml": {Data: []byte("steps: [")}}}, "playbook x.yaml"},
	} {
		if msg := mustPanic(t, func() { Register(tc.p) }); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: panic %q, want %q", tc.p.Name, msg, tc.want)
		}
	}
}

// TestKeyPlaybookChecked: a key kind must name a registered playbook that
// takes the key as a secret input.
func TestKeyPlaybookChecked(t *testing.T) {
	kind := func(pb, input string) *KeyKind {
		return &KeyKind{Kind: "kp", Human: "KP key", Prefix: "kp_", Pattern: `kp_[0-9]{20}`, Sample: "kp_12345678901234567890", Playbook: pb, Input: input}
	}
	fsys := fstest.MapFS{"kp-respond.yaml": {Data: []byte("name: kp-respond\ninputs:\n  token:\n    type: string\n    secret: true\n  key:\n    type: string\nsteps:\n  - id: a\n    action: core.note\n")}}
	for _, tc := range []struct {
		k    *KeyKind
		want string
	}{
		{kind("kp-respond", "token"), ""},
		{kind("kp-respond", ""), `no secret input "key"`},
		{kind("kp-nowhere", "token"), "no playbook kp-nowhere"},
	} {
		info, err := prepare(Provider{Name: "kp", Keys: []*KeyKind{tc.k}, Playbooks: fsys})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		playbookOwner["kp-respond"], providers["kp"] = "kp", info
		err = checkKeyPlaybooks(info)
		delete(playbookOwner, "kp-respond")
		delete(providers, "kp")
		mu.Unlock()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s/%q: %v, want %q", tc.k.Playbook, tc.k.Input, err, tc.want)
		}
	}
}
