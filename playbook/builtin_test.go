package playbook_test

import "errors"
import "os"
import "path/filepath"
import "reflect"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/playbook"

// Every provider whose actions a built-in playbook uses must be linked
// here, or TestBuiltins reports its actions as unknown.
import _ "github.com/keyir/keyir/actions/core"
import _ "github.com/keyir/keyir/actions/notifystep"
import _ "github.com/keyir/keyir/actions/sendgrid"

// TestBuiltins loads every embedded playbook: a broken built-in fails here,
// never in an incident.
func TestBuiltins(t *testing.T) {
	names := playbook.BuiltinNames()
	if len(names) == 0 {
		t.Fatal("no built-in playbooks")
	}
	for _, name := range names {
		pb, err := playbook.Builtin(name)
		if err != nil {
			t.Errorf("built-in %s: %v", name, err)
			continue
		}
		if pb.Name != name {
			t.Errorf("built-in %s.yaml is named %q; file and name must match", name, pb.Name)
		}
		if pb.Source != "builtin:"+name || len(pb.SHA256) != 64 || pb.Description == "" {
			t.Errorf("built-in %s: source %q, sha %q, description %q", name, pb.Source, pb.SHA256, pb.Description)
		}
	}
	all := playbook.Builtins()
	if len(all) != len(names) {
		t.Fatalf("Builtins returned %d playbooks, want %d", len(all), len(names))
	}
	for i, pb := range all {
		if pb.Name != names[i] {
			t.Errorf("Builtins()[%d] = %s, want %s (sorted)", i, pb.Name, names[i])
		}
	}
}

// TestSendGridContainmentFirst pins the rule the built-in playbook is built
// on: nothing but naming the key, testing it, snapshotting it and queueing
// the opening notification (which returns at once) runs before the revoke;
// the notification steps can never stop the run.
func TestSendGridContainmentFirst(t *testing.T) {
	pb, err := playbook.Builtin("sendgrid-key-compromise")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range pb.Steps {
		ids = append(ids, s.ID)
	}
	want := []string{"identify", "locate", "notify_open", "revoke", "confirm", "activity", "stats", "persistence", "inventory", "notify_close"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("steps %v, want %v", ids, want)
	}
	for _, s := range pb.Steps {
		if strings.HasPrefix(s.Action, "notify.") {
			if s.OnError != playbook.Continue || s.Timeout <= 0 || s.Timeout > time.Minute {
				t.Errorf("%s: on_error %q, timeout %s: a notification must be non-critical and short", s.ID, s.OnError, s.Timeout)
			}
			if s.Info.Mutates {
				t.Errorf("%s: %s mutates", s.ID, s.Action)
			}
		}
	}
	if ev := pb.Steps[2].With["event"].Literal; ev != "opened" {
		t.Errorf("notify_open event = %v", ev)
	}
}

func TestGenericKeyRevoke(t *testing.T) {
	pb, err := playbook.Builtin("generic-key-revoke")
	if err != nil {
		t.Fatal(err)
	}
	var ids, acts []string
	for _, s := range pb.Steps {
		ids, acts = append(ids, s.ID), append(acts, s.Action)
	}
	if !reflect.DeepEqual(acts, []string{"core.note", "core.http", "core.note"}) {
		t.Errorf("steps %v use %v", ids, acts)
	}
	if _, err := pb.ResolveInputs(nil); err == nil || !strings.Contains(err.Error(), "input revoke_url is required") {
		t.Errorf("without revoke_url: %v", err)
	}
	if _, err := pb.ResolveInputs(map[string]string{"revoke_url": "https://api.example.com/keys/1"}); err == nil || !strings.Contains(err.Error(), "input revoke_host is required") {
		t.Errorf("without revoke_host: %v", err)
	}
	in, err := pb.ResolveInputs(map[string]string{"revoke_url": "https://api.example.com/keys/1", "revoke_host": "API.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if c := pb.Steps[1].Credential; c == nil || c.Env != "REVOKE_TOKEN" || c.HostInput != "revoke_host" || c.Host != "" {
		t.Errorf("revoke credential = %+v", c)
	}
	if in["method"] != "DELETE" {
		t.Errorf("method default = %v", in["method"])
	}
	revoke := pb.Steps[1]
	sc := playbook.Scope{Inputs: in, Run: map[string]any{"incident": "INC-1"}}
	params, err := revoke.Params(sc)
	if err != nil {
		t.Fatal(err)
	}
	if params["method"] != "DELETE" || params["url"] != "https://api.example.com/keys/1" || !reflect.DeepEqual(params["expect"], []any{200, 202, 204, 404}) {
		t.Errorf("revoke params = %#v", params)
	}
	if _, err := revoke.Decode(sc); err != nil {
		t.Error(err)
	}
	// The closing note reads the revoke step's outputs, live or planned.
	done := pb.Steps[2]
	for _, out := range []map[string]any{{"status": 204, "body": ""}, {"planned": true}} {
		sc.Steps = map[string]map[string]any{"revoke": out}
		p, err := done.Params(sc)
		if err != nil {
			t.Errorf("closing note with %v: %v", out, err)
			continue
		}
		if text := p["text"].(string); !strings.Contains(text, "204") && !strings.Contains(text, "DRY RUN") {
			t.Errorf("closing note = %q", text)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, arg := range []string{"generic-key-revoke", "builtin:generic-key-revoke"} {
		pb, err := playbook.Resolve(arg)
		if err != nil || pb.Name != "generic-key-revoke" {
			t.Errorf("Resolve(%q) = %v, %v", arg, pb, err)
		}
	}
	path := filepath.Join("..", "testdata", "playbooks", "good", "minimal.yaml")
	if pb, err := playbook.Resolve(path); err != nil || pb.Source != path {
		t.Errorf("Resolve(file) = %v, %v", pb, err)
	}
	_, err := playbook.Resolve("no-such-playbook")
	if err == nil || !strings.Contains(err.Error(), `no built-in playbook named "no-such-playbook" and no file no-such-playbook`) {
		t.Errorf("Resolve(unknown) = %v", err)
	}
	if _, err := playbook.Resolve("builtin:nope"); err == nil {
		t.Error("Resolve(builtin:nope) succeeded")
	}
	// An invalid file is reported as its problems, not as "not found".
	bad := filepath.Join("..", "testdata", "playbooks", "bad", "unknown-action.yaml")
	var ps playbook.Problems
	if _, err := playbook.Resolve(bad); !errors.As(err, &ps) {
		t.Errorf("Resolve(bad file) = %v", err)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Fatal(err)
	}
}
