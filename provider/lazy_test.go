package provider

import "sync"
import "testing"

// Registration compiles a kind's pattern for the redactor and checks its
// sample with it, but leaves the whole-key expression (Match's) to the
// first match: compiling it for every kind was part of every command's
// start-up, `keyir version` included. The first matches, concurrent, share
// one compilation (run with -race).
func TestRegisterLeavesTheWholeExpressionToTheFirstMatch(t *testing.T) {
	k := &KeyKind{Kind: "lazy-token", Human: "Lazy token", Prefix: "lzw_", Pattern: `lzw_([0-9a-f]{24})`, Sample: "lzw_0123456789abcdef01234567"}
	Register(Provider{Name: "lazywhole", Keys: []*KeyKind{k}})
	if k.whole != nil {
		t.Fatal("registration compiled the whole-key expression")
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if m := k.Match(k.Sample); len(m) != 2 || m[0] != k.Sample || m[1] != k.Sample[4:] {
				t.Errorf("Match(sample) = %q", m)
			}
		})
	}
	wg.Wait()
	if k.whole == nil {
		t.Fatal("the first match did not keep the whole-key expression")
	}
	if r, ok := Identify(k.Sample); !ok || r.KeyKind != k {
		t.Errorf("Identify(sample) = %+v, %v", r, ok)
	}
	if k.Match(k.Sample+"0") != nil || k.Match("x"+k.Sample) != nil {
		t.Error("the whole-key expression matches more than a whole key")
	}
}
