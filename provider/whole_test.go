package provider

import "reflect"
import "regexp"
import "testing"

// matchWhole over wholeRE gives what FindStringSubmatch of the anchored
// expression gives, groups included, for every registered kind's sample
// and its cuts, extensions and shifts, and for patterns whose alternatives
// and optional groups make the priority matter.
func TestMatchWholeEqualsTheAnchoredExpression(t *testing.T) {
	patterns := []string{`a|ab`, `(a|ab)(c|bcd)?`, `x(y)?(y*)`, `(a+)(a*)`, `(?:b|^a)(\d{2,4})`, `([0-9]{1,3})-?([0-9]*)`}
	inputs := []string{"", "a", "ab", "abc", "abcd", "xa", "xyyy", "x", "aaaa", "a12", "b1234", "ba12", "12-345", "1234", "12-", "-12"}
	for _, info := range registry() {
		for _, k := range info.Keys {
			patterns = append(patterns, k.Pattern)
			s := k.Sample
			inputs = append(inputs, s, s[:len(s)-1], s+"x", "x"+s, s+" ", " "+s, s+s, s[1:], s[:len(s)/2])
		}
	}
	for _, p := range patterns {
		anchored := regexp.MustCompile(`^(?:` + p + `)$`)
		re, err := wholeRE(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			if got, want := matchWhole(re, in), anchored.FindStringSubmatch(in); !reflect.DeepEqual(got, want) {
				t.Errorf("pattern %q, key %q: %q, want %q", p, in, got, want)
			}
		}
	}
}
