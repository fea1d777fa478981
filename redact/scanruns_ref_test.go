package redact

import "bytes"
import "encoding/base64"
import "encoding/hex"
import "strings"
import "testing"

// refScanRunsDepth is scanRunsDepth as it was before it went straight to
// the runs long enough to matter (and with the old hex-dump walk): every
// byte stepped over.
func (ix *index) refScanRunsDepth(b []byte, emit func(st, en int, tok string) bool, depth int) {
	minMat := minShape
	if ix != nil {
		minMat = ix.minMaterial
	}
	minB64 := minMat * 4 / 3
	minHex := 2 * minMat
	var scratch, joined []byte
	for i := 0; i < len(b); {
		if b64[b[i]] == 0xFF {
			i++
			continue
		}
		// The letter of a JSON escape (\n, \r, \t) before a run is not part
		// of it: a MIME body in a JSON string starts after "\r\n".
		if i > 0 && b[i-1] == '\\' && bytes.IndexByte([]byte("nrtbf"), b[i]) >= 0 {
			i++
			continue
		}
		// The run, possibly over several lines; joined holds its
		// characters without the line breaks when there are any.
		j, line := i, i
		joined = joined[:0]
		for {
			for j < len(b) && b64[b[j]] != 0xFF {
				j++
			}
			n := lineBreak(b[j:])
			if n == 0 || j-line < minLine || (j-line)%4 != 0 || j+n >= len(b) || b64[b[j+n]] == 0xFF {
				break
			}
			joined = append(joined, b[line:j]...)
			if j-line >= minHex {
				ix.hexRuns(b[line:j], line, minHex, &scratch, emit, depth)
			}
			j += n
			line = j
		}
		run := b[i:j]
		if len(joined) > 0 {
			joined = append(joined, b[line:j]...)
			run = joined
		}
		if len(run) >= minB64 {
			for align := 0; align < 4 && len(run)-align >= minB64; align++ {
				scratch = decodeB64(scratch[:0], run[align:])
				if tok, ok := ix.foundDepth(scratch, depth); ok {
					if emit(i, j, tok) {
						return
					}
					break
				}
			}
		}
		// A hex run inside this line is no longer than the line: most
		// lines (words of ordinary text) are too short to hold one.
		if j-line >= minHex {
			ix.hexRuns(b[line:j], line, minHex, &scratch, emit, depth)
		}
		// Hex broken into lines (xxd -p writes 60 digits a line).
		if len(joined) >= minHex && allHex(joined) {
			for align := 0; align < 2; align++ {
				scratch = decodeHex(scratch[:0], joined[align:])
				if tok, ok := ix.foundDepth(scratch, depth); ok {
					if emit(i, j, tok) {
						return
					}
					break
				}
			}
		}
		i = j
	}
	ix.refSpacedHex(b, minHex, emit, depth)
}

// FuzzScanRunsEqualsWalk: scanRunsDepth reports what the old walk over
// every byte reports (spans, tokens, order), for any text, with and
// without registered secrets (short and long: the least run length
// changes), at depths 0-2, stopping where emit asks; so String's output
// is unchanged.
func FuzzScanRunsEqualsWalk(f *testing.F) {
	short := "b64pw9"
	b64s := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	mime := b64s(strings.Repeat("x", 40) + sgKey + strings.Repeat("y", 60))
	for _, s := range []string{
		"", "A", b64s(sgKey), b64s("u:" + plain), base64.RawURLEncoding.EncodeToString([]byte(sgKey)),
		hex.EncodeToString([]byte(sgKey)), "0x" + hex.EncodeToString([]byte(plain)), `\n` + b64s(sgKey), `"\r\n` + mime[:76] + `\r\n` + mime[76:] + `"`,
		mime[:64] + "\n" + mime[64:], b64s(b64s(sgKey)), hex.EncodeToString([]byte(b64s(sgKey))), spaced(sgKey, " ", 2),
		"abcdefghijklmno pqrstuvwxyzABCDE", strings.Repeat("ab", 9) + "." + b64s(short), activityAnswer()[:4000] + b64s(plain),
	} {
		f.Add(s, 0, 1)
		f.Add("x "+s+"\n"+s, 1, 0)
	}
	full := New(sgKey, plain).index()
	withShort := New(sgKey, plain, short).index()
	f.Fuzz(func(t *testing.T, s string, stopAfter, depth int) {
		b := []byte(s)
		depth = max(0, min(depth, 2))
		for _, x := range []*index{full, withShort, nil} {
			var got, want []span
			rec := func(out *[]span) func(st, en int, tok string) bool {
				return func(st, en int, tok string) bool {
					*out = append(*out, span{st, en, tok})
					return stopAfter > 0 && len(*out) >= stopAfter
				}
			}
			x.scanRunsDepth(b, rec(&got), depth)
			x.refScanRunsDepth(b, rec(&want), depth)
			if len(got) != len(want) {
				t.Fatalf("%v, the walk %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%v, the walk %v", got, want)
				}
			}
		}
	})
}

// FuzzMayHoldEscapeEqualsContainsAny: the three one-byte searches answer
// as bytes.ContainsAny did.
func FuzzMayHoldEscapeEqualsContainsAny(f *testing.F) {
	for _, s := range []string{"", "%", `\`, "&", "abc", activityAnswer()[:500], "x%y", "é&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := mayHoldEscape([]byte(s)), bytes.ContainsAny([]byte(s), `%\&`); got != want {
			t.Fatalf("%q: %v, ContainsAny %v", s, got, want)
		}
	})
}
