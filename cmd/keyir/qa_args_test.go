package main

import "path/filepath"
import "strings"
import "testing"

// TestArgumentShapedLikeAKeyNeverQuoted: a key cut short (not the full
// shape the redactor knows without being told) typed as a path or a value
// of any command is never echoed by an error, whoever writes the error.
func TestArgumentShapedLikeAKeyNeverQuoted(t *testing.T) {
	const cut = "SG.CutKeyIdCutKeyIdCutK01.CUTsecretPART0123" // 15 secret characters
	const piece = "CUTsecretPART"
	dir := t.TempDir()
	for _, args := range [][]string{
		{"validate", cut},
		{"validate", filepath.Join(dir, cut, "x.yaml")},
		{"validate", filepath.Join(dir, "pb-"+cut+".yaml")},
		{"report", "show", filepath.Join(dir, cut)},
		{"report", "verify", filepath.Join(dir, cut)},
		{"resume", filepath.Join(dir, cut)},
		{"run", filepath.Join(dir, cut+".yaml"), "--reports", filepath.Join(dir, "r")},
		{"inventory", "save", filepath.Join(dir, cut, "b.json")},
	} {
		r := keyir(t, "", map[string]string{}, args...)
		if r.code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		if strings.Contains(r.stdout+r.stderr, piece) {
			t.Errorf("%v: quoted:\n%s%s", args, r.stdout, r.stderr)
		}
	}
}

// TestKeyInAPlaybookNeverPrinted: keyir validate prints the playbook's
// name; a key cut short written there is printed as its token.
func TestKeyInAPlaybookNeverPrinted(t *testing.T) {
	const cut = "SG.CutKeyIdCutKeyIdCutK01.CUTsecretPART0123"
	pb := writeFile(t, t.TempDir(), "pb.yaml", "name: "+cut+"\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hi}\n")
	r := keyir(t, "", map[string]string{}, "validate", pb)
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, "CUTsecretPART") || !strings.Contains(r.stdout, "ok") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
