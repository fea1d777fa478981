package redact

import "bytes"
import "encoding/hex"
import "strings"
import "testing"

// refSpacedHex is spacedHex as it was before it walked only around the
// stretches that can hold a dump: the same walk over every byte of b.
func (ix *index) refSpacedHex(b []byte, minHex int, emit func(st, en int, tok string) bool, depth int) {
	if !bytes.ContainsAny(b, " :") {
		return
	}
	var joined, scratch []byte
	for i := 0; i < len(b); {
		if c := b[i]; !wordBytes[c] {
			i++
			continue
		} else if !isHex(c) || (i > 0 && wordBytes[b[i-1]]) {
			for i++; i < len(b) && wordBytes[b[i]]; i++ {
			}
			continue
		}
		start, groups := i, 0
		joined = joined[:0]
		end := i
		for {
			k := i
			for k < len(b) && isHex(b[k]) {
				k++
			}
			if (k-i)%2 != 0 || (k < len(b) && isWordByte(b[k])) {
				break
			}
			joined = append(joined, b[i:k]...)
			groups++
			end = k
			if k+1 < len(b) && (b[k] == ' ' || b[k] == ':') && isHex(b[k+1]) {
				i = k + 1
				continue
			}
			break
		}
		if groups >= 2 && len(joined) >= minHex {
			scratch = decodeHex(scratch[:0], joined)
			if tok, ok := ix.foundDepth(scratch, depth); ok {
				if emit(start, end, tok) {
					return
				}
			}
		}
		i = max(end, start+1)
	}
}

// spaced writes s as a hex dump: pairs of digits joined by sep, every
// group bytes a group.
func spaced(s, sep string, group int) string {
	h := hex.EncodeToString([]byte(s))
	var parts []string
	for len(h) > 0 {
		n := min(2*group, len(h))
		parts = append(parts, h[:n])
		h = h[n:]
	}
	return strings.Join(parts, sep)
}

// FuzzSpacedHexEqualsWalk: spacedHex reports what the walk over every
// byte reports (the same spans, tokens and order), for any text, with
// registered secrets short and long, at both depths, stopping where emit
// asks; and String's output is unchanged with it.
func FuzzSpacedHexEqualsWalk(f *testing.F) {
	short := "hexpw9"
	for _, s := range []string{
		"", " ", ":", "53 47", spaced(sgKey, " ", 1), spaced(sgKey, ":", 2), "x" + spaced(plain, " ", 1) + "y",
		"T23:59:57Z " + spaced(sgKey, " ", 4), `{"a":"` + spaced(short, ":", 1) + `","b":"` + spaced(sgKey[5:30], " ", 2) + `"}`,
		"ab cd ef 01 23 45 67 89 ab cd ef 01 23", "q" + spaced(sgKey, " ", 1), spaced(sgKey, " ", 1)[1:], "g" + spaced(plain, ":", 1),
		"abc " + spaced(plain, " ", 3) + " xyz", activityAnswer()[:3000],
	} {
		f.Add(s, 0, 1)
		f.Add(s+" "+s, 1, 2)
	}
	ix := New(sgKey, plain, short).index()
	f.Fuzz(func(t *testing.T, s string, stopAfter, depth int) {
		b := []byte(s)
		depth = max(0, min(depth, 2))
		for _, x := range []*index{ix, nil} {
			for _, minHex := range []int{2 * Gram, 2 * MinLength, 2 * minShape} {
				var got, want []span
				rec := func(out *[]span) func(st, en int, tok string) bool {
					return func(st, en int, tok string) bool {
						*out = append(*out, span{st, en, tok})
						return stopAfter > 0 && len(*out) >= stopAfter
					}
				}
				x.spacedHex(b, minHex, rec(&got), depth)
				x.refSpacedHex(b, minHex, rec(&want), depth)
				if len(got) != len(want) {
					t.Fatalf("minHex %d: %v, the walk %v", minHex, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("minHex %d: %v, the walk %v", minHex, got, want)
					}
				}
			}
		}
	})
}

// TestSpacedHexFindsDumpsAfterJSON: hex dumps of a secret after stretches
// the walk now skips (JSON, times with colons, words) are still redacted.
func TestSpacedHexFindsDumpsAfterJSON(t *testing.T) {
	r := New(sgKey, plain)
	for _, sep := range []string{" ", ":"} {
		for _, g := range []int{1, 2, 4} {
			for _, d := range []string{spaced(sgKey, sep, g), spaced(plain, sep, g)} {
				text := activityAnswer()[:5000] + ` "dump":"` + d + `" T23:59:57Z`
				out := r.String(text)
				if strings.Contains(out, d) || !strings.HasPrefix(out, activityAnswer()[:5000]) {
					t.Errorf("sep %q group %d: dump left or text changed: %q", sep, g, out[max(0, len(out)-300):])
				}
			}
		}
	}
}
