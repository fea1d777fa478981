package actions

import "testing"

// OutputList must copy: a registration that appends to or edits its list
// must not change a shared group another action registered.
func TestOutputListCopies(t *testing.T) {
	a := []Output{{Name: "a"}}
	b := []Output{{Name: "b"}, {Name: "c"}}
	got := OutputList(a, b)
	if len(got) != 3 || got[0].Name != "a" || got[2].Name != "c" {
		t.Fatalf("OutputList = %v, want a, b, c in order", got)
	}
	got[0].Name = "changed"
	_ = append(got[:1], Output{Name: "x"})
	if a[0].Name != "a" || b[0].Name != "b" {
		t.Fatalf("the groups changed through the joined list: %v %v", a, b)
	}
}
