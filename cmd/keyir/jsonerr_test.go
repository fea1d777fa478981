package main

import "bytes"
import "strings"
import "testing"

// FuzzJSONErrorInputs: whatever the command line and whatever reaches
// stderr, wantsJSON and stderrLines never panic, stderrLines passes every
// byte through and keeps at most maxErrorLines lines, each one a line that
// began "keyir: ".
func FuzzJSONErrorInputs(f *testing.F) {
	f.Add("respond\x00--output\x00json", "keyir: a\nkeyir: b\npartial")
	f.Add("report\x00list\x00-o=json", strings.Repeat("keyir: x\n", 20))
	f.Add("respond\x00--output", "\n\n\n")
	app := newApp(env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	cmds := app.cli().Commands
	f.Fuzz(func(t *testing.T, args, stderr string) {
		_ = wantsJSON(cmds, append([]string{"keyir"}, strings.Split(args, "\x00")...), func(string) string { return "json" })
		var sink bytes.Buffer
		c := &stderrLines{w: &sink}
		for chunk := range strings.SplitSeq(stderr, "\r") {
			if _, err := c.Write([]byte(chunk)); err != nil {
				t.Fatal(err)
			}
		}
		if sink.String() != strings.ReplaceAll(stderr, "\r", "") {
			t.Fatal("stderr altered")
		}
		if len(c.lines) > maxErrorLines {
			t.Fatalf("%d lines kept", len(c.lines))
		}
		for _, l := range c.lines {
			if strings.Contains(l, "\n") || !strings.Contains(sink.String(), "keyir: "+l) {
				t.Fatalf("kept %q", l)
			}
		}
	})
}

// TestWantsJSON: the forms of --output json, the environment, and a
// command that declares no --output.
func TestWantsJSON(t *testing.T) {
	cmds := newApp(env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}).cli().Commands
	none := func(string) string { return "" }
	env := func(string) string { return "json" }
	for _, c := range []struct {
		args   string
		getenv func(string) string
		want   bool
	}{
		{"respond --output json", none, true},
		{"respond --output=json", none, true},
		{"respond -o json", none, true},
		{"respond --output text", env, false},
		{"respond", env, true},
		{"respond", none, false},
		{"report list -o json", none, true},
		{"version --output json", none, false},
		{"respond -- --output json", none, false},
	} {
		if got := wantsJSON(cmds, append([]string{"keyir"}, strings.Fields(c.args)...), c.getenv); got != c.want {
			t.Errorf("%q: %v, want %v", c.args, got, c.want)
		}
	}
}
