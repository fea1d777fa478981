package main

import "bytes"
import "context"
import "os"
import "path/filepath"
import "regexp"
import "strings"
import "testing"
import "unicode/utf8"

// widest is the widest line of s, in runes.
func widest(s string) (int, string) {
	n, line := 0, ""
	for _, l := range strings.Split(s, "\n") {
		if w := utf8.RuneCountInString(l); w > n {
			n, line = w, l
		}
	}
	return n, line
}

// Help, listings and tables fit 80 columns when nothing says otherwise, and
// use the width COLUMNS gives.
func TestOutputFitsTheWidth(t *testing.T) {
	screens := [][]string{{"--help"}, {"run", "--help"}, {"drill", "--help"}, {"actions"}, {"help", "exit-codes"}, {"drill", "--list"}}
	for _, args := range screens {
		for _, cols := range []int{80, 120} {
			envv := map[string]string{"COLUMNS": itoa3(cols)}
			r := keyir(t, "", envv, args...)
			if r.code != 0 {
				t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
			}
			if n, line := widest(r.stdout); n > cols {
				t.Errorf("%v at %d columns: a line of %d: %q", args, cols, n, line)
			}
		}
		// With no COLUMNS and no terminal, 80.
		if n, line := widest(keyir(t, "", nil, args...).stdout); n > 80 {
			t.Errorf("%v with no COLUMNS: a line of %d: %q", args, n, line)
		}
	}
	// At 120 columns the help uses the room: fewer lines than at 80.
	narrow := keyir(t, "", map[string]string{"COLUMNS": "80"}, "actions").stdout
	wide := keyir(t, "", map[string]string{"COLUMNS": "120"}, "actions").stdout
	if strings.Count(wide, "\n") >= strings.Count(narrow, "\n") {
		t.Errorf("COLUMNS=120 is not used: %d lines at 120, %d at 80", strings.Count(wide, "\n"), strings.Count(narrow, "\n"))
	}
}

func itoa3(n int) string {
	return strings.TrimLeft(string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)}), "0")
}

func TestWrapText(t *testing.T) {
	got := wrapText("aaa bbb ccc dddd", 8, "  ")
	if got != "aaa bbb\n  ccc\n  dddd" {
		t.Errorf("%q", got)
	}
}

// On a terminal NO_COLOR turns colour off and leaves the live step list;
// off a terminal there is neither.
func TestNoColorChangesColourOnly(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hi}\n")
	run := func(tty bool, envv map[string]string) string {
		var out, errb bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return envv[k] }, readFile: os.ReadFile, tty: tty}
		if code := newApp(e).run(context.Background(), []string{"keyir", "run", pb, "--reports", filepath.Join(dir, "r")}); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		return errb.String()
	}
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	colour := run(true, nil)
	if !strings.Contains(colour, "\x1b[32m✓\x1b[0m") || !strings.Contains(colour, "\x1b[2K") {
		t.Errorf("a terminal: want the live list in colour:\n%q", colour)
	}
	noColour := run(true, map[string]string{"NO_COLOR": "1"})
	if sgr.MatchString(noColour) || !strings.Contains(noColour, "\x1b[2K") || !strings.Contains(noColour, "✓ n") {
		t.Errorf("NO_COLOR on a terminal: want the live list without colour:\n%q", noColour)
	}
	if pipe := run(false, nil); strings.Contains(pipe, "\x1b") {
		t.Errorf("not a terminal: want no escapes:\n%q", pipe)
	}
}
