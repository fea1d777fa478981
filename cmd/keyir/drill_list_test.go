package main

import "strings"
import "testing"

import "github.com/keyir/keyir/provider"

// TestDrillListGroupsByProvider: `keyir drill --list` shows each provider's
// name for people (its Title) once, above its own scenarios and no other's.
func TestDrillListGroupsByProvider(t *testing.T) {
	r := keyir(t, "", nil, "drill", "--list")
	if r.code != 0 {
		t.Fatalf("drill --list: %d %s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	heading := map[string]int{} // title -> line
	for i, l := range lines {
		for _, p := range provider.All() {
			if l == p.Title {
				if _, dup := heading[l]; dup {
					t.Errorf("provider %s listed twice", l)
				}
				heading[l] = i
			}
		}
	}
	for _, sc := range provider.Scenarios() {
		p, _ := provider.Lookup(sc.Provider)
		at, ok := heading[p.Title]
		if !ok {
			t.Fatalf("no heading %q in:\n%s", p.Title, r.stdout)
		}
		found := -1
		for i, l := range lines {
			if strings.Contains(l, "│ "+sc.Name+" ") {
				found = i
			}
		}
		next := len(lines)
		for _, h := range heading {
			if h > at && h < next {
				next = h
			}
		}
		if found < at || found > next {
			t.Errorf("scenario %s (line %d) is not under %s (lines %d-%d)", sc.Name, found, p.Title, at, next)
		}
	}
}
